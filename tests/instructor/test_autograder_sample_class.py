"""The committed sample class, graded once (module fixture) through the demo's grading function.

The course is a temporary copy holding the assignments the sample class was built from, so the repository's own
gradebook and working folder are never touched. Also checks that the committed sample class is exactly what
``metaopt_instructor/sample_class/make.py`` produces from the current solutions.
"""

from __future__ import annotations

import csv
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor.demo import SAMPLE_CLASS, expected_statuses, run_grading_demo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.xdist_group("autograder"), pytest.mark.serial_heavy]


def _chosen() -> dict[str, str]:
    return dict(line.split() for line in (SAMPLE_CLASS / "assignments.txt").read_text().splitlines() if line)


def _max_auto(assignment: str) -> float:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return sum(float(c.metadata["nbgrader"].get("points") or 0) for c in nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
               and not c.metadata["nbgrader"].get("solution"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample-course")
    for name in set(_chosen().values()):
        shutil.copytree(ROOT / "solutions" / name, root / "solutions" / name)
    lines = []
    status = run_grading_demo(workers=2, root=root, log=lines.append)
    rows = list(csv.DictReader((root / "var/grades.csv").read_text(encoding="utf-8").splitlines()))
    return {"root": root, "status": status, "log": "\n".join(lines), "rows": rows}


def test_every_sample_submission_gets_its_status_and_score(graded):
    assert graded["status"] == 0, graded["log"]
    rows = {(r["student_id"], r["assignment"]): r for r in graded["rows"]}
    for key, status in expected_statuses().items():
        assert rows[key]["status"] == status, (key, rows[key])
    chosen = _chosen()
    T, P = chosen["T"], chosen["P"]
    full = {a: _max_auto(a) for a in (T, P)}

    def auto(student, assignment):
        return float(rows[(student, assignment)]["auto_score"])

    assert auto("s01", T) == full[T] and auto("s01", P) == full[P]
    assert 0 < auto("s02", T) < full[T]          # partly wrong
    assert auto("s03", P) == 0                    # raising
    assert auto("s04", T) < full[T]               # hanging
    assert auto("s05", T) == 0                    # not JSON
    assert auto("s06", T) == full[T]              # wrong variant, graded normally
    assert auto("s07", P) == full[P]              # deleted test cell restored and graded
    assert auto("s08", T) == auto("s02", T)       # edited tests restored: same as the partly wrong answers
    assert auto("s09", T) == auto("s02", T)       # hidden error outputs earn nothing extra
    assert auto("s11", P) == 0                    # the kernel died: crashed, no points
    assert set(expected_statuses().values()) >= {"graded", "timeout", "invalid_notebook", "wrong_variant",
                                                 "tampered", "crashed"}  # one submission for every status
    assert "deleted" in rows[("s07", P)]["note"] and "edited" in rows[("s08", T)]["note"]


def test_feedback_pages_show_no_hidden_test(graded):
    from metaopt_instructor.course import Course
    from metaopt_instructor.report import hidden_lines, page_text

    root = graded["root"]
    course = Course(root)
    autograded = sorted(p.relative_to(course.autograded_dir).with_suffix("")
                        for p in course.autograded_dir.rglob("*.ipynb"))
    pages = sorted(p.relative_to(course.feedback_dir).with_suffix("") for p in course.feedback_dir.rglob("*.html"))
    assert pages == autograded and pages
    for page in course.feedback_dir.rglob("*.html"):
        text = page_text(page)
        for line in hidden_lines(course, page.parent.name):
            assert line not in text, (page, line)


def test_collect_reported_the_stray_file_and_the_stranger(graded):
    assert "s10: report.pdf: not a notebook" in graded["log"]
    assert "s99: unknown student id" in graded["log"]
    assert not any(r["student_id"] == "s99" for r in graded["rows"])
    assert [r["status"] for r in graded["rows"] if r["student_id"] == "s10"] == ["missing", "missing"]


def test_missing_rows_for_expected_variants_not_submitted(graded):
    for row in graded["rows"]:
        if row["status"] == "missing":
            assert row["score"] == "0" and row["assignment"] == row["expected_variant"]
    students = {r["student_id"] for r in graded["rows"]}
    assert students == {f"s{i:02d}" for i in range(1, 12)}
    # every student has a row for each of their two expected variants (submitted or missing)
    for student in students:
        expected = {r["expected_variant"] for r in graded["rows"] if r["student_id"] == student}
        assert len(expected - {""}) == 2, (student, expected)


def test_committed_sample_class_is_what_the_script_makes(tmp_path):
    subprocess.run([sys.executable, "-m", "metaopt_instructor.sample_class.make", "--output", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(SAMPLE_CLASS) for p in SAMPLE_CLASS.rglob("*")
                       if p.is_file() and p.name not in ("make.py", "__init__.py") and "__pycache__" not in p.parts)
    assert made == committed
    for rel in made:
        assert filecmp.cmp(tmp_path / rel, SAMPLE_CLASS / rel, shallow=False), (
            f"{rel} differs: rerun `make sample-class` and commit")
