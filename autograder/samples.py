"""Synthetic student submissions made from an assignment's released notebook and its solution.

Used by the sample class (``autograder/sample_class/make.py``), the tests and the benchmark. Each kind is a
function ``(released, solution) -> notebook or bytes``; the notebook starts from the released version with the
solution's answers filled in (``### BEGIN/END SOLUTION`` markers removed), as a diligent student would submit.
"""

from __future__ import annotations

import copy
import re

import nbformat

_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def answer_source(source: str) -> str:
    """The solution's answer as a student would write it (solution markers removed)."""
    return _MARKERS.sub("", source)


def correct(released, solution):
    """The released notebook with every answer cell filled with the instructor's solution."""
    answers = {_meta(c).get("grade_id"): c.source for c in solution.cells if _meta(c).get("solution")}
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in answers:
            cell.source = answer_source(answers[gid])
    return nb


def _code_answers(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("solution") and not _meta(c).get("grade")]


def _test_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")]


def partly_wrong(released, solution):
    """Correct except the last code answer, left as released (the stub raises NotImplementedError)."""
    nb = correct(released, solution)
    stub = {_meta(c).get("grade_id"): c.source for c in released.cells}
    last = _code_answers(nb)[-1]
    last.source = stub[_meta(last)["grade_id"]]
    return nb


def raising(released, solution):
    """Every code answer raises before defining anything (a student's bug): all autograded tests fail."""
    nb = correct(released, solution)
    for cell in _code_answers(nb):
        cell.source = "raise RuntimeError('student bug / ошибка студента')\n\n" + cell.source
    return nb


def hanging(released, solution):
    """The first code answer loops forever at the top level (one cell time-out; later tests then fail)."""
    nb = correct(released, solution)
    first = _code_answers(nb)[0]
    first.source = "import time\nwhile True:\n    time.sleep(0.5)\n\n" + first.source
    return nb


def deleted_test(released, solution):
    """Correct answers, the first test cell deleted (restored by the grader, marked tampered)."""
    nb = correct(released, solution)
    victim = _test_cells(nb)[0]
    nb.cells = [c for c in nb.cells if c is not victim]
    return nb


def edited_test(released, solution):
    """Answers partly wrong, every test cell's checks replaced by ``pass`` (restored, marked tampered)."""
    nb = partly_wrong(released, solution)
    for cell in _test_cells(nb):
        cell.source = "pass  # the tests are fine / тесты в порядке\n"
    return nb


def helpers_replaced(released, solution):
    """Correct answers plus code that replaces the comparison helpers (caught by metaopt_lib.grading)."""
    nb = correct(released, solution)
    first = _code_answers(nb)[0]
    first.source += ("\n\nimport numpy as _np, torch as _torch\n"
                     "_np.allclose = lambda *a, **k: True\n_torch.allclose = lambda *a, **k: True\n"
                     "_np.testing.assert_allclose = lambda *a, **k: None\n")
    return nb


def silenced_errors(released, solution):
    """Partly wrong answers plus code that hides every error output (caught by the outside verification)."""
    nb = partly_wrong(released, solution)
    first = _code_answers(nb)[0]
    first.source += ("\n\n_ip = get_ipython()\n_ip.showtraceback = lambda *a, **k: None\n"
                     "_ip._showtraceback = lambda *a, **k: None\n")
    return nb


def not_json(released, solution) -> bytes:
    """A truncated notebook (what a crashed editor leaves behind)."""
    text = nbformat.writes(correct(released, solution))
    return text[: len(text) // 2].encode("utf-8")


KINDS = {f.__name__: f for f in (correct, partly_wrong, raising, hanging, deleted_test, edited_test,
                                 helpers_replaced, silenced_errors, not_json)}


def to_bytes(result) -> bytes:
    return result if isinstance(result, bytes) else nbformat.writes(result).encode("utf-8")
