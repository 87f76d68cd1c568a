"""Step 2 of autograde, **execute**: jobs run on local worker threads, each driving one sandboxed process (see
``metaopt_instructor.sandbox``), or on a Dask cluster (``metaopt_instructor.cluster``). Also the reference runs a batch needs
first: the instructor's solution on every graded student's hidden inputs (``metaopt_instructor.release``).

Every running execution holds a sandbox slot of its own (an unprivileged uid, never shared): the leftover
processes of a slot's uid are killed after each execution, which must not hit another execution under that uid.

**Warm sandboxes** (:class:`Sandboxes`): while a worker executes one notebook, the sandbox of the next one is
already started on the worker's other slot, its kernel up with torch and the library imported (the executor warms
up before it reads the notebook; the student's seed is set when the notebook arrives). A warm sandbox is never
reused: one process per notebook, started ahead, used once, killed with its slot's processes after its reply.
"""

from __future__ import annotations

import collections
import concurrent.futures
import queue
import threading
from pathlib import Path

from metaopt_instructor import sandbox
from metaopt_instructor.course import Course
from metaopt_instructor.prepare import Job

__all__ = ["slot_queue", "Sandboxes", "execute_job", "references"]


def slot_queue(first: int, count: int) -> "queue.Queue[int]":
    """Slots ``first … first + count - 1`` for ``count`` concurrent executions."""
    slots: queue.Queue[int] = queue.Queue()
    for k in range(count):
        slots.put(first + k)
    return slots


class _Lane:
    """One worker's two slots, used in turn: the running notebook on one, the next one warming up on the other."""

    def __init__(self, slots: tuple[int, int]):
        self.slots = slots
        self.turn = 0
        self.warm: tuple[int, sandbox.Started] | None = None


class Sandboxes:
    """``lanes`` workers' sandboxes (slots ``first_slot … first_slot + 2·lanes − 1``), each worker's next sandbox
    started while it executes the current notebook. ``expect(files, limits)`` announces a notebook that will be
    executed (in submission order); ``execute`` runs one, on a warm sandbox when one was started for the same
    files and limits; ``close`` ends the warm sandboxes nobody will use. ``warm=False``: cold starts only."""

    def __init__(self, lanes: int, sandboxed: bool, first_slot: int = 0, warm: bool = True):
        self.sandboxed, self.warm = sandboxed, warm
        self._lanes: queue.Queue[_Lane] = queue.Queue()
        self._all = [_Lane((first_slot + 2 * k, first_slot + 2 * k + 1)) for k in range(lanes)]
        for lane in self._all:
            self._lanes.put(lane)
        self._lock = threading.Lock()
        self._upcoming: collections.deque = collections.deque()  # keys of announced notebooks not started
        self._warming = 0                                          # warm sandboxes not used yet

    def expect(self, files_from: Path | None, limits: sandbox.Limits, count: int = 1) -> None:
        with self._lock:
            self._upcoming.extend([(files_from, limits)] * count)

    def warm_up(self, files_from: Path | None = None, limits: sandbox.Limits | None = None,
                count: int | None = None) -> None:
        """Starts warm sandboxes on idle lanes ahead of the first notebooks: for the first announced ones, or
        (``files_from``, ``limits``) for up to ``count`` notebooks that are not announced yet."""
        if not self.warm:
            return
        for lane in self._all[:count]:
            with self._lock:
                if limits is None:
                    key = self._claim_next()
                    if key is None:
                        return
                else:
                    key = (files_from, limits)
                    self._warming += 1
            self._start_next(lane, key)

    def _claim_next(self):
        """The key of the first announced notebook no warm sandbox was started for (lock held)."""
        if len(self._upcoming) <= self._warming:
            return None
        key = self._upcoming[self._warming]
        self._warming += 1
        return key

    def _start_next(self, lane: _Lane, key) -> None:
        slot = lane.slots[lane.turn]
        lane.turn = 1 - lane.turn
        try:
            lane.warm = (slot, sandbox.start(key[0], key[1], slot, self.sandboxed))
        except Exception:  # the next notebook starts cold
            lane.warm = None
            with self._lock:
                self._warming -= 1

    def execute(self, payload: bytes, files_from: Path | None, limits: sandbox.Limits) -> sandbox.Execution:
        lane = self._lanes.get()
        try:
            key = (files_from, limits)
            started = None
            if lane.warm is not None:
                slot, warm = lane.warm
                lane.warm = None
                if (warm.files_from, warm.limits) == key and warm.proc.poll() is None:
                    started = warm
                else:
                    sandbox.discard(warm)
                with self._lock:
                    self._warming -= 1
            if started is None:
                slot = lane.slots[lane.turn]
                lane.turn = 1 - lane.turn
                started = sandbox.start(files_from, limits, slot, self.sandboxed)
            with self._lock:
                try:
                    self._upcoming.remove(key)
                except ValueError:
                    pass
                following = self._claim_next() if self.warm else None
            if following is not None:
                self._start_next(lane, following)  # on the other slot: its uid is not the running one's
            return sandbox.finish(started, payload)
        finally:
            self._lanes.put(lane)

    def close(self) -> None:
        for lane in self._all:
            if lane.warm is not None:
                sandbox.discard(lane.warm[1])
                lane.warm = None


def execute_job(job: Job, course: Course, limits: sandbox.Limits, sandboxed: bool, sandboxes: Sandboxes) -> Job:
    """Executes every prepared notebook of the job (``job.executions`` filled); an error of the machine, not of
    the student, becomes an execution without a reply, never the end of the batch."""
    files = course.source_dir / job.assignment
    for name, data in job.notebooks.items():
        try:
            job.executions[name] = sandboxes.execute(data, files, limits)
        except Exception as err:
            job.executions[name] = sandbox.Execution(None, False, None, f"{type(err).__name__}: {err}",
                                                     0.0, sandboxed)
    return job


def references(course: Course, pairs: list[tuple[str, str]], threads: int, first_slot: int, log=print,
               execute=None) -> dict:
    """{assignment: {notebook: {seed: {grade id: reports}}}}: the reference solution on every graded student's
    hidden inputs (``pairs``: (student, assignment)), ``threads`` runs at a time on slots from ``first_slot``
    (cached per seed by ``release.reference_reports``); ``execute``: ``sandbox.execute`` or a function of the same
    signature (a cluster's)."""
    from metaopt_instructor.release import hidden_seed_for, reference_reports

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
