"""Grading past one machine, run the way an instructor runs it: a PostgreSQL gradebook (a real server started by
the session's ``postgres`` fixture), two graders at once (formgrader's manual grades while a batch records).

The toy course (``autograder.toycourse``) keeps every execution to a few seconds: theory_1's autograded points are
2 + 1, its manually graded answer ``explain`` is worth 2.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import samples
from autograder.course import Course
from autograder.toycourse import make_toy_course

pytestmark = pytest.mark.xdist_group("autograder")

# student -> (assignment, kind of submission, expected auto score): the toy course's points are 2 + 1
CLASS = {"s_ok": ("theory_1", samples.correct, 3.0), "s_wrong": ("theory_1", samples.partly_wrong, 0.0),
         "s_raise": ("theory_1", samples.raising, 0.0), "s_zip": ("practice_1", samples.correct, 3.0)}


def metaopt(*args, check=True, **popen) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "metaopt_lib", *map(str, args)], capture_output=True, text=True,
                          timeout=900, **popen)
    if check and proc.returncode != 0:
        raise AssertionError(f"metaopt {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def write_inbox(root: Path, students: dict) -> Path:
    """One folder (or zip, for practice_1) per student in ``root/inbox``, from the released notebooks."""
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    for student, (assignment, kind, _) in students.items():
        rel = nbformat.read(root / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
        sol = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
        data = samples.to_bytes(kind(rel, sol))
        if assignment == "practice_1":
            with zipfile.ZipFile(inbox / f"{student}.zip", "w") as zf:
                zf.writestr(f"{student}/{assignment}.ipynb", data)
        else:
            (inbox / student).mkdir(exist_ok=True)
            (inbox / student / f"{assignment}.ipynb").write_bytes(data)
    return inbox


def read_csv(path: Path) -> dict[tuple[str, str], dict]:
    rows = csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    return {(r["student_id"], r["assignment"]): r for r in rows}


@pytest.fixture(scope="module")
def pg_course(tmp_path_factory, postgres):
    """release → collect → autograde → export of the toy class, every command with ``--db-url postgresql://``."""
    root = make_toy_course(tmp_path_factory.mktemp("pg-course"))
    url = postgres.create_database("pipeline").replace("postgresql+psycopg://", "postgresql://")
    metaopt("grade", "release", "--course-root", root, "--db-url", url, "--workers", "2")
    inbox = write_inbox(root, CLASS)
    metaopt("grade", "collect", "--course-root", root, "--db-url", url, "--from", inbox)
    start = time.monotonic()
    graded = metaopt("grade", "autograde", "--course-root", root, "--db-url", url, "--workers", "2")
    seconds = time.monotonic() - start
    metaopt("grade", "export", "--course-root", root, "--db-url", url, "--output", root / "grades.csv", "--quiet")
    return {"root": root, "url": url, "autograde": graded.stdout, "rows": read_csv(root / "grades.csv"),
            "seconds": seconds}


def _pg_count(url: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_pipeline_on_postgresql(pg_course):
    rows, root, url = pg_course["rows"], pg_course["root"], pg_course["url"]
    for student, (assignment, _, auto) in CLASS.items():
        row = rows[(student, assignment)]
        assert (row["status"], float(row["auto_score"]), float(row["max_score"])) == ("graded", auto, 5.0), row
    # the grades are in the server's tables (read with the driver, not through nbgrader), no SQLite file was made
    assert _pg_count(url, "SELECT count(*) FROM submitted_assignment") == len(CLASS)
    assert _pg_count(url, "SELECT count(*) FROM grade") == 3 * len(CLASS)  # 2 test cells + 1 manual answer each
    assert _pg_count(url, "SELECT sum(auto_score) FROM grade") == sum(a for _, _, a in CLASS.values())
    assert not (root / "autograder" / "work" / "gradebook.db").exists()


def _manual_grader(course: Course, stop: threading.Event, entered: dict, errors: list) -> None:
    """Formgrader's GradeHandler.put, over and over: find the grade by id, set ``manual_score``, commit."""
    from nbgrader.api import Gradebook

    try:
        with course.gradebook() as gb:
            ids = {}
            for student, (assignment, _, _) in CLASS.items():
                grade = gb.find_grade("explain", assignment, assignment, student)
                ids[student] = grade.id
        round_ = 0
        while not stop.is_set() or round_ < 2:
            round_ += 1
            # a fresh session per request, as formgrader's handlers get from NbGraderAPI
            with Gradebook(course.db_url, course_id="metaopt") as gb:
                for student, grade_id in ids.items():
                    grade = gb.find_grade_by_id(grade_id)
                    grade.manual_score = round_ % 3 * 0.5  # 0.5, 1.0, 0.0, … of 2 points
                    grade.needs_manual_grade = False
                    gb.db.commit()
                    entered[student] = grade.manual_score
            time.sleep(0.05)
    except Exception as err:  # reported by the test
        errors.append(repr(err))


def test_manual_grades_while_a_batch_records(pg_course):
    """Two graders at once: the batch re-grades everyone while formgrader's API keeps entering manual scores;
    afterwards every auto score is the batch's and every manual score the last one entered."""
    root, url = pg_course["root"], pg_course["url"]
    course = Course(root, db_url=url)
    stop, entered, errors = threading.Event(), {}, []
    thread = threading.Thread(target=_manual_grader, args=(course, stop, entered, errors))
    thread.start()
    try:
        metaopt("grade", "autograde", "--course-root", root, "--db-url", url, "--workers", "2", "--force")
    finally:
        stop.set()
        thread.join(120)
    assert not errors, errors
    assert set(entered) == set(CLASS)
    metaopt("grade", "export", "--course-root", root, "--db-url", url, "--output", root / "grades2.csv", "--quiet")
    rows = read_csv(root / "grades2.csv")
    for student, (assignment, _, auto) in CLASS.items():
        row = rows[(student, assignment)]
        assert float(row["auto_score"]) == auto, row
        assert float(row["manual_score"]) == entered[student], (row, entered)
        assert float(row["score"]) == auto + entered[student], row
    assert _pg_count(url, "SELECT count(*) FROM submitted_assignment") == len(CLASS)  # nothing recorded twice
    assert _pg_count(url, "SELECT count(*) FROM grade") == 3 * len(CLASS)
