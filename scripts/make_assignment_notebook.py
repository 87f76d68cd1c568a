#!/usr/bin/env python
"""Write the nbgrader source notebooks ``solutions/<name>/<name>.ipynb`` from jupytext sources.

The readable sources live in ``scripts/assignment_sources/<name>.py`` (jupytext ``py:percent``), NOT inside
``solutions/<name>/``: nbgrader's ``generate_assignment`` copies every file of the source folder into the
release, and a ``.py`` holding the solutions and hidden tests must never reach students.

A cell's role is written in its jupytext header and becomes nbgrader metadata (schema version 3)::

    # %% nb="setup"                          locked code cell (imports, data), must not raise
    # %% nb="answer" gid="bound"              autograded answer: solution region, stubbed on release
    # %% nb="tests" gid="test_bound" points=4 locked test cell, graded automatically (hidden tests allowed)
    # %% [markdown] nb="manual" gid="proof" points=10   manually graded answer (markdown)
    # %% [markdown]                            instruction text: locked automatically
    # %% nb="free"                             an ordinary, editable code cell (scratch, self-check)

Cell ids are the grade ids (or ``<name>-cell-NN``), so regenerating gives byte-identical notebooks. The notebook's
metadata names its source and its generator (``metaopt.source``, ``metaopt.generated``); ``make solutions`` runs
this script and records the notebooks in ``generated.json`` (``make check``).

Usage::

    python scripts/make_assignment_notebook.py             # all sources
    python scripts/make_assignment_notebook.py theory_1    # one
    python scripts/make_assignment_notebook.py --check     # exit 1 if a notebook differs from its source
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from metaopt_course import KERNELSPEC

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "scripts" / "assignment_sources"
ROLES = ("setup", "answer", "tests", "manual", "free", "locked")
# the mark every built notebook carries (notebook metadata ``metaopt.generated``; nbgrader keeps it in the release)
GENERATED = ("by `make solutions` (the student version in assignments/ by `make assignments`); "
             "edit the source, not this file")


def sources() -> list[Path]:
    return sorted(SOURCES.glob("*.py"))


def target(name: str, root: Path = ROOT) -> Path:
    return root / "solutions" / name / f"{name}.ipynb"


def build(name: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of assignment ``name`` (no outputs, deterministic ids)."""
    import jupytext

    path = SOURCES / f"{name}.py"
    text = jupytext.read(path, fmt="py:percent")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC),
                   "language_info": {"name": "python"},
                   "metaopt": {"assignment": name, "source": f"scripts/assignment_sources/{name}.py",
                               "generated": GENERATED}}
    seen = set()
    for i, cell in enumerate(text.cells):
        meta = dict(cell.metadata)
        role = meta.pop("nb", None)
        gid = meta.pop("gid", None)
        points = meta.pop("points", None)
        for layout in ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker"):
            meta.pop(layout, None)  # jupytext's layout hints, not content
        if meta:
            raise ValueError(f"{path}: cell {i}: unknown metadata {sorted(meta)}")
        if cell.cell_type == "markdown" and role is None:
            role = "locked"
        if cell.cell_type == "code" and role is None:
            raise ValueError(f"{path}: code cell {i} has no role (nb=\"setup\"/\"answer\"/\"tests\"/\"free\")")
        if role not in ROLES:
            raise ValueError(f"{path}: cell {i}: unknown role {role!r}")
        gid = gid or f"{name}-cell-{i:02d}"
        if gid in seen:
            raise ValueError(f"{path}: duplicate grade id {gid!r}")
        seen.add(gid)
        source = cell.source
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(source)
        else:
            new = nbformat.v4.new_markdown_cell(source)
        new.id = gid
        nbg = {"grade": False, "grade_id": gid, "locked": False, "schema_version": 3, "solution": False,
               "task": False}
        if role in ("setup", "locked"):
            nbg["locked"] = True
        elif role == "answer":
            nbg["solution"] = True
        elif role == "tests":
            if points is None:
                raise ValueError(f"{path}: test cell {gid} has no points")
            nbg.update(grade=True, locked=True, points=points)
        elif role == "manual":
            if points is None or cell.cell_type != "markdown":
                raise ValueError(f"{path}: manual cell {gid} must be markdown with points")
            nbg.update(grade=True, solution=True, points=points)
        if role != "free":
            new.metadata["nbgrader"] = nbg
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def write(name: str, root: Path = ROOT) -> Path:
    out = target(name, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(build(name)), encoding="utf-8")
    return out


def drift(name: str, root: Path = ROOT) -> bool:
    """True when ``solutions/<name>/<name>.ipynb`` is missing or differs from a fresh build."""
    out = target(name, root)
    return not out.exists() or out.read_text(encoding="utf-8") != render(build(name))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    names = args.names or [p.stem for p in sources()]
    if args.check:
        stale = [n for n in names if drift(n)]
        for n in stale:
            print(f"out of date / устарел: {target(n)}")
        return 1 if stale else 0
    for n in names:
        print(write(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
