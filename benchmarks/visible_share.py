"""The share of known wrong answers that the VISIBLE checks alone catch (issue 12: target ≥ 60 %).

    python benchmarks/visible_share.py [--only theory_1 ...] [--mutants tests/mutants_theory.py ...] [--root .]

For every row ``(answer_grade_id, wrong_source, expected_failed_test_ids)`` of the ``MUTANTS`` tables
(default: ``tests/mutants_theory.py`` and ``tests/mutants_practice.py``; ``MUTANTS = {assignment: [rows]}``), the
assignment is run the way a student's self-check runs it: the set-up and answer cells of the solution notebook
(the instructor's answers everywhere except ``answer_grade_id``, which gets ``wrong_source``) are executed in a
fresh namespace with no grading environment, then ``metaopt_course.selfcheck.run_checks`` runs the test cells of the
RELEASED notebook (``assignments/<name>/<name>.ipynb``: visible checks only, the hidden regions are not there) in
that namespace. A wrong answer is *caught* when at least one visible test cell does not pass (or the answer cell
itself raises). The correct solution is run first: every visible cell must pass with it, else the assignment is
reported as broken and left out of the share.

Prints one line per wrong answer (caught or not, and which cells), then the share caught per assignment and
overall. Runs in this process (trusted notebooks only, like ``metaopt_instructor/inprocess.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TABLES = ("tests/mutants_theory.py", "tests/mutants_practice.py")
_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def load_table(path: Path) -> dict[str, list[tuple[str, str, set[str]]]]:
    """``MUTANTS`` of the Python file at ``path`` (imported from its own folder's parent as root)."""
    spec = importlib.util.spec_from_file_location(f"_mutants_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: [(gid, src, set(expected)) for gid, src, expected in rows] for name, rows in module.MUTANTS.items()}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_test(cell) -> bool:
    m = _meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def visible_failures(root: Path, name: str, answers: dict[str, str] | None = None) -> set[str]:
    """The test cells of ``assignments/<name>`` whose VISIBLE checks do not pass, the solution's answers replaced
    by ``answers`` ({answer grade_id: source}); ``{"<answer grade_id>"}`` if a replaced answer cell raises."""
    import matplotlib
    import nbformat
    import torch

    from metaopt_course.selfcheck import PASSED, run_checks

    matplotlib.use("Agg")
    answers = answers or {}
    solution = nbformat.read(root / "solutions" / name / f"{name}.ipynb", as_version=4)
    released = root / "assignments" / name / f"{name}.ipynb"
    saved_env = os.environ.pop("NBGRADER_EXECUTION", None)  # a student's kernel: no grading environment
    saved_cwd = Path.cwd()
    torch.manual_seed(0)
    namespace: dict = {"__name__": "__main__"}
    failed: set[str] = set()
    try:
        os.chdir(released.parent)
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in solution.cells:
                if cell.cell_type != "code" or _is_test(cell) or "run_checks(" in cell.source:
                    continue
                gid = _meta(cell).get("grade_id")
                if _meta(cell).get("solution") and gid in answers:
                    source = answers[gid]
                else:
                    source = "\n".join(ln for ln in cell.source.split("\n") if ln.strip() not in _MARKERS)
                try:
                    exec(compile(source, f"<cell {gid}>", "exec"), namespace)
                except Exception:  # noqa: BLE001 - a wrong answer that raises is seen by the student
                    if gid in answers:
                        failed.add(gid)
                    else:
                        raise
            results = run_checks(name, namespace, notebook=released, verbose=False)
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")  # each run's figures
        os.chdir(saved_cwd)
        if saved_env is not None:
            os.environ["NBGRADER_EXECUTION"] = saved_env
    return failed | {r.grade_id for r in results if r.status != PASSED}


def measure(root: Path, tables: dict[str, list], only: set[str] | None = None, out=sys.stdout) -> dict[str, tuple]:
    """{assignment: (caught, total)} (and ``"overall"``); assignments whose correct solution fails a visible check
    are reported and left out."""
    summary: dict[str, tuple[int, int]] = {}
    for name, rows in sorted(tables.items()):
        if only and name not in only:
            continue
        start = time.perf_counter()
        broken = visible_failures(root, name)
        if broken:
            print(f"{name}: the correct solution fails visible cells {sorted(broken)}: left out", file=out)
            continue
        caught = 0
        for gid, source, expected in rows:
            failures = visible_failures(root, name, {gid: source})
            caught += bool(failures)
            mark = "caught " if failures else "MISSED "
            print(f"  {mark} {name}/{gid} (grading fails {sorted(expected)}): visible failures {sorted(failures)}",
                  file=out)
        summary[name] = (caught, len(rows))
        print(f"{name}: {caught}/{len(rows)} caught by visible checks ({_pct(caught, len(rows))}; "
              f"{time.perf_counter() - start:.0f} s)", file=out)
    total = tuple(map(sum, zip(*summary.values()))) if summary else (0, 0)
    summary["overall"] = total
    print(f"overall: {total[0]}/{total[1]} caught by visible checks alone ({_pct(*total)}; target ≥ 60%)", file=out)
    return summary


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(ROOT), help="course root (solutions/, assignments/)")
    parser.add_argument("--mutants", nargs="*", help=f"MUTANTS tables (default: {', '.join(DEFAULT_TABLES)})")
    parser.add_argument("--only", nargs="*", help="assignments to measure (default: all in the tables)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # one line per wrong answer as it is judged (runs take minutes)
    root = Path(args.root).resolve()
    paths = [Path(p) for p in args.mutants] if args.mutants else [root / p for p in DEFAULT_TABLES]
    tables: dict[str, list] = {}
    for path in paths:
        if path.is_file():
            tables.update(load_table(path.resolve()))
        else:
            print(f"(no table {path})", file=sys.stderr)
    if not tables:
        print("no MUTANTS table found", file=sys.stderr)
        return 2
    measure(root, tables, set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
