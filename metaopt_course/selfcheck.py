"""Students' self-check: run the visible test cells of an assignment notebook and show which pass.

An assignment notebook ends with a locked cell::

    from metaopt_course.selfcheck import run_checks
    run_checks("theory_1")

It reads the saved notebook file (``theory_1.ipynb`` in the current folder, or any notebook there whose
``metadata.metaopt.assignment`` is ``"theory_1"``), takes its test cells (nbgrader ``grade=True`` code cells —
in a released notebook these are the visible tests only; hidden tests run at grading), executes each in the
notebook's namespace (so the functions the student defined are the ones tested) and prints one line per test
cell, in English and Russian: passed, failed (with the check's own message), or not yet implemented; then the
written answers (graded by hand) that still hold the released placeholder. It says what it is: visible checks on a
few fixed inputs. The points are decided by hidden checks on other inputs, drawn for each student, and by hand —
passing here is necessary, never a promise of points.
Test cells are read from the file, the student's functions from the running kernel: run the answer cells first.

Under nbgrader (``NBGRADER_EXECUTION`` set) it does nothing: the grader runs the test cells itself. One exception:
under nbgrader's Validate (``NBGRADER_EXECUTION=validate``) it writes the written answers that still hold the
placeholder to stderr. nbgrader 0.9.6's Validator cannot flag an unanswered Markdown answer (it skips Markdown grade
cells), but with ``Validator.validate_all = True`` (the student distribution's ``.jupyter/nbgrader_config.py``) it
fails every code cell that wrote to stderr and shows that text — so Validate lists the TODO instead of "Success!".
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from metaopt_course import cells
from metaopt_lib.i18n import both

__all__ = ["CheckResult", "find_notebook", "test_cells", "unanswered", "run_checks"]

PLACEHOLDER = "YOUR ANSWER HERE"  # the start of the released text stub (nbgrader_config.py: ClearSolutions)

PASSED, FAILED, NOT_DONE = "passed", "failed", "not implemented"
_LABELS = {PASSED: ("PASS", "пройден"), FAILED: ("FAIL", "не пройден"),
           NOT_DONE: ("TODO", "не реализовано")}


@dataclass
class CheckResult:
    """The outcome of one visible test cell."""

    grade_id: str
    points: float
    status: str  # "passed" | "failed" | "not implemented"
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def find_notebook(assignment: str, folder: str | os.PathLike = ".") -> Path:
    """``<folder>/<assignment>.ipynb``, or the notebook in ``folder`` whose metadata names ``assignment``."""
    folder = Path(folder)
    direct = folder / f"{assignment}.ipynb"
    if direct.is_file():
        return direct
    for path in sorted(folder.glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        if meta.get("metaopt", {}).get("assignment") == assignment:
            return path
    raise FileNotFoundError(both(
        f"no notebook of assignment {assignment!r} in {folder.resolve()}: open the assignment's own notebook "
        f"and save it (Ctrl+S) before the self-check",
        f"в папке {folder.resolve()} нет ноутбука задания {assignment!r}: откройте ноутбук самого задания "
        f"и сохраните его (Ctrl+S) перед самопроверкой"))


def test_cells(path: str | os.PathLike) -> list[tuple[str, float, str]]:
    """(grade_id, points, source) of every nbgrader test cell of the notebook at ``path``, in order."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(both(f"{path} is not a valid notebook (JSON): {exc}",
                              f"{path} — не корректный ноутбук (JSON): {exc}")) from None
    found = []
    for cell in nb.get("cells", []):
        if cells.is_test_cell(cell):
            meta = cells.nbgrader_meta(cell)
            found.append((meta.get("grade_id", "?"), float(meta.get("points", 0) or 0), _source(cell)))
    return found


def _source(cell: dict) -> str:
    """A cell's text (JSON notebooks may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def unanswered(path: str | os.PathLike) -> list[tuple[str, float]]:
    """(grade_id, points) of the manually graded answers of the saved notebook that still hold the placeholder."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        meta, source = cells.nbgrader_meta(cell), _source(cell)
        if cells.is_written_answer(cell) and (PLACEHOLDER in source or not source.strip()):
            out.append((meta.get("grade_id", "?"), float(meta.get("points", 0) or 0)))
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 400 else text[:400] + " ..."


