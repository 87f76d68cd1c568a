"""Step 2 of autograde, **execute**: jobs run on local worker threads, each driving one sandboxed process (see
``autograder.sandbox``), or on a Dask cluster (``autograder.cluster``). Also the reference runs a batch needs
first: the instructor's solution on every graded student's hidden inputs (``autograder.release``).

Every running execution holds a sandbox slot of its own (an unprivileged uid, never shared): the leftover
processes of a slot's uid are killed after each execution, which must not hit another execution under that uid.
"""

from __future__ import annotations

import concurrent.futures
import queue

from autograder import sandbox
from autograder.course import Course
from autograder.prepare import Job

__all__ = ["slot_queue", "execute_job", "references"]


def slot_queue(first: int, count: int) -> "queue.Queue[int]":
    """Slots ``first … first + count - 1`` for ``count`` concurrent executions."""
    slots: queue.Queue[int] = queue.Queue()
    for k in range(count):
        slots.put(first + k)
    return slots


def execute_job(job: Job, course: Course, limits: sandbox.Limits, sandboxed: bool,
                slots: "queue.Queue[int]") -> Job:
    """Executes every prepared notebook of the job in the sandbox of one slot (``job.executions`` filled); an error
    of the machine, not of the student, becomes an execution without a reply, never the end of the batch."""
    slot = slots.get()
    try:
        files = course.source_dir / job.assignment
        for name, data in job.notebooks.items():
            try:
                job.executions[name] = sandbox.execute(data, files, limits, slot=slot, sandbox=sandboxed)
            except Exception as err:
                job.executions[name] = sandbox.Execution(None, False, None, f"{type(err).__name__}: {err}",
                                                         0.0, sandboxed)
    finally:
        slots.put(slot)
    return job


def references(course: Course, pairs: list[tuple[str, str]], threads: int, first_slot: int, log=print,
               execute=None) -> dict:
    """{assignment: {notebook: {seed: {grade id: reports}}}}: the reference solution on every graded student's
    hidden inputs (``pairs``: (student, assignment)), ``threads`` runs at a time on slots from ``first_slot``
    (cached per seed by ``release.reference_reports``); ``execute``: ``sandbox.execute`` or a function of the same
    signature (a cluster's)."""
    from autograder.release import hidden_seed_for, reference_reports

    seeds: dict[str, list[int]] = {}
    for student, assignment in pairs:
        seeds.setdefault(assignment, []).append(hidden_seed_for(course, assignment, student))
    tasks = [(a, p.stem, s) for a, s in seeds.items() for p in course.source_notebooks(a)]
    reference: dict = {a: {} for a in seeds}
    slots = slot_queue(first_slot, threads)

    def run(a, nb, s):
        slot = slots.get()
        try:
            return reference_reports(course, a, nb, s, slot, log, execute)
        finally:
            slots.put(slot)

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        futs = {pool.submit(run, a, nb, s): (a, nb) for a, nb, s in tasks}
        for fut in concurrent.futures.as_completed(futs):
            a, nb = futs[fut]
            reference[a][nb] = fut.result()
    return reference
