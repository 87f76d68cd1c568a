"""Grading speed: per-submission overhead of the pipeline and throughput with 1 and 2 workers (a printed table).

    python benchmarks/bench_grading.py [--submissions 20] [--repeats 3] [--real]

* overhead: one correct submission, graded by ``metaopt grade autograde`` machinery (prepare + sandboxed execution
  + verification + gradebook) versus a bare ``nbclient`` execution of the same prepared notebook
  (target ≤ 1.3×; medians of ``--repeats``);
* throughput: ``--submissions`` correct submissions graded with 1 and with 2 workers (target speed-up ≥ 0.8 ×
  workers).

Uses the toy course of ``metaopt_instructor/toycourse.py`` (a torch-importing notebook, like the real ones) in a temporary
folder, or with ``--real`` a copy of the course's first theory assignment. Wall and CPU times (this process plus
its children, plus the CPU the sandboxed executors report for themselves and their kernels, which the sandbox
hides from this process's rusage) are printed; on a shared machine wall times are inflated, so read them next
to CPU times.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
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
from metaopt_instructor.release import generate, reference_reports  # noqa: E402
from metaopt_instructor.toycourse import make_toy_course  # noqa: E402


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    w, c = time.perf_counter(), cpu()
    out = fn()
    return out, time.perf_counter() - w, cpu() - c


def setup(root: Path, real: bool) -> tuple[Course, str]:
    if real:
        name = next(a for a in Course(ROOT).assignments() if a.startswith("theory_"))
        shutil.copytree(ROOT / "solutions" / name, root / "solutions" / name)
    else:
        make_toy_course(root)
        name = "theory_1"
    course = Course(root)
    generate(course, name)
    reference_reports(course, name, name, [0])
    return course, name


def submit(course: Course, name: str, students: list[str]) -> None:
    rel = nbformat.read(course.released_notebook(name, name), as_version=4)
    sol = nbformat.read(course.source_dir / name / f"{name}.ipynb", as_version=4)
    data = samples.to_bytes(samples.correct(rel, sol))
    for student in students:
        folder = course.submission_dir(student, name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.ipynb").write_bytes(data)


def bare(course: Course, name: str) -> None:
    """nbclient on the prepared notebook, in a scratch copy, no sandbox, no gradebook writes."""
    from nbclient import NotebookClient

    grader = Grader(course, workers=1, log=lambda m: None)
    with course.gradebook() as gb:
        job = grader.prepare("bench00", name, gb)
    nb = job.prepared[name]
    with tempfile.TemporaryDirectory() as tmp:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": tmp}}).execute()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--real", action="store_true", help="the course's first theory assignment, not the toy")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="metaopt-bench-") as tmp:
        course, name = setup(Path(tmp), args.real)
        submit(course, name, ["bench00"])
        quiet = lambda m: None  # noqa: E731
        grader = Grader(course, workers=1, log=quiet, force=True)
        bare_runs, graded_runs = [], []
        for _ in range(args.repeats):
            bare_runs.append(timed(lambda: bare(course, name))[1:])
            _, wall, cpu_s = timed(lambda: grader.run([name], ["bench00"]))
            graded_runs.append((wall, cpu_s + course.read_status(name, "bench00").get("cpu_seconds", 0.0)))
        bw, bc = statistics.median(r[0] for r in bare_runs), statistics.median(r[1] for r in bare_runs)
        gw, gc = statistics.median(r[0] for r in graded_runs), statistics.median(r[1] for r in graded_runs)
        students = [f"bench{i:02d}" for i in range(1, args.submissions + 1)]
        submit(course, name, students)
        through = {}
        for workers in (1, 2):
            results, wall, cpu_s = timed(lambda: Grader(course, workers=workers, log=quiet, force=True).run([name], students))
            sandbox_cpu = sum(course.read_status(name, r["student"]).get("cpu_seconds", 0.0) for r in results)
            through[workers] = (wall, cpu_s + sandbox_cpu)
        sandboxed = Grader(course, log=quiet).sandboxed

    print(f"\ngrading benchmark — {'real ' + name if args.real else 'toy ' + name}, "
          f"{'sandboxed (bubblewrap)' if sandboxed else 'NOT sandboxed'}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'measure':<44} {'wall s':>8} {'cpu s':>8}  note")
    print(f"{'bare nbclient execution (median)':<44} {bw:8.2f} {bc:8.2f}")
    print(f"{'graded alone: one run of the whole pipeline':<44} {gw:8.2f} {gc:8.2f}  "
          f"overhead {gw / bw:.2f}x wall, {gc / bc:.2f}x cpu (target <= 1.3x)")
    per = through[1][0] / args.submissions
    print(f"{'graded, per submission in a batch (1 worker)':<44} {per:8.2f} {through[1][1] / args.submissions:8.2f}  "
          f"overhead {per / bw:.2f}x wall (target <= 1.3x)")
    for workers, (wall, cpu_s) in through.items():
        rate = args.submissions / wall
        extra = "" if workers == 1 else (f"speed-up {through[1][0] / wall:.2f} "
                                         f"(target >= {0.8 * workers:.1f})")
        print(f"{f'{args.submissions} submissions, {workers} worker(s)':<44} {wall:8.2f} {cpu_s:8.2f}  "
              f"{rate * 60:.1f} submissions/min {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
