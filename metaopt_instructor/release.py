"""``metaopt grade release``: student versions from ``solutions/``, and the reference values grading compares with.

nbgrader's generate_assignment writes ``assignments/<name>/`` (solutions replaced by stubs, hidden tests removed)
and records the assignment's cells in the gradebook.

The **reference reports** are what a student's checks must reproduce (see ``metaopt_instructor.verify``): the instructor's
solution is executed — trusted, in the same sandbox — on the hidden inputs of each student's seed (derived from the
student id and the course secret, see :func:`hidden_seed_for`), and the values its checks report are kept per test
cell. Many seeds share one execution: the solution runs once, then its test cells again for every further seed.
Results are cached in ``var/reference/<name>/<source hash>/<seed>.json``; release computes seed 0 (the
inputs students see in the self-check), autograde the hidden-input seed of every student it grades.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import hashlib
import hmac
import json
import os
from pathlib import Path

import nbformat

from metaopt_course import cells
from metaopt_instructor import config
from metaopt_instructor.course import Course, GradingError


def _source_hash(course: Course, assignment: str) -> str:
    digest = hashlib.sha256()
    from metaopt_instructor import executor, sandbox

    for path in sorted((course.source_dir / assignment).rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            digest.update(str(path.relative_to(course.source_dir)).encode())
            digest.update(path.read_bytes())
    import metaopt_course.grading as grading

    for module in (executor, sandbox, grading):
        digest.update(Path(module.__file__).read_bytes())
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


SEEDS_PER_RUN = 8  # seeds whose test cells share one execution of the solution


def course_secret(course: Course) -> bytes:
    """The course's secret (``METAOPT_COURSE_SECRET``, else ``var/secret``, made on first use, mode 600).
    It never enters a sandbox: only the per-student hidden-input seed derived from it does."""
    env = os.environ.get("METAOPT_COURSE_SECRET")
    if env:
        return env.encode("utf-8")
    path = course.work / "secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32).hex().encode())
    return path.read_bytes().strip()


def hidden_seed_for(course: Course, assignment: str, student: str) -> int:
    """The seed of ``student``'s hidden inputs in ``assignment``: HMAC-SHA256(secret, assignment, student), 31 bits."""
    digest = hmac.new(course_secret(course), f"{assignment}\0{student}".encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


def _seed_cell(seed: int):
    cell = nbformat.v4.new_code_cell(f"import metaopt_course.grading as _grading\n_grading.set_hidden_seed({seed})")
    cell["id"] = f"reference-seed-{seed}"
    return cell


def _copy(cell, seed: int):
    cell = copy.deepcopy(cell)
    cell["id"] = f"{cell.get('id', 'cell')}-{seed}"[:64]
    return cell


def reference_notebook(solution, seeds: list[int]):
    """One notebook running ``solution`` on the first seed, then its test cells again for each further seed, and
    the map cell index → (seed, grade id) of the test cells."""
    nb = copy.deepcopy(solution)
    out, where = [_seed_cell(seeds[0])], {}
    for cell in solution.cells:
        if cells.is_test_cell(cell):
            where[len(out)] = (seeds[0], cell.metadata["nbgrader"]["grade_id"])
        out.append(_copy(cell, seeds[0]))
    for seed in seeds[1:]:
        out.append(_seed_cell(seed))
        for cell in solution.cells:
            if cells.is_test_cell(cell):
                where[len(out)] = (seed, cell.metadata["nbgrader"]["grade_id"])
                out.append(_copy(cell, seed))
    nb.cells = out
    return nb, where


def _reference_dir(course: Course, assignment: str, notebook: str) -> Path:
    return course.work / "reference" / assignment / notebook / _source_hash(course, assignment)[:20]


def reference_reports(course: Course, assignment: str, notebook: str, seeds: list[int], slot: int = 0,
                      log=print, execute=None) -> dict[int, dict[str, list[dict]]]:
    """{seed: {grade id: the reference solution's reports in that test cell}} for ``seeds`` (cached per seed).
    ``execute``: ``sandbox.execute`` or a function of the same signature (``metaopt_instructor.cluster``: on a worker)."""
    from metaopt_instructor import sandbox

    execute = execute or sandbox.execute
    from metaopt_instructor.verify import parse_reports

    folder = _reference_dir(course, assignment, notebook)
    out, missing = {}, []
    for seed in dict.fromkeys(seeds):
        path = folder / f"{seed}.json"
        if path.exists():
            out[seed] = json.loads(path.read_text(encoding="utf-8"))
        else:
            missing.append(seed)
    if not missing:
        return out
    nb_path = course.source_dir / assignment / f"{notebook}.ipynb"
    solution = nbformat.read(nb_path, as_version=4)
    limits = reference_limits(course)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(missing), SEEDS_PER_RUN):
        chunk = missing[i:i + SEEDS_PER_RUN]
        nb, where = reference_notebook(solution, chunk)
        execution = execute(nbformat.writes(nb).encode("utf-8"), nb_path.parent, limits, slot=slot)
        reply = execution.reply
        if reply is None:
            raise GradingError(f"the solution of {assignment} ({nb_path.name}) did not run: "
                               f"{'time limit' if execution.killed else execution.stderr[-2000:]}")
        if reply.get("dead_kernel") or reply.get("error") or reply.get("timeouts"):
            raise GradingError(f"the solution of {assignment} ({nb_path.name}) failed while computing the "
                               f"reference values: {reply.get('error') or 'kernel died or a cell timed out'}")
        by_seed: dict[int, dict[str, list[dict]]] = {seed: {} for seed in chunk}
        failed = set()
        executed = reply["notebook"]["cells"]
        for index, (seed, gid) in where.items():
            reports, _ = parse_reports(reply.get("reports", {}).get(str(index), []))
            names = [r["name"] for r in reports]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise GradingError(f"{assignment}: test cell {gid} reports the checks {twice} more than once: "
                                   "every check of a cell needs its own name")
            by_seed[seed][gid] = reports
            if any(o.get("output_type") == "error" for o in executed[index].get("outputs", [])):
                failed.add(gid)
        if failed:
            log(f"WARNING: the solution of {assignment} fails its own test cells {', '.join(sorted(failed))}")
        for seed, data in by_seed.items():
            (folder / f"{seed}.json").write_text(json.dumps(data, ensure_ascii=False, allow_nan=True),
                                                 encoding="utf-8")
            out[seed] = data
    return out


