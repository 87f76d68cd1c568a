"""Grading past one machine, run the way an instructor runs it: a PostgreSQL gradebook (a real server started by
the session's ``postgres`` fixture), two graders at once (formgrader's manual grades while a batch records).

The toy course (``metaopt_instructor.toycourse``) keeps every execution to a few seconds: theory_1's autograded points are
2 + 1, its manually graded answer ``explain`` is worth 2.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import samples
from metaopt_instructor.course import Course
from metaopt_instructor.toycourse import make_toy_course

pytestmark = [pytest.mark.xdist_group("autograder"), pytest.mark.serial_heavy]

# student -> (assignment, kind of submission, expected auto score): the toy course's points are 2 + 1
CLASS = {"s_ok": ("theory_1", samples.correct, 3.0), "s_wrong": ("theory_1", samples.partly_wrong, 0.0),
         "s_raise": ("theory_1", samples.raising, 0.0), "s_zip": ("practice_1", samples.correct, 3.0)}


def metaopt(*args, check=True, **popen) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "metaopt_instructor", *map(str, args)], capture_output=True, text=True,
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
    assert not (root / "var" / "gradebook.db").exists()


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


def test_rerun_grades_only_new_or_changed_submissions(pg_course):
    root, url = pg_course["root"], pg_course["url"]
    assert "ETA" in pg_course["autograde"] and f"[{len(CLASS)}/{len(CLASS)} 100%" in pg_course["autograde"]
    again = metaopt("grade", "autograde", "--course-root", root, "--db-url", url, "--workers", "2").stdout
    assert f"{len(CLASS)} submissions unchanged since they were graded: skipped" in again
    assert "graded 0 submissions" in again
    # s_wrong hands in a corrected notebook (collected again): only it is graded, and its score follows
    rel = nbformat.read(root / "assignments/theory_1/theory_1.ipynb", as_version=4)
    sol = nbformat.read(root / "solutions/theory_1/theory_1.ipynb", as_version=4)
    target = root / "var/submitted/s_wrong/theory_1/theory_1.ipynb"
    target.write_bytes(samples.to_bytes(samples.correct(rel, sol)))
    try:
        changed = metaopt("grade", "autograde", "--course-root", root, "--db-url", url, "--workers", "2").stdout
        assert "graded 1 submissions" in changed and " s_wrong " in changed and " s_ok " not in changed
        metaopt("grade", "export", "--course-root", root, "--db-url", url, "--output", root / "g.csv", "--quiet")
        assert float(read_csv(root / "g.csv")[("s_wrong", "theory_1")]["auto_score"]) == 3.0
    finally:  # the class as made again (the later tests grade with --force)
        target.write_bytes(samples.to_bytes(samples.partly_wrong(rel, sol)))


def test_interrupted_batch_resumes_where_it_stopped(tmp_path):
    """Kill the grader (SIGKILL, as a lost machine) once its first submission is recorded: the rerun grades
    exactly the submissions not recorded, and nothing is recorded twice."""
    root = make_toy_course(tmp_path / "course")
    metaopt("grade", "release", "--course-root", root, "theory_1")
    students = {f"s_{i}": ("theory_1", samples.correct if i % 2 else samples.raising, 3.0 if i % 2 else 0.0)
                for i in range(4)}
    metaopt("grade", "collect", "--course-root", root, "--from", write_inbox(root, students))
    status_dir = root / "var/status/theory_1"
    proc = subprocess.Popen([sys.executable, "-m", "metaopt_instructor", "grade", "autograde", "--course-root", str(root),
                             "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)

    def recorded() -> list[str]:  # status files stamped with their hash (the last step of recording)
        return sorted(p.stem for p in status_dir.glob("*.json") if '"hash"' in p.read_text(encoding="utf-8"))

    deadline = time.monotonic() + 600
    while not recorded() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    recorded = recorded()
    assert 1 <= len(recorded) < len(students), recorded
    rerun = metaopt("grade", "autograde", "--course-root", root, "--workers", "2").stdout
    assert f"{len(recorded)} submissions unchanged since they were graded: skipped" in rerun
    regraded = sorted(s for s in students if f" {s} " in rerun)
    assert regraded == sorted(set(students) - set(recorded)), rerun
    metaopt("grade", "export", "--course-root", root, "--output", root / "g.csv", "--quiet")
    rows = read_csv(root / "g.csv")
    assert len(rows) == len(students)
    for student, (assignment, _, auto) in students.items():
        assert (rows[(student, assignment)]["status"], float(rows[(student, assignment)]["auto_score"])) == \
            ("graded", auto)


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask LocalCluster of two single-threaded worker processes (each under a nanny that restarts it)."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           scheduler_port=0, silence_logs=40)
    client = Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


def test_cluster_batch_survives_a_lost_worker(pg_course, dask_cluster):
    """``--cluster``: every execution runs on the workers; a worker killed while it executes a submission loses
    nothing — the submission runs again elsewhere — and nothing is recorded twice."""
    cluster, client = dask_cluster
    root, url = pg_course["root"], pg_course["url"]
    proc = subprocess.Popen([sys.executable, "-m", "metaopt_instructor", "grade", "autograde", "--course-root", str(root),
                             "--db-url", url, "--force", "--cluster", cluster.scheduler_address],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        busy = {w: keys for w, keys in client.processing().items()
                if any(str(k).startswith("execute-") for k in keys)}
        if busy:
            time.sleep(1.0)  # let the sandbox and its kernel start
            worker = next(iter(busy))
            pid = client.run(os.getpid, workers=[worker])[worker]
            if any(str(k).startswith("execute-") for k in client.processing().get(worker, ())):
                os.kill(pid, signal.SIGKILL)
                killed = (worker, pid, busy[worker])
        time.sleep(0.1)
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out
    assert killed, "no worker was seen executing a submission"
    assert "executing on the Dask cluster" in out
    with pytest.raises(ProcessLookupError):
        os.kill(killed[1], 0)
    lines = [ln for ln in out.splitlines() if ln.startswith("  [")]
    assert len(lines) == len(CLASS), out  # one record per submission
    for student in CLASS:
        assert sum(f" {student} " in ln for ln in lines) == 1, out
    assert "graded" in out and "ETA" in out
    metaopt("grade", "export", "--course-root", root, "--db-url", url, "--output", root / "gc.csv", "--quiet")
    rows = read_csv(root / "gc.csv")
    for student, (assignment, _, auto) in CLASS.items():
        row = rows[(student, assignment)]
        assert (row["status"], float(row["auto_score"])) == ("graded", auto), row
    assert _pg_count(url, "SELECT count(*) FROM submitted_assignment") == len(CLASS)
    assert _pg_count(url, "SELECT count(*) FROM grade") == 3 * len(CLASS)


def test_unreachable_cluster_is_a_clear_error(pg_course):
    proc = metaopt("grade", "autograde", "--course-root", pg_course["root"], "--db-url", pg_course["url"],
                   "--force", "--cluster", "tcp://127.0.0.1:9", check=False)
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in proc.stderr
