"""``metaopt grade autograde``: the batch — prepare, execute in parallel (sandboxed), record with one writer.

Per submission (student, assignment), three steps, each in its own module:

1. **prepare** (``metaopt_instructor.prepare``; main thread, reads the gradebook): validated, tamper-checked and restored
   notebooks carrying the student's hidden-input seed, or the condition that keeps them from running.
2. **execute** (``metaopt_instructor.execution``; worker threads, or a Dask cluster with ``metaopt_instructor.cluster``): each
   notebook in a sandboxed process of its own; the kernel only computes values, its checks report them.
3. **record** (``metaopt_instructor.record``; main thread only — the single writer of the gradebook): verdicts decided
   outside the sandbox against the reference solution, scores, the autograded notebook and the status.

This module discovers the submissions, releases what is not released yet, skips what was graded already
(``metaopt_instructor.progress``), computes the reference values the batch needs, and drives the three steps.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import time

from metaopt_instructor import execution, sandbox
from metaopt_instructor import record as recording
from metaopt_instructor.course import Course, GradingError
from metaopt_instructor.prepare import MAX_NOTEBOOK_BYTES, Job, find_protected_changes, prepare  # noqa: F401 (API)
from metaopt_instructor.record import PRECEDENCE, status_of  # noqa: F401 (API)

__all__ = ["Grader", "autograde", "submissions", "Job", "status_of", "find_protected_changes"]


def submissions(course: Course, assignments: list[str] | None = None,
                students: list[str] | None = None) -> list[tuple[str, str]]:
    """(student, assignment) pairs collected in the submitted folder (optionally only these ones)."""
    base = course.submitted_dir
    pairs = []
    if base.is_dir():
        for student_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            if students and student_dir.name not in students:
                continue
            for a_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                if assignments and a_dir.name not in assignments:
                    continue
                pairs.append((student_dir.name, a_dir.name))
    return pairs


def release_missing(course: Course, names: list[str], log=print) -> None:
    """Releases every assignment of ``names`` that has submissions but no release yet."""
    from metaopt_instructor.release import generate

    with course.gradebook() as gb:
        released = {a.name for a in gb.assignments}
    for name in names:
        if name not in course.assignments():
            raise GradingError(f"submissions for unknown assignment {name!r}")
        if name not in released or not course.released_notebook(name, name).parent.is_dir():
            log(f"{name} was not released yet: releasing it")
            generate(course, name)


class Grader:
    """Grades the collected submissions of a course into its gradebook (the batch's settings and its loop; the
    steps are ``prepare``, ``execution`` and ``record``)."""

    def __init__(self, course: Course, workers: int | None = None, sandbox_mode: bool | None = None, log=print,
                 cluster: str | None = None, force: bool = False):
        self.course = course
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.log = log
        # every worker holds two sandbox slots (warm sandboxes) and the reference runs one more each: all distinct
        if self.workers > sandbox.SLOTS_PER_RUN // 3:
            self.workers = sandbox.SLOTS_PER_RUN // 3
            log(f"at most {self.workers} local workers per grading run (sandbox slots); use a cluster for more")
        self.cluster = cluster or course.setting("cluster", None)
        self.force = force
        self.sandbox_mode = sandbox_mode
        self.progress = None
        usable, reason = sandbox.sandbox_status()
        self.sandboxed = usable if sandbox_mode is None else (sandbox_mode and usable)
        self.sandbox_reason = reason
        self.limits = None
        self._released_tests = recording.ReleasedTests(course)

    # --- the three steps, bound to this batch's settings ------------------------------------------------------
    def submissions(self, assignments=None, students=None) -> list[tuple[str, str]]:
        return submissions(self.course, assignments, students)

    def prepare(self, student: str, assignment: str, gb) -> Job:
        return prepare(self.course, student, assignment, gb)

    def execute(self, job: Job, sandboxes: execution.Sandboxes) -> Job:
        return execution.execute_job(job, self.course, self.limits, self.sandboxed, sandboxes)

    def record(self, job: Job, gb, reference: dict) -> dict:
        return recording.record(self.course, job, gb, reference, self.limits, self.sandboxed, self._released_tests)

    def record_safely(self, job: Job, gb, reference: dict) -> dict:
        return recording.record_safely(self.course, job, gb, self.sandboxed,
                                       lambda j: self.record(j, gb, reference))

    def _references(self, pairs: list[tuple[str, str]], cluster=None) -> dict:
        """The reference values of the batch, on slots after the workers' own two each (on the cluster when
        given)."""
        threads = max(1, cluster.workers()) if cluster else self.workers
        return execution.references(self.course, pairs, threads, 2 * self.workers, self.log,
                                    cluster.execute if cluster else None)

    # --- the batch ---------------------------------------------------------------------------------------------
    def run(self, assignments: list[str] | None = None, students: list[str] | None = None) -> list[dict]:
        from metaopt_instructor import progress
        from metaopt_instructor.config import grading_limits

        self.limits = grading_limits(self.course)
        pairs = self.submissions(assignments, students)
        if not pairs:
            self.log(f"nothing to grade: no submissions in {self.course.submitted_dir} (run collect first)")
            return []
        self._warn_unsandboxed()
        release_missing(self.course, sorted({a for _, a in pairs}), self.log)
        with self.course.gradebook() as gb:
            in_gradebook = {(sub.student.id, a.name) for a in gb.assignments for sub in a.submissions}
        pairs, skipped, hashes = progress.select(self.course, pairs, in_gradebook, force=self.force)
        if skipped:
            self.log(f"{len(skipped)} submissions unchanged since they were graded: skipped (--force grades them "
                     "again)")
        pool, submit = self._pool(pairs)
        reference = self._references(pairs, pool if self.cluster else None)
        start = time.monotonic()
        self.progress = progress.Progress(len(pairs))
        results = self._drive(pairs, pool, submit, reference, hashes)
        where = f"on the cluster {self.cluster}" if self.cluster else f"with {self.workers} worker(s)"
        self.log(f"graded {len(results)} submissions {where} in "
                 f"{time.monotonic() - start:.0f} s ({'sandboxed' if self.sandboxed else 'NOT sandboxed'})")
        results += [self.course.read_status(a, s) for s, a in skipped]
        return sorted(results, key=lambda r: (r["student"], r["assignment"]))

    def _warn_unsandboxed(self) -> None:
        if not self.sandboxed:
            bar = "!" * 78
            self.log(f"{bar}\nWARNING: grading is NOT sandboxed ({self.sandbox_reason}).\n"
                     "Student code runs with resource and time limits only and can read files of this machine.\n"
                     f"{bar}")

    def _pool(self, pairs: list[tuple[str, str]]):
        """(pool, submit): ``submit(job)`` returns a future of the executed job. Locally, the first sandboxes start
        warming up at once (while the reference values are computed and the first submissions prepared)."""
        if self.cluster:
            from metaopt_instructor.cluster import DaskPool

            pool = DaskPool(self.cluster, self.limits, self.sandbox_mode, self.course.source_dir)
            self.log(f"executing on the Dask cluster {self.cluster} ({pool.workers()} worker threads)")
            return pool, pool.submit
        pool = _LocalPool(self.workers, self.sandboxed, self.course, self.limits)
        if pairs:
            pool.sandboxes.warm_up(self.course.source_dir / pairs[0][1], self.limits, len(pairs))
        return pool, functools.partial(pool.submit, self.execute)

    def _drive(self, pairs, pool, submit, reference: dict, hashes: dict) -> list[dict]:
        """Prepares every submission and submits it; records each as it comes back. One gradebook session in this
        thread: it prepares (reads) and records (writes); workers only execute."""
        results = []
        with self.course.gradebook() as gb, pool:
            futures, rejected = [], []
            for student, assignment in pairs:
                job = self.prepare(student, assignment, gb)
                if job.notebooks:
                    futures.append(submit(job))
                else:
                    rejected.append(job)
            for job in rejected:
                results.append(self._finish(self.record_safely(job, gb, reference[job.assignment]), hashes))
            for fut in concurrent.futures.as_completed(futures):
                job = fut.result()
                results.append(self._finish(self.record_safely(job, gb, reference[job.assignment]), hashes, job))
        return results

    def _finish(self, result: dict, hashes: dict, job: Job | None = None) -> dict:
        """The status file gets the hash of what was graded once the gradebook holds the scores (resumption), and
        whether the executions really were sandboxed (a cluster worker decides that on its own machine); then the
        progress line."""
        result["hash"] = hashes[(result["student"], result["assignment"])]
        if job is not None and job.executions:
            result["sandboxed"] = all(ex.sandboxed for ex in job.executions.values())
            if self.sandboxed and not result["sandboxed"]:
                self.log(f"WARNING: {result['student']} {result['assignment']} was executed NOT sandboxed "
                         "(a cluster worker without usable bubblewrap, or not root)")
        self.course.write_status(result["assignment"], result["student"], result)
        prefix = self.progress.step() if self.progress else ""
        self.log(f"  {prefix} {result['student']:<12} {result['assignment']:<12} {result['status']:<16} "
                 f"{result['note'][:100]}")
        return result


class _LocalPool(concurrent.futures.ThreadPoolExecutor):
    """The local workers and their (warm) sandboxes, ended together."""

    def __init__(self, workers: int, sandboxed: bool, course: Course, limits: sandbox.Limits):
        super().__init__(workers)
        self.sandboxes = execution.Sandboxes(workers, sandboxed)
        self.course, self.limits = course, limits

    def submit(self, fn, job: Job):
        self.sandboxes.expect(self.course.source_dir / job.assignment, self.limits, len(job.notebooks))
        return super().submit(fn, job, self.sandboxes)

    def shutdown(self, *args, **kwargs):
        try:
            super().shutdown(*args, **kwargs)
        finally:
            self.sandboxes.close()


def autograde(course: Course, assignments: list[str] | None = None, workers: int | None = None,
              sandbox_mode: bool | None = None, students: list[str] | None = None, log=print,
              cluster: str | None = None, force: bool = False) -> list[dict]:
    return Grader(course, workers=workers, sandbox_mode=sandbox_mode, log=log, cluster=cluster,
                  force=force).run(assignments, students)
