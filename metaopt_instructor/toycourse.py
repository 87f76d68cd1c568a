"""A tiny course folder (two one-function assignments) for the grader's tests and benchmark.

``make_toy_course(root)`` writes ``solutions/theory_1`` and ``solutions/practice_1`` with the structure of the
real assignments: a locked set-up cell importing ``metaopt_course.grading``, an answer cell, test cells calling
``check_close``/``check_true`` and ``probe`` on per-student hidden inputs (the hidden part carries
``HIDDEN_MARKER``) and a manually graded answer.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HIDDEN_MARKER = "HIDDEN-TEST-7f3a"


def _cell(kind: str, source: str, grade_id: str, *, grade=False, solution=False, locked=False, points=None):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def toy_solution(assignment: str, power: int) -> nbformat.NotebookNode:
    """Source notebook: implement ``f(x) = x**power``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["metaopt"] = {"assignment": assignment}
    nb.cells = [
        _cell("markdown", f"# {assignment}: implement f(x) = x**{power}", "intro", locked=True),
        _cell("code", "import numpy as np\nimport torch\n"
                      "from metaopt_course.grading import check_close, check_true, hidden_generator, probe", "setup",
              locked=True),
        _cell("code", f"def f(x):\n    ### BEGIN SOLUTION\n    return x ** {power}\n    ### END SOLUTION",
              "answer", solution=True),
        _cell("code", f"check_close('test_value:at2', f(2.0), {2.0 ** power})\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "_x = torch.rand(4, generator=hidden_generator('value'), dtype=torch.float64).numpy()\n"
                      f"probe('test_value:array', f(np.arange(4.0) + _x), rtol=1e-12)  # {HIDDEN_MARKER}\n"
                      "### END HIDDEN TESTS", "test_value", grade=True, locked=True, points=2),
        _cell("code", "check_true('test_sign:neg', f(-3.0) != 0, 'f(-3) is not zero')\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "probe('test_sign:random', f(-1 - float(torch.rand(1, generator=hidden_generator('sign')))))\n"
                      "### END HIDDEN TESTS", "test_sign", grade=True, locked=True, points=1),
        _cell("markdown", "### BEGIN SOLUTION\nBecause powers multiply.\n### END SOLUTION", "explain",
              grade=True, solution=True, points=2),
    ]
    return nb


def make_toy_course(root: Path) -> Path:
    root = Path(root)
    for assignment, power in (("theory_1", 2), ("practice_1", 3)):
        folder = root / "solutions" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(toy_solution(assignment, power), folder / f"{assignment}.ipynb")
    return root
