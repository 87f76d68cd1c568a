"""The instructor's pipeline on a temporary toy course, run the way an instructor runs it (``metaopt grade …``).

One module-scoped fixture releases, collects and autogrades — as ONE sandboxed batch with 2 workers — a class
covering the hostile cases the real sample class does not: a submission that attacks the machine, one that replaces
the comparison helpers, one that hides its error outputs, and every attack on the verdicts (``samples.ATTACKS``:
check functions redefined in the namespace, the grading module patched, reports sent twice, a hook leaking every
cell's source, 200 MB of output, a SIGINT-proof hang, junk written to the kernel's descriptors, ``sys.exit``,
``os._exit``); plus a correct, a wrong, a not-JSON and a wrong-variant submission, a stray file and an unknown id.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import samples
from metaopt_instructor.course import Course
from metaopt_instructor.sandbox import sandbox_status
from metaopt_instructor.toycourse import HIDDEN_MARKER, make_toy_course

pytestmark = [pytest.mark.xdist_group("autograder"), pytest.mark.serial_heavy]

ROSTER = """student_id,surname_ru,surname_en
s_ok,Кузнецов,Kuznetsov
s_wrong,Семёнов,Semenov
s_hostile,Виноградова,Vinogradova
s_helpers,Беляева,Beliaeva
s_silent,Кузнецова,Kuznetsova
s_badjson,Семёнова,Semenova
s_variant,Петров,Petrov
s_forged,Ковалёв,Kovalev
s_patched,Баранов,Baranov
s_double,Богданов,Bogdanov
s_leak,Крылов,Krylov
s_huge,Власов,Vlasov
s_hang,Мельников,Melnikov
s_flood,Гаврилов,Gavrilov
s_exit,Савельев,Savelev
s_hardexit,Фомин,Fomin
"""
ATTACKERS = {"s_forged": "forged_checks", "s_patched": "patched_internals", "s_double": "double_reports",
             "s_leak": "leaking_hook", "s_huge": "huge_output", "s_hang": "sigint_proof_hang",
             "s_flood": "descriptor_flood", "s_exit": "exits", "s_hardexit": "hard_exit"}
CELL_TIMEOUT = 30


def metaopt(*args, cwd=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "metaopt_instructor", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"metaopt {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def hostile(released, solution, course_root: Path, outside: Path, tmp_outside: Path):
    """Correct answers plus a cell body that tries to reach the gradebook, the network and the disk."""
    nb = samples.correct(released, solution)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code")
    cell.source += f"""

import json as _json, os as _os, socket as _socket
_report = {{}}
def _try(key, fn):
    try:
        fn()
        _report[key] = "SUCCEEDED"
    except BaseException as err:
        _report[key] = type(err).__name__
