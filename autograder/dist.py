"""The student distribution: ``metaopt student-dist`` (``make student-dist``).

Builds ``<output>/student/`` and ``<output>/metaopt-student.zip`` (the same files under a top folder
``metaopt-student/``) from the instructor's repository:

* ``lectures/`` (``en``, ``ru`` and the jupytext sources ``src``), the released ``assignments/``, the whole
  ``metaopt_lib`` package (with its data and checkpoints);
* ``pyproject.toml`` rewritten so that it installs ``metaopt_lib`` only (there is no ``autograder`` package),
  ``requirements.txt``, ``environment.yml``, a student ``Makefile`` (derived from the course's: ``make lab``,
  ``make variant``, ``make submit`` — the zip named by the student id, see ``metaopt_lib/submission.py``),
  ``README.md`` (``autograder/student_README.md``) and a ``.gitignore``.

It never contains ``solutions/``, the hidden tests, ``autograder/``, ``nbgrader_config.py``, ``tests/``,
``scripts/`` (the assignment sources live there) or the gradebook. Before anything is written to ``<output>``,
every file of the staged distribution is searched for every non-trivial line of every solution region and hidden
test of ``solutions/*/*.ipynb``; a single hit aborts the build with the file and the line.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from metaopt_lib.i18n import both

ROOT = Path(__file__).resolve().parents[1]
ZIP_NAME = "metaopt-student.zip"
ZIP_TOP = "metaopt-student"
# copied as they are (folders recursively); everything else of the repository stays out
COPY = ("lectures", "assignments", "metaopt_lib", "requirements.txt", "environment.yml")
NEVER = ("solutions", "autograder", "nbgrader_config.py", "tests", "scripts", "benchmarks", ".ci", "gradebook.db")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".virtual_documents"}
SKIP_SUFFIXES = (".pyc", ".pyo")
MIN_SECRET_LEN = 25  # shorter lines ("return out", "import torch") are not secrets
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip

STUDENT_MAKEFILE = r"""# metaopt course (student version) — every target creates .venv on first use and reuses it afterwards.
# Needs Python 3.11 and make. Without make, see README.md (the same steps by hand).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: help venv lab variant lectures submit clean-venv

help:
	@echo "make lab                                    set up (first time) and open JupyterLab on the course"
	@echo "make variant SURNAME_RU=Иванов SURNAME_EN=Ivanov   your homework variants (theory 1-5, practice 1-3)"
	@echo "make submit ASSIGNMENT=practice_1           zip assignments/practice_1 into <student_id>-practice_1.zip"
	@echo "make lectures                               regenerate lectures/en and lectures/ru from lectures/src"
	@echo "make venv                                   only create .venv (torch CPU + pinned requirements)"

venv: $(STAMP)

# torch is installed first and pinned: a plain `torch` would pull a multi-GB CUDA build.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root,)

variant: $(STAMP)
	@test -n "$(SURNAME_RU)" -a -n "$(SURNAME_EN)" || { \
	  echo "usage: make variant SURNAME_RU=Иванов SURNAME_EN=Ivanov"; \
	  echo "использование: make variant SURNAME_RU=Иванов SURNAME_EN=Ivanov"; exit 2; }
	$(PY) -m metaopt_lib variant "$(SURNAME_RU)" "$(SURNAME_EN)"

lectures: $(STAMP)
	$(PY) -m metaopt_lib lectures build

submit:
	@test -n "$(ASSIGNMENT)" -a -d "assignments/$(ASSIGNMENT)" || { \
	  echo "usage: make submit ASSIGNMENT=<folder in assignments/, e.g. practice_1> [STUDENT_ID=<id>]"; \
	  echo "использование: make submit ASSIGNMENT=<папка в assignments/, например practice_1> [STUDENT_ID=<id>]"; \
	  exit 2; }
	@# standard library only: works with or without .venv; asks the student id once (kept in .student_id)
	@$(if $(wildcard $(PY)),$(PY),$(PYTHON)) -m metaopt_lib.submission "$(ASSIGNMENT)" \
	  $(if $(STUDENT_ID),--id "$(STUDENT_ID)",)

clean-venv:
	rm -rf $(VENV)
"""

STUDENT_GITIGNORE = """.venv/
__pycache__/
*.pyc
.ipynb_checkpoints/
.virtual_documents/
*.egg-info/
/*-*.zip
"""


class LeakError(RuntimeError):
    """The staged distribution contains a line of a solution or a hidden test."""


# --- what must never ship ----------------------------------------------------------------------------------------

def secret_lines(root: Path = ROOT) -> dict[str, str]:
    """Non-trivial lines (stripped, ≥ 25 characters) of every solution region and hidden test of
    ``solutions/*/*.ipynb`` (and of manually graded answer cells), mapped to the notebook they come from."""
    found: dict[str, str] = {}
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            regions = "### BEGIN SOLUTION" in cell.source or "### BEGIN HIDDEN TESTS" in cell.source
            inside = bool(meta.get("solution")) and cell.cell_type == "markdown" and not regions
            for line in cell.source.splitlines():
                s = line.strip()
                if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside = True
                elif s in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    inside = False
                elif inside and len(s) >= MIN_SECRET_LEN:
                    found.setdefault(s, str(path.relative_to(root)))
    return found


def _outside_regions(source: str) -> str:
    """A cell's text with its solution and hidden-test regions removed (what a release shows of it)."""
    out, inside = [], False
    for line in source.splitlines():
        s = line.strip()
        if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
            inside = True
        elif s in ("### END SOLUTION", "### END HIDDEN TESTS"):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def public_text(root: Path = ROOT) -> str:
    """What the releases show anyway, so lines found there are not leaks: the visible part of every solution
    notebook (instructions, set-up and visible tests)."""
    parts = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not (cell.cell_type == "markdown" and meta.get("solution")):
                parts.append(_outside_regions(cell.source))
    return "\n".join(parts)


