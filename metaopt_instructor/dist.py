"""The student distribution: ``metaopt student-dist`` (``make student-dist``).

Builds ``<output>/student/`` and ``<output>/metaopt-student.zip`` (the same files under a top folder
``metaopt-student/``) from the instructor's repository:

* ``lectures/`` (``en``, ``ru`` and the jupytext sources ``src``), the released ``assignments/``, the two student
  floors of the code: the algorithm library ``metaopt_lib`` (with its checkpoints) and the course runtime
  ``metaopt_course``;
* ``pyproject.toml`` rewritten so that it installs those two packages and the student's ``metaopt`` command
  (``metaopt_course.cli``: variant, submit, lectures), ``requirements.txt``, ``environment.yml``, and the files of
  ``metaopt_instructor/student_dist/``: a student ``Makefile`` (``make lab``, ``make variant``, ``make submit`` —
  the zip named by the student id, see ``metaopt_course/submission.py``), ``README.md`` and a ``.gitignore``;
* ``.jupyter/`` (``STUDENT_JUPYTER``), the Jupyter configuration ``make lab`` uses (``JUPYTER_CONFIG_DIR``): the
  instructor's nbgrader server extensions (formgrader, assignment list, course list) and lab plugins (Create
  Assignment, Formgrader, Assignment/Course list, the nbgrader menu) are disabled there — nothing is changed in the
  student's own Jupyter settings — and a student ``nbgrader_config.py`` (so nbgrader's Validate button, which stays,
  finds a configuration instead of logging "No nbgrader_config.py file found").

It never contains ``solutions/``, the hidden tests, ``metaopt_instructor/``, ``var/``, ``nbgrader_config.py``, ``tests/``,
``scripts/`` (the assignment sources live there) or the gradebook. Before anything is written to ``<output>``,
every file of the staged distribution is searched for every non-trivial line of every solution region and hidden
test of ``solutions/*/*.ipynb``; a single hit aborts the build with the file and the line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from metaopt_course import cells
from metaopt_instructor.config import STATE_DIR
from metaopt_lib.i18n import both

ROOT = Path(__file__).resolve().parents[1]
ZIP_NAME = "metaopt-student.zip"
ZIP_TOP = "metaopt-student"
# copied as they are (folders recursively); everything else of the repository stays out
# (website/: `make site` builds the course website offline, see website/README.md)
COPY = ("lectures", "assignments", "metaopt_lib", "metaopt_course", "requirements.txt", "environment.yml", "website")
NEVER = ("solutions", "metaopt_instructor", STATE_DIR, "nbgrader_config.py", "tests", "scripts", "benchmarks", ".ci", "gradebook.db")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".virtual_documents"}
SKIP_SUFFIXES = (".pyc", ".pyo")
MIN_SECRET_LEN = 25  # shorter lines ("return out", "import torch") are not secrets
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip
# The distribution's own files, kept as files: Makefile, README.md, gitignore (→ .gitignore) and
# nbgrader_config.py (→ .jupyter/nbgrader_config.py, the student's Validate button)
TEMPLATES = Path(__file__).resolve().parent / "student_dist"

# nbgrader 0.9.6 registers these server extensions (enabled for the whole environment by pip) and these lab
# plugins of @jupyter/nbgrader; the student needs only Validate (server extension validate_assignment, plugin
# validate-assignment).
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.assignment_list",
                                "nbgrader.server_extensions.course_list")
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                          "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                          "@jupyter/nbgrader:menu")
def student_jupyter_files() -> dict[str, str]:
    """The files of the distribution's ``.jupyter/`` folder (path inside the distribution → text)."""
    server = {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}}
    lab = {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}}
    return {".jupyter/jupyter_server_config.json": json.dumps(server, indent=2) + "\n",
            ".jupyter/labconfig/page_config.json": json.dumps(lab, indent=2) + "\n",
            ".jupyter/nbgrader_config.py": (TEMPLATES / "nbgrader_config.py").read_text(encoding="utf-8")}


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
            lines = cells.region_lines(cell.source)
            if cells.nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown" \
                    and not cells.has_regions(cell.source):
                lines = cell.source.splitlines()  # a written answer: the whole cell is the instructor's text
            for line in lines:
                s = line.strip()
                if len(s) >= MIN_SECRET_LEN:
                    found.setdefault(s, str(path.relative_to(root)))
    return found


def public_text(root: Path = ROOT) -> str:
    """What the releases show anyway, so lines found there are not leaks: the visible part of every solution
    notebook (instructions, set-up and visible tests)."""
    parts = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not (cell.cell_type == "markdown" and meta.get("solution")):
                parts.append(cells.outside_regions(cell.source))
    return "\n".join(parts)


PUBLIC_COPIES = ("metaopt_lib/", "metaopt_course/", "lectures/")  # shipped verbatim: their own lines are public by design


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
    """The course's pyproject.toml for students: the two student packages (``metaopt_lib``, ``metaopt_course``),
    the student's ``metaopt`` command, no pytest options of the instructor's test suite."""
    rewrites = {"include": 'include = ["metaopt_lib*", "metaopt_course*"]',
                "metaopt": 'metaopt = "metaopt_course.cli:main"'}
    out, done = [], set()
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in rewrites and "metaopt_instructor" in line:
            line = rewrites[key]
            done.add(key)
        if not line.startswith("metaopt_instructor ="):  # package data of the instructor's package
            out.append(line)
    if done != set(rewrites):
        missing = ", ".join(sorted(set(rewrites) - done))
        raise ValueError(both(f"pyproject.toml: no line `{missing} = …` naming metaopt_instructor to rewrite",
                              f"pyproject.toml: нет строки `{missing} = …` с metaopt_instructor для замены"))
    text = "\n".join(out) + "\n"
    return re.sub(r"\n\[tool\.pytest\.ini_options\].*?(?=\n\[|\Z)", "\n", text, flags=re.S)


def stage(root: Path, dest: Path) -> list[Path]:
    """Write the student distribution into the empty folder ``dest``; return its files (relative)."""
    missing = [name for name in COPY + ("pyproject.toml",) if not (root / name).exists()]
    if missing:
        raise FileNotFoundError(both(f"the course repository lacks {missing}",
                                     f"в репозитории курса нет {missing}"))
    for name in COPY:
        _copy(root / name, dest / name)
    (dest / "pyproject.toml").write_text(student_pyproject((root / "pyproject.toml").read_text(encoding="utf-8")),
                                         encoding="utf-8")
    for template, name in (("README.md", "README.md"), ("Makefile", "Makefile"), ("gitignore", ".gitignore")):
        shutil.copy2(TEMPLATES / template, dest / name)
    for name, text in student_jupyter_files().items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text, encoding="utf-8")
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
