"""``metaopt grade release``: student versions from ``solutions/`` and the expected grading records.

nbgrader's generate_assignment writes ``assignments/<name>/`` (solutions replaced by stubs, hidden tests removed)
and records the assignment's cells in the gradebook. Then the instructor's solution is executed once, trusted,
in the same sandbox the students get, with ``METAOPT_GRADING_RECORD`` set: its check records (grouped by the
grade id of the test cell) are what a student's passing test cell must reproduce (see ``autograder.verify``). They
are cached in ``autograder/work/expected/<name>.json`` keyed by a hash of the assignment's source files.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
from pathlib import Path

from autograder.course import Course, GradingError


def _source_hash(course: Course, assignment: str) -> str:
    digest = hashlib.sha256()
    from autograder import executor, sandbox

    for path in sorted((course.source_dir / assignment).rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            digest.update(str(path.relative_to(course.source_dir)).encode())
            digest.update(path.read_bytes())
    for module in (executor, sandbox):
        digest.update(Path(module.__file__).read_bytes())
    import metaopt_lib.grading as grading

    digest.update(Path(grading.__file__).read_bytes())
    return digest.hexdigest()


def generate(course: Course, assignment: str, force: bool = True) -> bool:
    """nbgrader generate_assignment for one assignment (raises GradingError with nbgrader's log on failure).

    With ``force=False`` an assignment whose sources did not change since its last release (same hash, still in
    the gradebook, released notebooks present) is left as it is. Returns whether nbgrader ran."""
    if assignment not in course.assignments():
        known = ", ".join(course.assignments()) or "none"
        raise GradingError(f"unknown assignment {assignment!r} (assignments in {course.source_dir}: {known})")
    stamp = course.work / "released" / f"{assignment}.hash"
    key = _source_hash(course, assignment)
    if not force and stamp.exists() and stamp.read_text() == key and _released(course, assignment):
        return False
    result = course.api().generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise GradingError(f"nbgrader could not release {assignment}:\n{result.get('log', '')}\n"
                           f"{result.get('error', '')}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)
    return True


def _released(course: Course, assignment: str) -> bool:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return False
    expected = sorted(p.stem for p in course.source_notebooks(assignment))
    return sorted(notebooks) == expected and all(
        course.released_notebook(assignment, name).exists() for name in notebooks)


def compute_expected(course: Course, assignment: str, slot: int = 0, force: bool = False) -> dict:
    """Execute the solution of ``assignment`` and store its records per test cell (cached by source hash)."""
    from autograder import sandbox
    from autograder.verify import group_records, parse_records

    path = course.expected_path(assignment)
    key = _source_hash(course, assignment)
    if path.exists() and not force:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("source_hash") == key:
            return cached
    limits = grading_limits(course)
    notebooks = {}
    for nb_path in course.source_notebooks(assignment):
        execution = sandbox.execute(nb_path.read_bytes(), nb_path.parent, limits, slot=slot)
        reply = execution.reply
        if reply is None:
            raise GradingError(f"the solution of {assignment} ({nb_path.name}) did not run: "
                               f"{'time limit' if execution.killed else execution.stderr}")
        failed = []
        for cell in reply["notebook"]["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    failed.append(meta.get("grade_id"))
        records, _ = parse_records(reply["records"])
        notebooks[nb_path.stem] = {"records": group_records(records), "failed_cells": failed}
        if failed:
            print(f"WARNING: the solution of {assignment} fails its own test cells {', '.join(failed)}")
    data = {"assignment": assignment, "source_hash": key, "notebooks": notebooks}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return data


def grading_limits(course: Course):
    from autograder.sandbox import Limits

    defaults = Limits()
    return Limits(
        cell_timeout=int(course.setting("cell_timeout", course.config.get("Execute", {}).get(
            "timeout", defaults.cell_timeout))),
        setup_timeout=int(course.setting("setup_timeout", defaults.setup_timeout)),
        total_timeout=int(course.setting("submission_timeout", defaults.total_timeout)),
        memory_mb=int(course.setting("memory_mb", defaults.memory_mb)),
        nproc=int(course.setting("nproc", defaults.nproc)),
        file_mb=int(course.setting("file_mb", defaults.file_mb)),
        disk_mb=int(course.setting("disk_mb", defaults.disk_mb)))


def release(course: Course, assignments: list[str] | None = None, workers: int = 1,
            log=print, expected: bool = True, force: bool = True) -> list[str]:
    """Release ``assignments`` (all when empty) and compute their expected records with ``workers`` in parallel
    (``expected=False`` leaves that to autograde, which computes them for the assignments it grades;
    ``force=False`` skips assignments released from the same sources before)."""
    names = list(assignments) if assignments else course.assignments()
    if not names:
        raise GradingError(f"no assignments found in {course.source_dir}")
    for name in names:
        ran = generate(course, name, force=force)
        log(f"{'released' if ran else 'up to date'} {name} -> {course.release_dir / name}")
    if not expected:
        return names
    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        futures = {pool.submit(compute_expected, course, name, slot): name for slot, name in enumerate(names)}
        for future in concurrent.futures.as_completed(futures):
            data = future.result()
            count = sum(len(r) for nb in data["notebooks"].values() for r in nb["records"].values())
            log(f"expected records of {futures[future]}: {count} checks")
    return names
