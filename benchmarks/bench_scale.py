"""Grading at scale, side by side in one run on the same submissions (a printed table):

    python benchmarks/bench_scale.py [--submissions 40] [--machines 1,2,4,8,16,32]

1. nbgrader's own ``autograde`` (``NbGraderAPI.autograde``, one submission after another, no sandbox);
2. ``metaopt grade autograde --workers 1`` and 3. ``--workers 2`` (sandboxed when bubblewrap is usable);
4. ``metaopt grade autograde --cluster`` on a Dask ``LocalCluster`` of 2 single-threaded worker processes.

The submissions are the toy course's theory_1 (``metaopt_instructor/toycourse.py``: a notebook importing torch and the
course library, like the real ones), half correct, half with a wrong answer. The reference runs (the solution on
every student's hidden inputs) are computed once before the timed runs and reported on their own line.

CPU time: this process and its reaped children (``getrusage``), plus what the sandboxed executors report for
themselves and their kernels (bubblewrap hides them from our rusage), plus, for the cluster, the worker processes'
own CPU (``psutil``). Submissions per CPU-minute = submissions / (CPU seconds / 60).

Expected wall time for 2,000 submissions on N machines like this one: ``2000 × w₁ / (N × cores × e)`` where
``w₁`` is the measured wall time per submission with 1 worker and ``e`` the measured parallel efficiency of the
2-worker run (speed-up / 2), bounded below by the client's own time per submission (it prepares and records every
submission alone: ``2000 × c``, ``c`` measured in the cluster run). On a shared machine wall times are inflated:
read them next to CPU times and the load average printed with the table.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from metaopt_instructor import samples  # noqa: E402
from metaopt_instructor.course import Course  # noqa: E402
from metaopt_instructor.grade import Grader  # noqa: E402
from metaopt_instructor.release import SEEDS_PER_RUN, generate  # noqa: E402
from metaopt_instructor.toycourse import make_toy_course  # noqa: E402

NAME = "theory_1"


def rusage_cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_course(root: Path, students: list[str]) -> Course:
    make_toy_course(root)
    course = Course(root)
    generate(course, NAME)
    rel = nbformat.read(course.released_notebook(NAME, NAME), as_version=4)
    sol = nbformat.read(course.source_dir / NAME / f"{NAME}.ipynb", as_version=4)
    for i, student in enumerate(students):
        kind = samples.correct if i % 2 == 0 else samples.partly_wrong
        folder = course.submission_dir(student, NAME)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{NAME}.ipynb").write_bytes(samples.to_bytes(kind(rel, sol)))
    return course


def sandbox_cpu(course: Course, students: list[str]) -> float:
    return sum((course.read_status(NAME, s) or {}).get("cpu_seconds", 0.0) for s in students)


def metaopt_autograde(course: Course, *extra: str) -> tuple[float, float, str]:
    """(wall s, CPU s, output) of ``metaopt grade autograde --force`` on the course, run as an instructor runs it."""
    cmd = [sys.executable, "-m", "metaopt_lib", "grade", "autograde", "--course-root", str(course.root), "--force",
           *extra]
    wall, cpu = time.perf_counter(), rusage_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall, cpu = time.perf_counter() - wall, rusage_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wall, cpu, done.stdout


def nbgrader_autograde(course: Course, students: list[str]) -> tuple[float, float]:
    api = course.api()
    wall, cpu = time.perf_counter(), rusage_cpu()
    for student in students:
        result = api.autograde(NAME, student, force=True, create=True)
        if not result.get("success"):
            raise SystemExit(f"nbgrader autograde {student} failed: {result.get('error') or result.get('log')}")
    return time.perf_counter() - wall, rusage_cpu() - cpu


def workers_cpu(client) -> float:
    import psutil

    def own() -> float:
        t = psutil.Process().cpu_times()
        return t.user + t.system

    return sum(client.run(own).values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--machines", default="1,2,4,8,16,32")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    n = args.submissions
    students = [f"s{i:03d}" for i in range(n)]
    rows = []  # (label, wall, cpu, note)
    with tempfile.TemporaryDirectory(prefix="metaopt-bench-scale-") as tmp:
        # nbgrader's own autograde on a course of its own (it writes the same folders and gradebook)
        plain = make_course(Path(tmp) / "nbgrader", students)
        wall, cpu = nbgrader_autograde(plain, students)
        rows.append(("nbgrader autograde (sequential, unsandboxed)", wall, cpu))

        course = make_course(Path(tmp) / "metaopt", students)
        grader = Grader(course, workers=2, log=lambda m: None)
        ref_wall = time.perf_counter()
        grader._references([(s, NAME) for s in students])
        ref_wall = time.perf_counter() - ref_wall
        sandboxed = grader.sandboxed
        for workers in (1, 2):
            wall, cpu, _ = metaopt_autograde(course, "--workers", str(workers))
            rows.append((f"metaopt grade autograde --workers {workers}", wall, cpu + sandbox_cpu(course, students)))

        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster) as client:
            before = workers_cpu(client)
            own_before = resource.getrusage(resource.RUSAGE_SELF)
            wall, cpu, out = metaopt_autograde(course, "--cluster", cluster.scheduler_address)
            cluster_cpu = workers_cpu(client) - before
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            scheduler_cpu = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
            # cpu includes this process (the scheduler) and the metaopt client (a reaped child)
            client_cpu = cpu - scheduler_cpu
            rows.append(("Dask LocalCluster, 2 worker processes", wall,
                         cpu + cluster_cpu + sandbox_cpu(course, students)))

    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    print(f"\nscale benchmark — {n} submissions of the toy {NAME} (half correct, half wrong), "
          f"{'sandboxed (bubblewrap)' if sandboxed else 'NOT sandboxed'} metaopt runs, {cores} CPUs, "
          f"load average {load:.1f} (a shared machine inflates wall times)")
    print(f"reference runs before the batch (the solution on {n} students' hidden inputs, "
          f"{-(-n // SEEDS_PER_RUN)} executions): {ref_wall:.1f} s wall, not in the table")
    print(f"{'engine':<46} {'wall s':>8} {'CPU s':>8} {'sub/CPU-min':>12} {'sub/min':>8}")
    for label, wall, cpu in rows:
        print(f"{label:<46} {wall:8.1f} {cpu:8.1f} {n / (cpu / 60):12.2f} {n / (wall / 60):8.2f}")

    w1 = rows[1][1] / n
    efficiency = min(1.0, (rows[1][1] / rows[2][1]) / 2)
    client_per_sub = max(client_cpu, 0.0) / n
    print(f"\nexpected wall time for 2,000 submissions on N machines with {cores} cores like this one "
          f"(w1 = {w1:.2f} s per submission with 1 worker, 2-worker efficiency e = {efficiency:.2f}, "
          f"client CPU per submission c = {client_per_sub:.3f} s, its start-up included):")
    print(f"{'machines N':>10} {'worker slots':>13} {'wall (h:mm)':>12}")
    for machines in (int(m) for m in args.machines.split(",")):
        slots = machines * cores
        seconds = max(2000 * w1 / (slots * efficiency), 2000 * client_per_sub)
        print(f"{machines:>10} {slots:>13} {int(seconds // 3600):>9}:{int(seconds % 3600 // 60):02d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
