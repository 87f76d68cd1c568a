"""An assignment notebook run in this process, its check reports collected per test cell — for authors and tests.

Only for trusted notebooks (the instructor's solution and its plausible wrong answers): nothing is sandboxed. It
gives the same verdicts as grading (``metaopt_instructor.verify.judge_cell`` on the reports of the reference and of the
candidate, on the same hidden-input seed) in seconds instead of a sandboxed kernel per variant, so that every
wrong answer of every graded function can be checked to cost exactly the cells that test that function.

    reference = run_notebook(solution, seed=7)
    candidate = run_notebook(solution, seed=7, answers={"tempered_prior": "def tempered_prior(pi, lam): ..."})
    verdicts = judge(reference, candidate, solution)      # {grade id: CellVerdict}
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os

import nbformat

from metaopt_course import cells

from metaopt_instructor import verify

__all__ = ["CellRun", "run_notebook", "judge", "failed_cells"]


@dataclasses.dataclass
class CellRun:
    reports: list[dict]
    error: str | None


@contextlib.contextmanager
def _grading_mode(seed: int, sink: list):
    import metaopt_course.grading as grading

    saved_env, saved_report, saved_seed = os.environ.get("NBGRADER_EXECUTION"), grading._report, grading._hidden_seed
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    grading._report = lambda entry: sink.append(json.loads(json.dumps(entry, allow_nan=True)))
    grading.set_hidden_seed(seed)
    try:
        yield
    finally:
        grading._report, grading._hidden_seed = saved_report, saved_seed
        if saved_env is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = saved_env


def run_notebook(nb: nbformat.NotebookNode, *, seed: int = 0, answers: dict[str, str] | None = None,
                 only_tests: set[str] | None = None) -> dict[str, CellRun]:
    """Execute the code cells of ``nb`` in a fresh namespace (answer cells replaced by ``answers[grade_id]``),
    as under grading with hidden-input ``seed``; {test cell grade id: its reports and its error, if any}.
    ``only_tests``: run only these test cells (the others are skipped)."""
    import matplotlib

    matplotlib.use("Agg")
    answers = answers or {}
    namespace: dict = {"__name__": "__main__"}
    out: dict[str, CellRun] = {}
    sink: list = []
    with _grading_mode(seed, sink):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cells.nbgrader_meta(cell)
            gid = meta.get("grade_id")
            test = cells.is_test_cell(cell)
            if test and only_tests is not None and gid not in only_tests:
                continue
            source = answers.get(gid, cell.source) if meta.get("solution") else cell.source
            sink.clear()
            error = None
            try:
                exec(compile(source, f"<cell {gid}>", "exec"), namespace)
            except Exception as exc:  # noqa: BLE001 - a failing cell is an outcome
                error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
                if not test and not meta.get("solution"):
                    raise RuntimeError(f"set-up cell {gid} failed: {error}") from exc
            if test:
                out[gid] = CellRun(list(sink), error)
    return out


def judge(reference: dict[str, CellRun], candidate: dict[str, CellRun],
          notebook: nbformat.NotebookNode) -> dict[str, verify.CellVerdict]:
    """The grader's verdict on each test cell of ``candidate`` against ``reference`` (same seed); ``notebook``
    (the solution or its release) tells which checks are visible."""
    sources = {cells.nbgrader_meta(c)["grade_id"]: cells.outside_regions(c.source) for c in notebook.cells if cells.is_test_cell(c)}
    verdicts = {}
    for gid, ref in reference.items():
        if gid not in candidate:
            continue
        visible = {r["name"] for r in ref.reports if r["name"] in sources.get(gid, "")}
        verdicts[gid] = verify.judge_cell(candidate[gid].reports, ref.reports, visible)
    return verdicts


def failed_cells(verdicts: dict[str, verify.CellVerdict]) -> set[str]:
    return {gid for gid, v in verdicts.items() if not v.passed}
