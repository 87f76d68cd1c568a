"""``make demo``: the course's main job, end to end.

1. Build the bilingual lectures from their sources (``lectures/src`` → ``lectures/en``, ``lectures/ru``).
2. Execute lecture 01 in both languages headless (a smoke test of the set-up).
3. The sample class through the whole instructor pipeline: release every assignment → collect ``metaopt_instructor/sample_class`` (zips and folders, roster with Cyrillic surnames)
→ autograde with the available workers (sandboxed when bubblewrap is usable) → feedback → ``grades.csv`` → the
grade table, checked against the statuses the sample class was built to produce.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from metaopt_course import notebooks
from metaopt_instructor.course import Course
from metaopt_lib.i18n import LANGUAGES

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
    from metaopt_instructor.collect import collect
    from metaopt_instructor.grade import autograde
    from metaopt_instructor.release import release
    from metaopt_instructor.report import feedback, format_table, rows, write_csv

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


def run(workers: int | None = None) -> int:
    """Lectures, a smoke run of lecture 01, then the grading demo; the status of the grading demo."""
    root = notebooks.course_root()
    start = time.perf_counter()
    written = notebooks.build_lectures(root)
    sources = notebooks.lecture_sources(root)
    print(f"[1/3] lectures: {len(sources)} sources in lectures/src -> lectures/en, lectures/ru "
          f"({len(written)} notebooks regenerated)")
    if sources:
        for lang in LANGUAGES:
            path = notebooks.output_path(root, sources[0].stem, lang)
            result = notebooks.execute_notebook(path, timeout=120, env={"METAOPT_EXERCISE_WIDGETS": ""})
            print(f"[2/3] executed {path.relative_to(root)} in {result.seconds:.1f} s")
    status = run_grading_demo(workers=workers)
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    print(f"  lectures:    {root / 'lectures'} (en/, ru/; sources in src/)")
    print(f"  assignments: {root / 'assignments'} (released), {root / 'solutions'} (instructor)")
    return status