def reference_limits(course: Course):
    """The limits of a reference run: the course's, with room for ``SEEDS_PER_RUN`` seeds in one execution."""
    limits = config.grading_limits(course)
    return dataclasses.replace(limits, total_timeout=limits.total_timeout * (1 + SEEDS_PER_RUN // 2),
                               notebook_output_kb=limits.notebook_output_kb * SEEDS_PER_RUN)


def release(course: Course, assignments: list[str] | None = None, workers: int | None = None,
            log=print, expected: bool = True, force: bool = True) -> list[str]:
    """Release ``assignments`` (all when empty) and compute the reference reports of seed 0 (``expected=False``
    leaves the reference values to autograde, which computes them for the students it grades; ``force=False``
    skips assignments released from the same sources before).

    The solution runs do not depend on the release, so they start at once, ``workers`` at a time (default: the
    CPU count) in warm sandboxes (``metaopt_instructor.execution.Sandboxes``), while nbgrader generates the student
    versions one after the other in this thread (it writes the gradebook)."""
    from metaopt_instructor import sandbox
    from metaopt_instructor.execution import Sandboxes

    names = list(assignments) if assignments else course.assignments()
    if not names:
        raise GradingError(f"no assignments found in {course.source_dir}")
    unknown = [n for n in names if n not in course.assignments()]
    if unknown:
        known = ", ".join(course.assignments()) or "none"
        raise GradingError(f"unknown assignment {unknown[0]!r} (assignments in {course.source_dir}: {known})")
    workers = min(max(1, workers or os.cpu_count() or 1), sandbox.SLOTS_PER_RUN // 2)  # two slots each
    jobs = [(name, path.stem) for name in names for path in course.source_notebooks(name)] if expected else []
    sandboxes = Sandboxes(workers, sandbox.sandbox_status()[0])
    limits = reference_limits(course)
    for name, _ in jobs:
        sandboxes.expect(course.source_dir / name, limits)
    sandboxes.warm_up()

    def execute(payload, files_from, limits, slot=0, sandbox=None):
        return sandboxes.execute(payload, files_from, limits)

    pool = concurrent.futures.ThreadPoolExecutor(workers)
    try:
        futures = {pool.submit(reference_reports, course, name, nb, [0], 0, log, execute): name
                   for name, nb in jobs}
        for name in names:
            ran = generate(course, name, force=force)
            log(f"{'released' if ran else 'up to date'} {name} -> {course.release_dir / name}")
        for future in concurrent.futures.as_completed(futures):
            data = future.result()[0]
            log(f"reference values of {futures[future]}: {sum(len(r) for r in data.values())} checks")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        sandboxes.close()
    return names
