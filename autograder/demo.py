"""The grading half of ``make demo``: the sample class through the whole instructor pipeline.

release every assignment → collect ``autograder/sample_class`` (zips and folders, roster with Cyrillic surnames)
→ autograde with the available workers (sandboxed when bubblewrap is usable) → feedback → ``grades.csv`` → the
grade table, checked against the statuses the sample class was built to produce.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from autograder.course import Course

SAMPLE_CLASS = Path(__file__).resolve().parent / "sample_class"


def _cpu() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def expected_statuses(sample_class: Path = SAMPLE_CLASS) -> dict[tuple[str, str], str]:
    """{(student, assignment): status} the sample class was built to produce (see sample_class/make.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("metaopt_sample_class_make", sample_class / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    chosen = dict(line.split() for line in (sample_class / "assignments.txt").read_text().splitlines() if line)
    return {(student, chosen[key]): status for student, items in module.EXPECTED.items()
            for key, status in items.items()}


def run_grading_demo(workers: int | None = None, root: Path | None = None, sample_class: Path = SAMPLE_CLASS,
                     log=print) -> int:
    from autograder.collect import collect
    from autograder.grade import autograde
    from autograder.release import release
    from autograder.report import feedback, format_table, rows, write_csv

    start, cpu_start = time.monotonic(), _cpu()
    workers = workers or os.cpu_count() or 1
    course = Course(root)
    names = release(course, workers=workers, log=lambda msg: None, expected=False, force=False)
    log(f"[3/3] grading: released {len(names)} assignments into {course.release_dir}")
    report = collect(course, sample_class / "submissions", sample_class / "roster.csv")
    log(f"      collected {len(report.collected)} notebooks from {sample_class / 'submissions'}; "
        f"{len(report.problems)} problems reported:")
    for who, text in report.problems:
        log(f"        {who}: {text}")
    students = sorted({s for s, _, _ in report.collected})
    results = autograde(course, workers=workers, students=students, log=log)
    pages = feedback(course, log=lambda msg: None)
    table = [r for r in rows(course) if r["student_id"] in set(students) | set(course.roster())]
    output = course.work / "grades.csv"
    write_csv(table, output)
    log("")
    log(format_table(table))
    expected = expected_statuses(sample_class)
    got = {(r["student"], r["assignment"]): r["status"] for r in results}
    wrong = {k: (v, got.get(k)) for k, v in expected.items() if got.get(k) != v}
    log(f"grades:      {output}")
    log(f"feedback:    {course.feedback_dir} ({len(pages)} HTML pages)")
    log(f"autograded:  {course.autograded_dir}; gradebook {course.db_url}")
    log("manual grading: `make lab`, then Formgrader")
    sandbox_cpu = sum(r.get("cpu_seconds", 0.0) for r in results)  # the sandboxes hide it from our rusage
    log(f"grading took {time.monotonic() - start:.0f} s wall, {_cpu() - cpu_start + sandbox_cpu:.0f} s CPU "
        f"(this process, nbgrader and the sandboxed kernels) with {workers} worker(s)")
    if wrong:
        for (student, assignment), (want, have) in sorted(wrong.items()):
            log(f"UNEXPECTED: {student} {assignment}: status {have}, the sample class expects {want}")
        return 1
    return 0
