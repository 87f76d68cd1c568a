"""``metaopt grade collect --from DIR``: one zip or one folder per student, named by the student id.

Every ``*.ipynb`` inside (checkpoints and macOS metadata ignored) is matched to an assignment by its notebook
metadata (``metaopt.assignment``), else by its file name, else by its folder's name, and copied to
``autograder/work/submitted/<student>/<assignment>/<notebook>.ipynb`` (replacing an earlier collection of that
assignment). Files that are not notebooks, notebooks of no known assignment and unknown student ids (with
``--roster``) are reported for that student; the rest is collected. A notebook that is not valid JSON is still
collected when its name tells the assignment, so that it appears in the grades as ``invalid_notebook``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from autograder.course import Course, GradingError, read_roster

MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ZIP_BYTES = 200 * 1024 * 1024
_ID = re.compile(r"^[\w.@-]+$", re.U)
_IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".git"}


@dataclasses.dataclass
class CollectReport:
    collected: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # student, assignment, file
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)         # student (or entry), text

    def problem(self, who: str, text: str) -> None:
        self.problems.append((who, text))


def _files_of_entry(entry: Path) -> list[tuple[str, bytes | None, str | None]]:
    """[(relative name, data or None, problem or None)] for a student's zip or folder."""
    out = []
    if entry.is_dir():
        for path in sorted(entry.rglob("*")):
            rel = path.relative_to(entry)
            if path.is_symlink():
                out.append((str(rel), None, "symbolic link ignored"))
            elif path.is_file() and not (_IGNORED_PARTS & set(rel.parts)):
                size = path.stat().st_size
                out.append((str(rel), None if size > MAX_MEMBER_BYTES else path.read_bytes(),
                            "file too large" if size > MAX_MEMBER_BYTES else None))
        return out
    try:
        with zipfile.ZipFile(entry) as zf:
            total = 0
            for info in zf.infolist():
                if info.is_dir():
                    continue
                rel = PurePosixPath(info.filename)
                if rel.is_absolute() or ".." in rel.parts:
                    out.append((info.filename, None, "unsafe path in zip ignored"))
                    continue
                if _IGNORED_PARTS & set(rel.parts):
                    continue
                total += info.file_size
                if info.file_size > MAX_MEMBER_BYTES or total > MAX_ZIP_BYTES:
                    out.append((info.filename, None, "file too large"))
                    continue
                out.append((info.filename, zf.read(info), None))
    except (zipfile.BadZipFile, OSError) as err:
        out.append((entry.name, None, f"not a readable zip ({err})"))
    return out


def _assignment_of(name: str, data: bytes, known: list[str]) -> str | None:
    try:
        meta = json.loads(data.decode("utf-8")).get("metadata", {}).get("metaopt", {})
        if isinstance(meta, dict) and meta.get("assignment") in known:
            return meta["assignment"]
    except (ValueError, UnicodeDecodeError, AttributeError):
        pass
    rel = PurePosixPath(name.replace("\\", "/"))
    if rel.stem in known:
        return rel.stem
    for part in reversed(rel.parts[:-1]):
        if part in known:
            return part
    return None


def collect(course: Course, source: Path | str, roster_path: Path | str | None = None) -> CollectReport:
    source = Path(source)
    if not source.is_dir():
        raise GradingError(f"--from {source}: not a folder of student zips/folders")
    roster = None
    if roster_path is not None:
        roster = read_roster(Path(roster_path))
        course.roster_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(roster_path, course.roster_path)
    known = course.assignments()
    if not known:
        raise GradingError(f"no assignments in {course.source_dir}")
    report = CollectReport()
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() != ".zip":
            report.problem(entry.name, "not a zip or a folder: ignored")
            continue
        student = entry.stem if entry.is_file() else entry.name
        if not _ID.match(student):
            report.problem(entry.name, f"{student!r} is not a valid student id: ignored")
            continue
        if roster is not None and student not in roster:
            report.problem(student, "unknown student id (not in the roster): not collected")
            continue
        found: dict[str, list[tuple[str, bytes]]] = {}
        for name, data, problem in _files_of_entry(entry):
            if problem:
                report.problem(student, f"{name}: {problem}")
                continue
            if not name.lower().endswith(".ipynb"):
                report.problem(student, f"{name}: not a notebook, ignored")
                continue
            assignment = _assignment_of(name, data, known)
            if assignment is None:
                report.problem(student, f"{name}: belongs to no known assignment ({', '.join(known)})")
                continue
            found.setdefault(assignment, []).append((name, data))
        if not found:
            report.problem(student, "no notebook of any assignment found")
        for assignment, files in sorted(found.items()):
            if len(files) > 1:
                names = ", ".join(n for n, _ in files)
                report.problem(student, f"{assignment}: several notebooks ({names}); the first one is used")
            name, data = files[0]
            try:
                json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                report.problem(student, f"{name}: not valid JSON (collected; graded as invalid_notebook)")
            notebook = _notebook_name(course, assignment)
            dest_dir = course.submission_dir(student, assignment)
            if dest_dir.exists():
                shutil.rmtree(dest_dir)
            dest_dir.mkdir(parents=True)
            (dest_dir / f"{notebook}.ipynb").write_bytes(data)
            report.collected.append((student, assignment, name))
    return report


def _notebook_name(course: Course, assignment: str) -> str:
    notebooks = course.source_notebooks(assignment)
    return notebooks[0].stem if notebooks else assignment