_try("gradebook", lambda: open({str(course_root / 'var' / 'gradebook.db')!r}, "rb").read(16))
_try("solutions", lambda: _os.listdir({str(course_root / 'solutions')!r}))
_try("socket", lambda: _socket.create_connection(("1.1.1.1", 53), timeout=3))
_try("write_outside", lambda: open({str(outside)!r}, "w").write("pwned"))
open({str(tmp_outside)!r}, "w").write("pwned")  # the sandbox's /tmp is its own tmpfs: this may succeed
_try("write_course", lambda: open({str(course_root / 'var' / 'pwned.txt')!r}, "w").write("x"))
print("HOSTILE-REPORT " + _json.dumps(_report, sort_keys=True))
"""
    return nb


def _with_unknown_grade_cell(nb):
    """A graded cell the release does not know (an older release's id): it must not break grading."""
    cell = nbformat.v4.new_code_cell("x_extra = 1")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "from_an_older_release", "locked": True, "points": 5,
                                 "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = make_toy_course(tmp_path_factory.mktemp("course"))
    metaopt("grade", "release", "--course-root", root, "--workers", "2")
    inbox = root / "inbox"
    inbox.mkdir()
    outside = root.parent / "pwned.txt"
    tmp_outside = Path("/tmp") / f"metaopt-hostile-{os.getpid()}.txt"
    rel = nbformat.read(root / "assignments" / "theory_1" / "theory_1.ipynb", as_version=4)
    sol = nbformat.read(root / "solutions" / "theory_1" / "theory_1.ipynb", as_version=4)
    prel = nbformat.read(root / "assignments" / "practice_1" / "practice_1.ipynb", as_version=4)
    psol = nbformat.read(root / "solutions" / "practice_1" / "practice_1.ipynb", as_version=4)
    kinds = {
        "s_ok": samples.correct(rel, sol),
        "s_wrong": samples.partly_wrong(rel, sol),
        "s_hostile": hostile(rel, sol, root, outside, tmp_outside),
        "s_helpers": samples.helpers_replaced(rel, sol),
        "s_silent": samples.silenced_errors(rel, sol),
        "s_badjson": samples.not_json(rel, sol),
        "s_variant": _with_unknown_grade_cell(samples.correct(rel, sol)),
        "s_stranger": samples.correct(rel, sol),
        **{student: samples.ATTACKS[kind](rel, sol) for student, kind in ATTACKERS.items()},
    }
    for student, nb in kinds.items():
        folder = inbox / student / "homework"
        folder.mkdir(parents=True)
        (folder / "theory_1.ipynb").write_bytes(samples.to_bytes(nb))
    (inbox / "s_ok" / "notes.txt").write_text("not a notebook")
    with zipfile.ZipFile(inbox / "s_ok_zip.zip", "w") as zf:  # a zip submission (practice_1)
        zf.writestr("s_ok_zip/practice_1.ipynb", samples.to_bytes(samples.correct(prel, psol)))
    roster = root / "roster.csv"
    roster.write_text(ROSTER + "s_ok_zip,Кузнецов,Kuznetsov\n", encoding="utf-8")
    collected = metaopt("grade", "collect", "--course-root", root, "--from", inbox, "--roster", roster)
    graded = metaopt("grade", "autograde", "--course-root", root, "--workers", "2", "--cell-timeout", CELL_TIMEOUT)
    fb = metaopt("grade", "feedback", "--course-root", root)
    grades = root / "grades.csv"
    exported = metaopt("grade", "export", "--course-root", root, "--output", grades)
    rows = list(csv.DictReader(grades.read_text(encoding="utf-8").splitlines()))
    yield {"root": root, "collect": collected.stdout, "autograde": graded.stdout, "feedback": fb.stdout,
           "export": exported.stdout, "rows": rows, "outside": [outside, tmp_outside], "csv": grades}
    for path in (outside, tmp_outside):
        if path.exists():
            path.unlink()


def _row(toy, student, assignment="theory_1"):
    matches = [r for r in toy["rows"] if r["student_id"] == student and r["assignment"] == assignment]
    assert len(matches) == 1, (student, assignment, toy["rows"])
    return matches[0]


def test_collect_reports_problems_and_collects_the_rest(toy):
    out = toy["collect"]
    assert "s_stranger" in out and "unknown student id" in out
    assert "notes.txt: not a notebook" in out
    assert "s_badjson" in out and "not valid JSON" in out
    root = toy["root"]
    assert (root / "var/submitted/s_ok/theory_1/theory_1.ipynb").exists()
    assert (root / "var/submitted/s_ok_zip/practice_1/practice_1.ipynb").exists()
    assert (root / "var/submitted/s_badjson/theory_1/theory_1.ipynb").exists()
    assert not (root / "var/submitted/s_stranger").exists()


def test_statuses_and_scores(toy):
    expect = {  # student: (status, auto_score); theory_1's autograded points are 2 + 1, manual 2
        "s_ok": ("graded", "3"),
        "s_wrong": ("graded", "0"),
        "s_hostile": ("graded", "3"),
        "s_helpers": ("graded", "3"),      # replaced np/torch helpers change no verdict: graded on its values
        "s_silent": ("graded", "0"),       # hidden tracebacks hide nothing: the stub still fails its cells
        "s_badjson": ("invalid_notebook", "0"),
        "s_variant": ("wrong_variant", "3"),
        # attacks on the verdicts, all starting from wrong answers: no forged point
        "s_forged": ("graded", "0"),
        "s_patched": ("graded", "0"),
        "s_double": ("tampered", "0"),
        # attacks on the worker, with correct answers
        "s_leak": ("graded", "3"),
        "s_huge": ("graded", "3"),
        "s_hang": ("timeout", "0"),
        "s_exit": ("crashed", "3"),
        "s_hardexit": ("crashed", "0"),
    }
    for student, (status, auto) in expect.items():
        row = _row(toy, student)
        assert (row["status"], row["auto_score"]) == (status, auto), row
        assert row["max_score"] == "5"
    flood = _row(toy, "s_flood")
    assert flood["status"] in ("timeout", "crashed") and flood["auto_score"] == "0", flood
    assert _row(toy, "s_ok_zip", "practice_1")["status"] == "graded"
    assert _row(toy, "s_ok_zip", "practice_1")["auto_score"] == "3"
    assert "reported 2 times" in _row(toy, "s_double")["note"]
    assert "sys.exit" in _row(toy, "s_exit")["note"]
    assert "ignored the interrupt" in _row(toy, "s_hang")["note"]


def test_a_blocked_kernel_frees_its_worker_within_the_cell_limit_plus_grace(toy):
    """SIGINT ignored, descriptors flooded: killed after the cell limit + the grace, not the submission limit."""
    from metaopt_instructor.sandbox import Limits

    course = Course(toy["root"])
    for student in ("s_hang", "s_flood"):
        status = course.read_status("theory_1", student)
        # the blocked cell was killed right after its limit + the grace (wall clock of that cell, measured by the
        # executor), and the whole submission ended far below its own limit of 600 s
        assert status["longest_cell_seconds"] < CELL_TIMEOUT + Limits().grace + 5, status  # 5 s: the kill
        assert status["seconds"] < 300, status


def test_output_is_bounded_in_bytes(toy):
    root = toy["root"]
    graded = root / "var/autograded/s_huge/theory_1/theory_1.ipynb"
    assert graded.stat().st_size < 2_000_000, graded.stat().st_size
    assert "output cut" in graded.read_text(encoding="utf-8")
    page = root / "var/feedback/s_huge/theory_1/theory_1.html"
    assert page.stat().st_size < 3_000_000


def test_feedback_shows_verdicts_not_what_test_cells_printed(toy):
    """The leaking hook printed every cell's source (base64) while the test cells ran: none of it is shown."""
    import base64

    root = toy["root"]
    page = (root / "var/feedback/s_leak/theory_1/theory_1.html").read_text(encoding="utf-8")
    graded = nbformat.read(root / "var/autograded/s_leak/theory_1/theory_1.ipynb", as_version=4)
    for cell in graded.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade") and HIDDEN_MARKER in cell.source:
            assert base64.b64encode(cell.source.encode()).decode() not in page
    printed = "".join(o.get("text", "") for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "LEAK " not in printed  # the hook ran only before test cells: every such print was dropped
    assert "All 2 checks passed" in page or "All 1 checks passed" in page


def test_missing_and_expected_variants(toy):
    # Семёнов/Semenov: theory_1 and practice_1; only theory_1 submitted
    missing = _row(toy, "s_wrong", "practice_1")
    assert missing["status"] == "missing" and missing["score"] == "0" and missing["expected_variant"] == "practice_1"
    variant = _row(toy, "s_variant")
    assert variant["expected_variant"] == "theory_4"
    assert "Петров" in variant["note"]  # the note names the roster's surnames (UTF-8)
    assert _row(toy, "s_variant", "theory_4")["status"] == "missing"


def test_csv_columns_and_encoding(toy):
    raw = toy["csv"].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == ("student_id,surname_ru,surname_en,assignment,expected_variant,auto_score,"
                                    "manual_score,score,max_score,student_total,student_max,needs_manual,status,"
                                    "feedback,note")
    assert "Петров" in text
    statuses = {r["status"] for r in toy["rows"]}
    assert statuses <= {"graded", "timeout", "crashed", "invalid_notebook", "wrong_variant", "tampered", "missing"}


@pytest.mark.skipif(not sandbox_status()[0], reason=f"no grading sandbox here: {sandbox_status()[1]}")
def test_hostile_submission_gets_nothing(toy):
    root = toy["root"]
    nb = nbformat.read(root / "var/autograded/s_hostile/theory_1/theory_1.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    line = next(ln for ln in text.splitlines() if ln.startswith("HOSTILE-REPORT "))
    report = json.loads(line.split(" ", 1)[1])
    assert "SUCCEEDED" not in report.values(), report
    assert not any(path.exists() for path in toy["outside"])
    assert not (root / "var/pwned.txt").exists()


def test_feedback_has_no_hidden_tests(toy):
    root = toy["root"]
    pages = sorted((root / "var/feedback").rglob("*.html"))
    students = {p.relative_to(root / "var/feedback").parts[0] for p in pages}
    assert {"s_ok", "s_wrong", "s_helpers"} <= students
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert HIDDEN_MARKER not in html, page
        assert "probe('test_value:array'" not in html, page
    # the failing hidden check's traceback (s_wrong fails every check) shows no source line either
    wrong = (root / "var/feedback/s_wrong/theory_1/theory_1.html").read_text(encoding="utf-8")
    assert "NotImplementedError" in wrong


def test_autograded_notebook_keeps_restored_hidden_tests_out_of_student_dirs(toy):
    root = toy["root"]
    # released notebooks have no hidden tests; the grader restored them only in the autograded copy
    assert HIDDEN_MARKER not in (root / "assignments/theory_1/theory_1.ipynb").read_text(encoding="utf-8")
    assert HIDDEN_MARKER in (root / "var/autograded/s_ok/theory_1/theory_1.ipynb").read_text(
        encoding="utf-8")


def test_rerun_is_idempotent_and_keeps_manual_grades(toy):
    root = toy["root"]
    course = Course(root)
    with course.gradebook() as gb:
        grade = gb.find_grade("explain", "theory_1", "theory_1", "s_ok")
        grade.manual_score = 1.5
        gb.db.commit()
    before = {(r["student_id"], r["assignment"]): r for r in toy["rows"]}
    metaopt("grade", "autograde", "theory_1", "--course-root", root, "--workers", "2", "--cell-timeout", CELL_TIMEOUT,
            "--student", "s_ok", "--student", "s_helpers", "--force")
    out = root / "grades2.csv"
    metaopt("grade", "export", "--course-root", root, "--output", out, "--quiet")
    after = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(out.read_text("utf-8").splitlines())}
    assert set(after) == set(before)
    for key, row in after.items():
        old = dict(before[key])
        if key == ("s_ok", "theory_1"):
            assert row["manual_score"] == "1.5" and row["score"] == "4.5", row
            old.update(manual_score="1.5", score="4.5")
        if key[0] == "s_ok" and old["student_total"]:  # the student's total over their variants follows
            old["student_total"] = f"{float(old['student_total']) + 1.5:g}"
        assert row == old, key


def test_help_of_every_command():
    for command in ("release", "collect", "autograde", "feedback", "export"):
        out = metaopt("grade", command, "--help").stdout
        assert f"metaopt grade {command}" in out


def test_bad_input_gets_a_clear_message(tmp_path):
    root = make_toy_course(tmp_path / "course")
    proc = metaopt("grade", "collect", "--course-root", root, "--from", tmp_path / "nowhere", check=False)
    assert proc.returncode == 2 and "not a folder" in proc.stderr
    bad_roster = tmp_path / "roster.csv"
    bad_roster.write_text("id,name\n1,x\n", encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    proc = metaopt("grade", "collect", "--course-root", root, "--from", tmp_path / "inbox", "--roster", bad_roster,
                   check=False)
    assert proc.returncode == 2 and "student_id,surname_ru,surname_en" in proc.stderr
    proc = metaopt("grade", "release", "nonexistent", "--course-root", root, check=False)
    assert proc.returncode == 2 and "unknown assignment" in proc.stderr


def test_a_grader_error_becomes_that_submissions_status(toy, monkeypatch):
    """Last in this module: it overwrites s_wrong's status."""
    from metaopt_instructor.grade import Grader, Job

    course = Course(toy["root"])
    grader = Grader(course, workers=1, log=lambda m: None)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(grader, "record", boom)
    with course.gradebook() as gb:
        result = grader.record_safely(Job("s_wrong", "theory_1", {}, {}, {}), gb, {})
        sub = gb.find_submission("theory_1", "s_wrong")
        assert sub.score == 0
    assert result["status"] == "crashed" and "disk full" in result["note"]
    assert course.read_status("theory_1", "s_wrong")["status"] == "crashed"
