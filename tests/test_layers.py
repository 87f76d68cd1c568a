"""The house plan: three floors, every import pointing down (issue 11).

    metaopt_lib         the algorithms: the standard library, numerical packages and itself
      ↑
    metaopt_course      the course runtime students and notebooks use: the floor below, Jupyter packages
      ↑
    metaopt_instructor  the instructor's tools: anything, both floors below

Imports are read from the source (``ast``), including the lazy ones inside functions and names handed to
``importlib.import_module`` / ``__import__``, so a reach upwards cannot hide in a string.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ("metaopt_lib", "metaopt_course", "metaopt_instructor")
NUMERICAL = {"torch", "numpy", "scipy", "sklearn", "optuna", "tqdm", "matplotlib"}
JUPYTER = {"IPython", "ipywidgets", "jupytext", "nbclient", "nbformat", "matplotlib_inline"}
ALLOWED_THIRD_PARTY = {"metaopt_lib": NUMERICAL, "metaopt_course": NUMERICAL | JUPYTER}


def imported_modules(source: str) -> set[str]:
    """Top-level names of every module the source imports: import statements anywhere (also inside functions)
    and string literals given to ``importlib.import_module`` or ``__import__``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.add(node.args[0].value.split(".")[0])
    return found


def violations(package_dir: Path, floor: str) -> list[str]:
    """``file: module`` for every import of ``package_dir``'s files that breaks the rules of ``floor``."""
    level = FLOORS.index(floor)
    above = set(FLOORS[level + 1:])
    allowed = ALLOWED_THIRD_PARTY.get(floor)
    out = []
    for path in sorted(package_dir.rglob("*.py")):
        for module in sorted(imported_modules(path.read_text(encoding="utf-8"))):
            upward = module in above
            foreign = (allowed is not None and module not in FLOORS and module not in sys.stdlib_module_names
                       and module not in allowed)
            if upward or foreign:
                out.append(f"{path.relative_to(package_dir.parent)}: {module}")
    return out


@pytest.mark.parametrize("floor", FLOORS)
def test_every_import_points_down(floor):
    assert violations(ROOT / floor, floor) == []


def test_the_checker_can_fail(tmp_path):
    lib = tmp_path / "metaopt_lib"
    lib.mkdir()
    (lib / "sneaky.py").write_text(
        "import torch\n"
        "def f():\n    from metaopt_course import grading\n"
        "def g():\n    import importlib\n    return importlib.import_module('metaopt_instructor.grade')\n"
        "import nbgrader\n", encoding="utf-8")
    assert violations(lib, "metaopt_lib") == ["metaopt_lib/sneaky.py: metaopt_course",
                                              "metaopt_lib/sneaky.py: metaopt_instructor",
                                              "metaopt_lib/sneaky.py: nbgrader"]
    course = tmp_path / "metaopt_course"
    course.mkdir()
    (course / "cli.py").write_text("from metaopt_instructor import dist\nimport nbformat\n", encoding="utf-8")
    assert violations(course, "metaopt_course") == ["metaopt_course/cli.py: metaopt_instructor"]


def test_the_library_imports_without_the_floors_above():
    """Importing every library module loads neither the course runtime nor the instructor's tools."""
    import subprocess

    modules = sorted(p.stem for p in (ROOT / "metaopt_lib").glob("*.py") if p.stem != "__init__")
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module('metaopt_lib.' + m)\n"
            "print(sorted({n.split('.')[0] for n in sys.modules if n.startswith('metaopt')}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['metaopt_lib']"


def test_the_student_distribution_holds_the_two_lower_floors_only():
    from metaopt_instructor import dist

    shipped = {name for name in dist.COPY if name in FLOORS}
    assert shipped == {"metaopt_lib", "metaopt_course"}
    assert "metaopt_instructor" in dist.NEVER
