"""``metaopt grade collect --from DIR``: zips and folders named by the student id.

Accepted names: ``<student_id>.zip`` or a folder ``<student_id>/`` (any assignments inside), and
``<student_id>-<assignment>.zip`` as the student distribution's ``make submit`` writes it
(``metaopt_course/submission.py``); a student may send several. A notebook written by ``make submit`` carries the
student id in its metadata: when the name's id is not in the roster but the metadata's is, the submission is
collected under the metadata's id; any disagreement between the two is reported.

Every ``*.ipynb`` inside (checkpoints and macOS metadata ignored) is matched to an assignment by its notebook
metadata (``metaopt.assignment``), else by its file name, else by its folder's name, and copied to
``var/submitted/<student>/<assignment>/<notebook>.ipynb`` (replacing an earlier collection of that
assignment). Files that are not notebooks, notebooks of no known assignment and unknown student ids (with
``--roster``) are reported for that student; the rest is collected. A notebook that is not valid JSON is still
collected when its name tells the assignment, so that it appears in the grades as ``invalid_notebook``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from metaopt_instructor.course import Course, GradingError, read_roster
from metaopt_course.submission import ID_PATTERN as _ID
from metaopt_course.submission import IGNORED_PARTS as _IGNORED_PARTS
from metaopt_course.submission import split_zip_name

MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000


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
            infos = [info for info in zf.infolist() if not info.is_dir()]
            declared = sum(info.file_size for info in infos)
            if len(infos) > MAX_ZIP_MEMBERS or declared > MAX_ZIP_BYTES:  # a zip bomb: one line, nothing read
                return [(entry.name, None, f"expands to {declared / 2**20:,.0f} MB in {len(infos)} files "
                                           f"(limits: {MAX_ZIP_BYTES // 2**20} MB, {MAX_ZIP_MEMBERS} files): "
                                           "not collected")]
            total = 0
            for info in infos:
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


def _student_of(data: bytes) -> str | None:
    """The student id that ``make submit`` wrote into the notebook's metadata, if any."""
    try:
        sid = json.loads(data.decode("utf-8")).get("metadata", {}).get("metaopt", {}).get("student_id")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return sid if isinstance(sid, str) and _ID.match(sid) else None


def register_students(course: Course, roster) -> None:
    """Every roster student in the gradebook, so that formgrader lists those who submitted nothing too.

    Formgrader shows a student's name as "last, first": the roster's Cyrillic surname is stored as the last name
    and the Latin one as the first, so both spellings appear (the roster is the authority for names)."""
    with course.gradebook() as gb:
        for entry in roster.values():
            gb.update_or_create_student(entry.student_id, last_name=entry.surname_ru or None,
                                        first_name=entry.surname_en or None)


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
    if roster is not None:
        register_students(course, roster)
    report = CollectReport()
    for entry in sorted(source.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix.lower() != ".zip":
            report.problem(entry.name, "not a zip or a folder: ignored")
            continue
        student = entry.stem if entry.is_file() else entry.name
        named_assignment = None
        if entry.is_file() and not (roster is not None and student in roster):
            split = split_zip_name(student, known)  # ivanov-practice_2.zip, as `make submit` names it
            if split:
                student, named_assignment = split
        if not _ID.match(student):
            report.problem(entry.name, f"{student!r} is not a valid student id: ignored")
            continue
        found: dict[str, list[tuple[str, bytes]]] = {}
        problems: list[str] = []
        stamped: set[str] = set()
        for name, data, problem in _files_of_entry(entry):
            if problem:
                problems.append(f"{name}: {problem}")
                continue
            if not name.lower().endswith(".ipynb"):
                problems.append(f"{name}: not a notebook, ignored")
                continue
            assignment = _assignment_of(name, data, known)
            if assignment is None:
                problems.append(f"{name}: belongs to no known assignment ({', '.join(known)})")
                continue
            found.setdefault(assignment, []).append((name, data))
            sid = _student_of(data)
            if sid:
                stamped.add(sid)
        if len(stamped) == 1 and student not in stamped:
            (other,) = stamped
            if roster is not None and student not in roster and other in roster:
                report.problem(other, f"{entry.name}: the name says {student!r}, the notebook's metadata says "
                                      f"{other!r} (in the roster): collected as {other!r}")
                student = other
            else:
                report.problem(student, f"{entry.name}: the name says {student!r} but the notebook's metadata "
                                        f"says {other!r}: collected as {student!r}, check who submitted it")
        elif len(stamped) > 1:
            report.problem(student, f"{entry.name}: notebooks stamped with several student ids "
                                    f"({', '.join(sorted(stamped))})")
        if roster is not None and student not in roster:
            report.problem(student, "unknown student id (not in the roster): not collected")
            continue
        for text in problems:
            report.problem(student, text)
        if named_assignment and found and named_assignment not in found:
            report.problem(student, f"{entry.name}: named for {named_assignment} but holds "
                                    f"{', '.join(sorted(found))}")
        if not found and not any(t.endswith("not collected") or "not a readable zip" in t for t in problems):
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

