"""Wrong answers of every assignment through the whole pipeline: one sandboxed batch, points lost only where due.

For each of the eight assignments a temporary course holds the solution and, as submissions: the solution's own
answers, and two students who each got a different half of the graded functions wrong (every other function, with
one of the plausible wrong answers of ``tests/instructor/mutants_theory.py`` / ``tests/instructor/mutants_practice.py``). All of them are
graded as one batch by ``metaopt grade autograde`` (2 workers, sandboxed when bubblewrap is usable). Each student's
failed test cells must be exactly the cells of the functions they broke — one mistake costs one function, however
the functions call each other — and every status must be ``graded`` (no honest mistake is called tampering).

The in-process tests of the same tables (``metaopt_instructor.inprocess``) check every wrong answer one by one, in seconds;
this module checks that the real grader, sandbox and gradebook agree with them.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import samples
from metaopt_instructor.course import Course

ROOT = Path(__file__).resolve().parents[2]


def _tables() -> dict[str, list[tuple[str, str, set[str]]]]:
    out = {}
    for module in ("mutants_theory", "mutants_practice"):
        try:
            table = importlib.import_module(module).MUTANTS
        except ModuleNotFoundError:
            continue
        for assignment, rows in table.items():
            out.setdefault(assignment, []).extend((gid, src, set(cells)) for gid, src, cells in rows)
    return out


MUTANTS = _tables()
pytestmark = [pytest.mark.skipif(not MUTANTS, reason="no wrong-answer tables yet"), pytest.mark.serial_heavy]


def _halves(rows):
    """Two submissions: the first wrong answer of every other graded function, then of the remaining ones."""
    first = {}
    for gid, source, cells in rows:
        first.setdefault(gid, (source, cells))
    functions = sorted(first)
    return [{gid: first[gid] for gid in functions[k::2]} for k in (0, 1)]


def _metaopt(*args):
    proc = subprocess.run([sys.executable, "-m", "metaopt_instructor", *map(str, args)], capture_output=True, text=True,
                          timeout=3000, cwd=ROOT)
    assert proc.returncode == 0, f"metaopt {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for assignment in MUTANTS:
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
    _metaopt("grade", "release", "--course-root", root, "--no-reference")
    course = Course(root)
    plan = {}
    for assignment, rows in MUTANTS.items():
        released = nbformat.read(course.released_notebook(assignment, assignment), as_version=4)
        solution = nbformat.read(course.source_dir / assignment / f"{assignment}.ipynb", as_version=4)
        students = {f"{assignment}_ok": {}}
        for k, half in enumerate(_halves(rows)):
            students[f"{assignment}_half{k}"] = half
        for student, broken in students.items():
            nb = samples.correct(released, solution)
            for cell in nb.cells:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid in broken:
                    cell.source = broken[gid][0]
            folder = course.submission_dir(student, assignment)
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            plan[(student, assignment)] = set().union(*(cells for _, cells in broken.values())) if broken else set()
    log = _metaopt("grade", "autograde", "--course-root", root, "--workers", "2")
    return course, plan, log


def _failed_cells(course: Course, student: str, assignment: str) -> tuple[set[str], set[str]]:
    """(test cells that scored 0, all test cells) of a graded submission, read from the gradebook."""
    failed, tests = set(), set()
    with course.gradebook() as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for grade in nb.grades:
                cell = grade.cell
                if cell.cell_type == "code" and not grade.needs_manual_grade and grade.auto_score is not None:
                    tests.add(cell.name)
                    if grade.auto_score < cell.max_score:
                        failed.add(cell.name)
    return failed, tests


def test_every_submission_is_graded_not_accused(graded):
    course, plan, log = graded
    for student, assignment in plan:
        status = course.read_status(assignment, student)
        assert status and status["status"] == "graded", (student, assignment, status, log[-2000:])


def test_points_are_lost_only_in_the_cells_of_the_broken_functions(graded):
    course, plan, _ = graded
    for (student, assignment), expected in plan.items():
        failed, tests = _failed_cells(course, student, assignment)
        assert expected <= tests, (assignment, expected - tests)
        assert failed == expected, (student, assignment, {"lost too": failed - expected,
                                                          "kept wrongly": expected - failed})
