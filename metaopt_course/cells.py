"""The roles of an assignment notebook's cells and its region markers, decided once for the whole course.

nbgrader keeps a cell's role in ``metadata.nbgrader`` (``grade``, ``solution``, ``locked``, ``grade_id``,
``points``); the course's tools — the self-check, the release, the grader, the student distribution's leak search,
the sample class — ask the functions below instead of reading those flags themselves:

=================  ======================================  ===========================================
role               flags                                   what it is
=================  ======================================  ===========================================
test cell          code, ``grade``, not ``solution``       autograded checks (visible + hidden region)
answer cell        code, ``solution``, not ``grade``       the student's implementation
written answer     ``grade`` and ``solution``              an answer graded by hand (code or Markdown)
set-up cell        ``locked``, not ``grade``/``solution``  imports and data; must run, cannot be edited
protected cell     has ``grade_id`` and is locked or test  must reach grading exactly as released
=================  ======================================  ===========================================

The regions inside a cell: ``### BEGIN SOLUTION`` … ``### END SOLUTION`` (removed from the release) and
``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` (removed from the release and from feedback).
A cell may be an ``nbformat.NotebookNode`` or a plain ``dict`` read from JSON.
"""

from __future__ import annotations

import re

__all__ = ["REPORT_MIME", "BEGIN_SOLUTION", "END_SOLUTION", "BEGIN_HIDDEN", "END_HIDDEN", "HIDDEN_REGION",
           "nbgrader_meta", "is_test_cell", "is_answer_cell", "is_written_answer", "is_setup_cell", "is_protected",
           "has_regions", "outside_regions", "region_lines"]

REPORT_MIME = "application/vnd.metaopt.check+json"
"""The MIME type of the display outputs by which a test cell's checks report values to the grader."""

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_REGION = re.compile(re.escape(BEGIN_HIDDEN) + r"(.*?)" + re.escape(END_HIDDEN), re.S)

_BEGINS = {BEGIN_SOLUTION: "solution", BEGIN_HIDDEN: "hidden"}
_ENDS = {END_SOLUTION: "solution", END_HIDDEN: "hidden"}


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` (empty when the cell has no nbgrader role)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _code(cell) -> bool:
    return cell.get("cell_type") == "code"


def is_test_cell(cell) -> bool:
    """An autograded test cell: code, ``grade`` set, not a solution."""
    meta = nbgrader_meta(cell)
    return _code(cell) and bool(meta.get("grade")) and not meta.get("solution")


def is_answer_cell(cell) -> bool:
    """A code cell the student fills in (autograded through the test cells)."""
    meta = nbgrader_meta(cell)
    return _code(cell) and bool(meta.get("solution")) and not meta.get("grade")


def is_written_answer(cell) -> bool:
    """An answer graded by hand: ``grade`` and ``solution`` both set (Markdown or code)."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def is_setup_cell(cell) -> bool:
    """A locked code cell that is neither a test nor an answer (imports, data)."""
    meta = nbgrader_meta(cell)
    return _code(cell) and bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def is_protected(cell) -> bool:
    """A cell that must reach grading exactly as released: locked cells and test cells with a ``grade_id``."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade_id")) and bool(meta.get("locked") or is_test_cell(cell))


def has_regions(source: str) -> bool:
    """Whether the text holds a solution or hidden-test region."""
    return BEGIN_SOLUTION in source or BEGIN_HIDDEN in source


def _walk(source: str):
    """(line, region) for every line that is not a marker; region is None, "solution" or "hidden"."""
    region = None
    for line in source.splitlines():
        marker = line.strip()
        if marker in _BEGINS:
            region = _BEGINS[marker]
        elif marker in _ENDS:
            region = None
        else:
            yield line, region


def outside_regions(source: str) -> str:
    """The text with its solution and hidden-test regions (and their markers) removed: what a release shows."""
    return "\n".join(line for line, region in _walk(source) if region is None)


def region_lines(source: str, which: str = "any") -> list[str]:
    """The lines inside the text's regions: ``which`` is "solution", "hidden" or "any"."""
    return [line for line, region in _walk(source) if region is not None and which in ("any", region)]