PUBLIC_COPIES = ("metaopt_lib/", "lectures/")  # shipped verbatim: their own lines are public by design


def find_leaks(folder: Path, root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(file in ``folder``, secret line, its notebook) for every secret line found in a file of ``folder``.

    A line is not reported in a verbatim copy of a library or lecture file that contains it in the repository
    too (a generic line such as ``b = torch.zeros(n_classes, dtype=X.dtype)`` may occur in both); anywhere else —
    released notebooks, README, Makefile, a changed library file — every occurrence is a leak."""
    public = public_text(root)
    secrets = {s: nb for s, nb in secret_lines(root).items() if s not in public}
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".ipynb":  # JSON escapes quotes and non-ASCII: search the cell sources too
            try:
                text += "\n" + "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            except Exception:  # noqa: BLE001 - a broken notebook is still searched as text
                pass
        original = root / rel
        same = (rel.startswith(PUBLIC_COPIES) and original.is_file()
                and original.read_bytes().decode("utf-8", errors="replace"))
        for secret, notebook in secrets.items():
            if secret in text and not (same and secret in same):
                hits.append((rel, secret, notebook))
    return hits


# --- building ---------------------------------------------------------------------------------------------------

def _ignored(path: Path) -> bool:
    return bool(SKIP_PARTS.intersection(path.parts)) or path.name.endswith(SKIP_SUFFIXES)


def _copy(src: Path, dst: Path) -> None:
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if path.is_file() and not _ignored(rel):
                target = dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    elif src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def student_pyproject(text: str) -> str:
    """The course's pyproject.toml, installing ``metaopt_lib`` only and reading the student README."""
    out, changed = [], False
    for line in text.splitlines():
        if line.strip().startswith("include") and "autograder" in line:
            line = 'include = ["metaopt_lib*"]'
            changed = True
        out.append(line)
    text = "\n".join(out) + "\n"
    if not changed:
        raise ValueError(both("pyproject.toml: no packages `include` line naming autograder to rewrite",
                              "pyproject.toml: нет строки `include` с autograder, которую нужно заменить"))
    # pytest options of the instructor's test suite do not concern students
    text = re.sub(r"\n\[tool\.pytest\.ini_options\].*?(?=\n\[|\Z)", "\n", text, flags=re.S)
    return text


def stage(root: Path, dest: Path) -> list[Path]:
    """Write the student distribution into the empty folder ``dest``; return its files (relative)."""
    missing = [name for name in COPY + ("pyproject.toml", "autograder/student_README.md")
               if not (root / name).exists()]
    if missing:
        raise FileNotFoundError(both(f"the course repository lacks {missing}",
                                     f"в репозитории курса нет {missing}"))
    for name in COPY:
        _copy(root / name, dest / name)
    (dest / "pyproject.toml").write_text(student_pyproject((root / "pyproject.toml").read_text(encoding="utf-8")),
                                         encoding="utf-8")
    shutil.copy2(root / "autograder" / "student_README.md", dest / "README.md")
    (dest / "Makefile").write_text(STUDENT_MAKEFILE, encoding="utf-8")
    (dest / ".gitignore").write_text(STUDENT_GITIGNORE, encoding="utf-8")
    for name in NEVER:
        if (dest / name).exists():
            raise LeakError(both(f"{name} must not be in the student distribution",
                                 f"{name} не должен попасть в студенческую версию"))
    return sorted(p.relative_to(dest) for p in dest.rglob("*") if p.is_file())


def write_zip(folder: Path, zip_path: Path) -> None:
    """Zip ``folder``'s files under ``metaopt-student/`` with fixed timestamps and permissions."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{ZIP_TOP}/{path.relative_to(folder).as_posix()}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, path.read_bytes())


def build(output: str | os.PathLike = "dist", root: str | os.PathLike = ROOT) -> tuple[Path, Path]:
    """Build ``<output>/student/`` and ``<output>/metaopt-student.zip``; return both paths.

    The distribution is staged in a temporary folder and checked for leaks first, so a failed build leaves the
    previous ``<output>`` untouched.
    """
    root = Path(root).resolve()
    output = Path(output).resolve()  # relative to the current folder, like any command-line path
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output, prefix=".staging-") as tmp:
        staged = Path(tmp) / "student"
        staged.mkdir()
        stage(root, staged)
        leaks = find_leaks(staged, root)
        if leaks:
            shown = "\n".join(f"  {f}: {line!r} (from {nb})" for f, line, nb in leaks[:10])
            raise LeakError(both(f"the student distribution would contain solution or hidden-test lines:\n{shown}",
                                 "студенческая версия содержала бы строки решений или скрытых тестов (см. выше)"))
        zip_tmp = Path(tmp) / ZIP_NAME
        write_zip(staged, zip_tmp)
        folder, zip_path = output / "student", output / ZIP_NAME
        if folder.exists():
            shutil.rmtree(folder)
        shutil.move(str(staged), folder)
        os.replace(zip_tmp, zip_path)
    return folder, zip_path


def main(args: argparse.Namespace | None = None) -> int:
    """Entry point of ``metaopt student-dist`` (``args.output``, default ``dist``)."""
    output = getattr(args, "output", None) or "dist"
    try:
        folder, zip_path = build(output)
    except (LeakError, FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    n = sum(1 for p in folder.rglob("*") if p.is_file())
    print(f"wrote {folder} ({n} files) and {zip_path}")
    print(f"записано: {folder} ({n} файлов) и {zip_path}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="dist")
    raise SystemExit(main(parser.parse_args()))
