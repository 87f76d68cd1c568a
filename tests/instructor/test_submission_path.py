"""From a student's ``make submit`` to the instructor's ``metaopt grade collect``, run the way both run them.

The student distribution is built, a notebook is filled in with correct answers (and Jupyter leaves a checkpoint
beside it), the distribution's own ``make submit`` runs in a subprocess (with the system Python, before any
``.venv`` exists: it needs only the standard library), answering the student-id prompt on stdin; the zips it writes
are collected by the real ``metaopt grade collect`` with a roster, next to today's layouts (a folder and a
``<id>.zip`` per student), a renamed zip, a zip whose name and metadata disagree and a zip bomb.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import dist, samples
from metaopt_course import submission

ROOT = Path(__file__).resolve().parents[2]


def make(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=folder, env=env, text=True,
                          capture_output=True, timeout=120, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def metaopt(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metaopt_instructor", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _fill(folder: Path, assignment: str) -> None:
    """Correct answers in the distribution's notebook, and a stale Jupyter checkpoint beside it."""
    path = folder / "assignments" / assignment / f"{assignment}.ipynb"
    released = nbformat.read(path, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    path.write_bytes(samples.to_bytes(samples.correct(released, solution)))
    checkpoints = path.parent / ".ipynb_checkpoints"
    checkpoints.mkdir(exist_ok=True)
    (checkpoints / f"{assignment}-checkpoint.ipynb").write_bytes(path.read_bytes())


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    folder, _ = dist.build(tmp_path_factory.mktemp("dist"))
    assert not (folder / ".venv").exists()
    for assignment in ("practice_2", "theory_1", "practice_1"):
        _fill(folder, assignment)
    runs = {
        # first time: the id is asked (typed with spaces around it) and kept
        "asked": make(folder, "submit", "ASSIGNMENT=practice_2", stdin="  ivanov.ii \n"),
        # second time: not asked again (stdin closed), the kept id is used
        "kept": make(folder, "submit", "ASSIGNMENT=theory_1"),
    }
    runs["id_file"] = (folder / submission.ID_FILE).read_text(encoding="utf-8")
    # another student on the same copy gives the id on the command line
    runs["given"] = make(folder, "submit", "ASSIGNMENT=practice_1", "STUDENT_ID=petrova")
    (folder / submission.ID_FILE).unlink()
    runs["empty"] = make(folder, "submit", "ASSIGNMENT=practice_1", stdin="\n")
    runs["bad"] = make(folder, "submit", "ASSIGNMENT=practice_1", "STUDENT_ID=ivanov ii")
    runs["no_assignment"] = make(folder, "submit", "ASSIGNMENT=practice_9", "STUDENT_ID=x")
    return folder, runs


def test_make_submit_names_the_zip_by_the_student_id(student):
    folder, runs = student
    for key in ("asked", "kept", "given"):
        assert runs[key].returncode == 0, (key, runs[key].stdout, runs[key].stderr)
    assert "student id" in runs["asked"].stdout and "идентификатор" in runs["asked"].stdout
    assert "ivanov.ii-practice_2.zip" in runs["asked"].stdout
    assert runs["id_file"].strip() == "ivanov.ii"
    assert sorted(p.name for p in folder.glob("*.zip")) == [
        "ivanov.ii-practice_2.zip", "ivanov.ii-theory_1.zip", "petrova-practice_1.zip"]
    with zipfile.ZipFile(folder / "ivanov.ii-practice_2.zip") as zf:
        names = zf.namelist()
        assert names == ["practice_2/practice_2.ipynb"], names  # no .ipynb_checkpoints
        nb = json.loads(zf.read(names[0]))
    assert nb["metadata"]["metaopt"]["student_id"] == "ivanov.ii"
    assert nb["metadata"]["metaopt"].get("assignment") == "practice_2"
    # the notebook itself is what the student wrote (only the id added), and their file is not touched
    original = json.loads((folder / "assignments/practice_2/practice_2.ipynb").read_text(encoding="utf-8"))
    assert "student_id" not in original["metadata"].get("metaopt", {})
    assert [c["source"] for c in nb["cells"]] == [c["source"] for c in original["cells"]]


def test_make_submit_refuses_a_missing_or_bad_id_clearly(student):
    _, runs = student
    for key in ("empty", "bad", "no_assignment"):
        proc = runs[key]
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0, (key, text)
        assert "Traceback" not in text, text
    assert "empty" in runs["empty"].stderr and "пустой" in runs["empty"].stderr
    assert "not a student id" in runs["bad"].stderr and "допустимы" in runs["bad"].stderr
    assert "usage: make submit" in runs["no_assignment"].stdout


def _bomb(path: Path, members: int = 3000, size: int = 80_000) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zero = bytes(size)
        for i in range(members):
            zf.writestr(f"bomb/{i:05d}.ipynb", zero)


@pytest.fixture(scope="module")
def collected(student, tmp_path_factory):
    folder, _ = student
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions", course / "solutions")  # the course's assignments
    inbox = course / "inbox"
    inbox.mkdir()
    for name in ("ivanov.ii-practice_2.zip", "ivanov.ii-theory_1.zip"):
        shutil.copy(folder / name, inbox / name)
    shutil.copy(folder / "petrova-practice_1.zip", inbox / "homework-practice_1.zip")   # renamed by the student
    shutil.copy(folder / "ivanov.ii-practice_2.zip", inbox / "sidorov-practice_2.zip")  # someone else's work
    old = inbox / "old_folder" / "hw"  # today's layouts: a folder and a zip per student id
    old.mkdir(parents=True)
    shutil.copy(folder / "assignments/practice_1/practice_1.ipynb", old / "practice_1.ipynb")
    with zipfile.ZipFile(inbox / "old_zip.zip", "w") as zf:
        zf.write(folder / "assignments/theory_1/theory_1.ipynb", "old_zip/theory_1.ipynb")
    _bomb(inbox / "bomber-practice_1.zip")
    roster = course / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", "surname_ru", "surname_en"])
        for row in (["ivanov.ii", "Иванов", "Ivanov"], ["petrova", "Петрова", "Petrova"],
                    ["sidorov", "Сидоров", "Sidorov"], ["old_folder", "Кузнецов", "Kuznetsov"],
                    ["old_zip", "Смирнов", "Smirnov"], ["bomber", "Попов", "Popov"]):
            writer.writerow(row)
    proc = metaopt("grade", "collect", "--course-root", course, "--from", inbox, "--roster", roster)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return course, proc.stdout


def test_collect_accepts_the_zips_students_make(collected):
    course, out = collected
    submitted = course / "var" / "submitted"
    found = sorted(p.relative_to(submitted).as_posix() for p in submitted.rglob("*.ipynb"))
    assert found == ["ivanov.ii/practice_2/practice_2.ipynb", "ivanov.ii/theory_1/theory_1.ipynb",
                     "old_folder/practice_1/practice_1.ipynb", "old_zip/theory_1/theory_1.ipynb",
                     "petrova/practice_1/practice_1.ipynb", "sidorov/practice_2/practice_2.ipynb"], (found, out)
    nb = json.loads((submitted / "ivanov.ii/practice_2/practice_2.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["metaopt"]["student_id"] == "ivanov.ii"
    assert "unknown student id" not in out, out


def test_collect_reports_renamed_and_mismatched_zips(collected):
    _, out = collected
    problems = [ln for ln in out.splitlines() if ln.startswith("PROBLEM")]
    renamed = [ln for ln in problems if "homework-practice_1.zip" in ln]
    assert len(renamed) == 1 and "'petrova'" in renamed[0] and "collected as 'petrova'" in renamed[0], problems
    mismatch = [ln for ln in problems if "sidorov-practice_2.zip" in ln]
    assert len(mismatch) == 1 and "'ivanov.ii'" in mismatch[0] and "sidorov" in mismatch[0], problems


def test_a_zip_bomb_is_one_line_of_the_report(collected):
    course, out = collected
    lines = [ln for ln in out.splitlines() if "bomber" in ln]
    assert len(lines) == 1, lines[:5]
    assert lines[0].startswith("PROBLEM") and "not collected" in lines[0] and "3000 files" in lines[0], lines
    assert not (course / "var" / "submitted" / "bomber").exists()
    assert len(out.splitlines()) < 20, out


@pytest.mark.serial_heavy
def test_the_submitted_zip_is_graded_like_any_submission(collected):
    """The rest of the instructor's path for one zip as ``make submit`` wrote it: release, sandboxed autograde,
    export — the notebook with the student id in its metadata gets every automatic point."""
    course, _ = collected
    for args in (("release", "theory_1", "--workers", "1"),
                 ("autograde", "theory_1", "--workers", "1", "--student", "ivanov.ii")):
        proc = metaopt("grade", args[0], "--course-root", course, *args[1:])
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    grades = course / "grades.csv"
    proc = metaopt("grade", "export", "--course-root", course, "--output", grades, "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = [r for r in csv.DictReader(grades.read_text(encoding="utf-8").splitlines())
            if r["student_id"] == "ivanov.ii" and r["assignment"] == "theory_1"]
    assert len(rows) == 1, rows
    row = rows[0]
    solution = nbformat.read(ROOT / "solutions/theory_1/theory_1.ipynb", as_version=4)
    full = sum(float(c.metadata["nbgrader"].get("points") or 0) for c in solution.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
               and not c.metadata["nbgrader"].get("solution"))
    assert row["status"] == "graded" and float(row["auto_score"]) == full > 0, row
    assert (row["surname_ru"], row["surname_en"]) == ("Иванов", "Ivanov")
