"""A student's submission zip (``make submit ASSIGNMENT=practice_2``, or ``metaopt submit practice_2``).

The zip is named ``<student_id>-<assignment>.zip`` and holds ``<assignment>/<notebook>.ipynb`` (and the other
files of ``assignments/<assignment>/``, without Jupyter's ``.ipynb_checkpoints`` and caches). Every notebook in it
carries the student id in its metadata (``metadata.metaopt.student_id``), so the instructor's
``metaopt grade collect`` can tell whose it is even when the file was renamed, and reports a mismatch.

The student id is the one in the instructor's roster (the course list, column ``student_id``), usually the
university login. It is asked once and kept in ``.student_id`` at the top of the course folder.

Only the standard library is used: ``make submit`` works before the course environment exists. The naming rules
here are the ones ``metaopt_instructor/collect.py`` reads (one fact in one place).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath

from metaopt_lib.i18n import both

__all__ = ["ID_FILE", "ID_PATTERN", "IGNORED_PARTS", "check_student_id", "read_student_id", "save_student_id",
           "resolve_student_id", "zip_name", "split_zip_name", "stamp_notebook", "build_zip", "main"]

ID_FILE = ".student_id"
ID_PATTERN = re.compile(r"^[\w.@-]+$", re.U)  # letters, digits, _ . @ - (no spaces, no slashes)
IGNORED_PARTS = frozenset({".ipynb_checkpoints", "__pycache__", ".virtual_documents", "__MACOSX", ".git"})
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def check_student_id(text: str) -> str:
    """The student id ``text`` stripped of surrounding spaces; ``ValueError`` (EN/RU) when empty or when it holds
    characters other than letters, digits and ``_ . @ -``."""
    sid = (text or "").strip()
    if not sid:
        raise ValueError(both("the student id is empty: give the id from the instructor's list "
                              "(usually your university login)",
                              "пустой идентификатор студента: укажите идентификатор из списка преподавателя "
                              "(обычно ваш университетский логин)"))
    if not ID_PATTERN.match(sid):
        raise ValueError(both(f"{sid!r} is not a student id: only letters, digits and _ . @ - are allowed",
                              f"{sid!r} — не идентификатор студента: допустимы только буквы, цифры и _ . @ -"))
    return sid


def read_student_id(root: Path) -> str | None:
    """The id kept in ``root/.student_id`` (None when there is none)."""
    path = Path(root) / ID_FILE
    if not path.is_file():
        return None
    return check_student_id(path.read_text(encoding="utf-8"))


def save_student_id(root: Path, sid: str) -> None:
    (Path(root) / ID_FILE).write_text(check_student_id(sid) + "\n", encoding="utf-8")


def resolve_student_id(root: Path, given: str | None = None, ask=input) -> str:
    """The student id: ``given`` (saved for next time), else the saved one, else asked once with ``ask`` and
    saved. ``ValueError`` (EN/RU) when none can be had."""
    if given:
        sid = check_student_id(given)
        save_student_id(root, sid)
        return sid
    saved = read_student_id(root)
    if saved:
        return saved
    prompt = both("Your student id (as in the instructor's list, usually your university login): ",
                  "Ваш идентификатор студента (как в списке преподавателя, обычно университетский логин): ")
    try:
        answer = ask(prompt)
    except EOFError:
        raise ValueError(both("no student id: run `make submit ASSIGNMENT=... STUDENT_ID=your_id`",
                              "нет идентификатора студента: запустите "
                              "`make submit ASSIGNMENT=... STUDENT_ID=ваш_идентификатор`")) from None
    sid = check_student_id(answer)
    save_student_id(root, sid)
    return sid


def zip_name(student_id: str, assignment: str) -> str:
    """``ivanov-practice_2.zip``: the file name of a submission."""
    return f"{check_student_id(student_id)}-{assignment}.zip"


def split_zip_name(stem: str, assignments) -> tuple[str, str] | None:
    """``("ivanov", "practice_2")`` for the stem ``ivanov-practice_2`` when ``practice_2`` is one of
    ``assignments``; None when the stem does not end with ``-<assignment>`` or the rest is not an id."""
    for assignment in sorted(assignments, key=len, reverse=True):
        suffix = f"-{assignment}"
        if stem.endswith(suffix):
            sid = stem[: -len(suffix)]
            if sid and ID_PATTERN.match(sid):
                return sid, assignment
    return None


def stamp_notebook(data: bytes, student_id: str) -> bytes:
    """The notebook ``data`` with ``metadata.metaopt.student_id`` set (other content unchanged); a notebook that
    is not JSON is returned as it is (the grader reports it)."""
    try:
        nb = json.loads(data.decode("utf-8"))
        meta = nb.setdefault("metadata", {})
        if not isinstance(meta.get("metaopt"), dict):
            meta["metaopt"] = {}
        meta["metaopt"]["student_id"] = student_id
    except (ValueError, UnicodeDecodeError, AttributeError):
        return data
    return (json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def build_zip(root: Path, assignment: str, student_id: str, output: Path | None = None) -> Path:
    """Write ``<output or root>/<student_id>-<assignment>.zip`` from ``root/assignments/<assignment>/``;
    return its path. Checkpoints and caches stay out; notebooks get the student id in their metadata."""
    root = Path(root)
    folder = root / "assignments" / assignment
    if not assignment or "/" in assignment or not folder.is_dir():
        known = sorted(p.name for p in (root / "assignments").glob("*") if p.is_dir())
        raise ValueError(both(f"no assignment {assignment!r} in assignments/ (there are: {', '.join(known)})",
                              f"нет задания {assignment!r} в assignments/ (есть: {', '.join(known)})"))
    sid = check_student_id(student_id)
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and not (IGNORED_PARTS & set(p.relative_to(folder).parts)))
    if not any(p.suffix == ".ipynb" for p in files):
        raise ValueError(both(f"assignments/{assignment} holds no notebook",
                              f"в assignments/{assignment} нет ноутбука"))
    target = Path(output or root) / zip_name(sid, assignment)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            data = path.read_bytes()
            if path.suffix == ".ipynb":
                data = stamp_notebook(data, sid)
            name = PurePosixPath(assignment, *path.relative_to(folder).parts).as_posix()
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    target.write_bytes(buf.getvalue())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="metaopt submit",
                                     description="zip assignments/ASSIGNMENT into <student_id>-ASSIGNMENT.zip")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="e.g. practice_2")
    parser.add_argument("--id", dest="student_id", default=None,
                        help="your student id from the instructor's list (asked once and kept in .student_id)")
    parser.add_argument("--root", default=".", help="the course folder (default: the current one)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        sid = resolve_student_id(root, args.student_id)
        path = build_zip(root, args.assignment, sid)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    print(both(f"wrote {path.name} (student id {sid}): send this file to the instructor",
               f"создан {path.name} (идентификатор {sid}): отправьте этот файл преподавателю"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