def run_checks(assignment: str, namespace: dict | None = None, notebook: str | os.PathLike | None = None,
               verbose: bool = True) -> list[CheckResult]:
    """Run the visible test cells of ``assignment`` in ``namespace`` (default: the caller's globals).

    Returns one :class:`CheckResult` per test cell and prints a bilingual table with a summary line.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        if os.environ["NBGRADER_EXECUTION"] == "validate":
            _todo_to_stderr(assignment, notebook)
        return []
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    path = Path(notebook) if notebook is not None else find_notebook(assignment)
    results = []
    for grade_id, points, source in test_cells(path):
        try:
            exec(compile(source, f"<test cell {grade_id}>", "exec"), namespace)
        except NotImplementedError:
            results.append(CheckResult(grade_id, points, NOT_DONE,
                                       both("a function used here still raises NotImplementedError",
                                            "используемая здесь функция ещё вызывает NotImplementedError")))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the self-check
            where = traceback.extract_tb(exc.__traceback__)
            line = next((f"line {f.lineno}: {f.line}" for f in reversed(where)
                         if f.filename.startswith("<test cell")), "")
            results.append(CheckResult(grade_id, points, FAILED,
                                       f"{type(exc).__name__}: {_first_line(exc)}" + (f"\n    [{line}]" if line else "")))
        else:
            results.append(CheckResult(grade_id, points, PASSED))
    if verbose:
        _print(path, results, unanswered(path))
    return results


def _todo_to_stderr(assignment: str, notebook: str | os.PathLike | None) -> None:
    """Under Validate: the unanswered written answers, one line each, on stderr (nothing if all are written)."""
    try:
        path = Path(notebook) if notebook is not None else find_notebook(assignment)
        todo = unanswered(path)
    except Exception:  # noqa: BLE001 - Validate must not fail because of the self-check itself
        return
    for grade_id, points in todo:
        print(f"[TODO / не сделано] {grade_id} ({points:g} pt / балл.): "
              + both("the written answer still holds the placeholder", "в письменном ответе ещё заготовка"),
              file=sys.stderr)


def _print(path: Path, results: list[CheckResult], todo: list[tuple[str, float]]) -> None:
    print(both(f"Self-check of {path.name}: visible tests only (hidden tests run when the work is graded)",
               f"Самопроверка {path.name}: только открытые тесты (скрытые запускаются при оценивании)"))
    for r in results:
        en, ru = _LABELS[r.status]
        print(f"  [{en} / {ru}] {r.grade_id} ({r.points:g} pt / балл.)")
        if r.message:
            for line in r.message.splitlines():
                print(f"      {line}")
    for grade_id, points in todo:
        print(f"  [TODO / не сделано] {grade_id} ({points:g} pt / балл.): "
              + both("the written answer still holds the placeholder", "в письменном ответе ещё заготовка"))
    n_ok = sum(r.passed for r in results)
    total = sum(r.points for r in results)
    print(both(f"{n_ok} of {len(results)} test cells pass their visible checks. These are a few fixed examples: the "
               f"{total:g} autograded points are decided by hidden checks on other inputs, drawn for you, so a pass "
               f"here is not yet a point.",
               f"{n_ok} из {len(results)} тестовых ячеек проходят открытые проверки. Это несколько фиксированных "
               f"примеров: {total:g} автоматически оцениваемых баллов решают скрытые проверки на других входных "
               f"данных, выбранных для вас, так что пройденная здесь проверка — ещё не балл."))
    if todo:
        print(both(f"{len(todo)} written answer(s) ({sum(p for _, p in todo):g} points, graded by hand) not written yet.",
                   f"Не написано письменных ответов: {len(todo)} ({sum(p for _, p in todo):g} балл., проверяются "
                   f"вручную)."))
