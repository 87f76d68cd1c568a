"""Step 3 of autograde, **record** (the client's main thread only — the single writer of the gradebook).

Each test cell's verdict is decided here, outside the sandbox, by comparing the reported values with the reference
solution's on the same inputs (``metaopt_instructor.verify``); the test cell's outputs are replaced by that verdict
(nothing the kernel printed in a test cell reaches feedback). Then nbgrader's LimitOutput and SaveAutoGrades store
the scores; the autograded notebook goes to the course's autograded folder (formgrader, feedback) and the status
(``graded`` … ``wrong_variant``, with every condition in its note) next to the other statuses.

Manual scores are never touched (SaveAutoGrades sets ``auto_score`` only), so they survive a re-autograde.
"""

from __future__ import annotations

import copy
import shutil
import warnings

import nbformat

from metaopt_course.cells import is_test_cell, nbgrader_meta
from metaopt_instructor import sandbox, verify
from metaopt_instructor.course import Course
from metaopt_instructor.prepare import Job

__all__ = ["PRECEDENCE", "status_of", "ReleasedTests", "executed_notebook", "judge_notebook", "record",
           "record_safely"]

PRECEDENCE = ("invalid_notebook", "crashed", "timeout", "tampered", "wrong_variant")


def status_of(conditions: dict[str, list[str]]) -> tuple[str, str]:
    """(status by precedence, note naming every condition)."""
    status = next((c for c in PRECEDENCE if c in conditions), "graded")
    ordered = [c for c in PRECEDENCE if c in conditions] + sorted(set(conditions) - set(PRECEDENCE))
    note = "; ".join(f"{c}: {', '.join(conditions[c])}" for c in ordered)
    return status, note


class ReleasedTests:
    """{grade id: source of the released test cell} per (assignment, notebook): what a student sees of each test
    (a check named there is a visible one). Read once per batch."""

    def __init__(self, course: Course):
        self.course = course
        self._cache: dict[tuple[str, str], dict[str, str]] = {}

    def __call__(self, assignment: str, notebook: str) -> dict[str, str]:
        key = (assignment, notebook)
        if key not in self._cache:
            released = nbformat.read(self.course.released_notebook(assignment, notebook), as_version=4)
            self._cache[key] = {nbgrader_meta(c)["grade_id"]: c.source for c in released.cells if is_test_cell(c)}
        return self._cache[key]


def executed_notebook(job: Job, name: str, ex: sandbox.Execution | None, limits: sandbox.Limits):
    """(executed notebook, indices of cells that finished) with the job's execution conditions added. Only the
    outputs of the executed notebook are trusted: sources and metadata are the prepared ones."""
    prepared = job.prepared[name]
    if ex is None or ex.reply is None:
        if ex is not None and ex.killed:
            job.add("timeout", f"{name}: exceeded the submission limit of {limits.total_timeout} s and was killed")
        else:
            job.add("crashed", f"{name}: the executor failed (exit {ex.returncode if ex else '?'}) "
                               f"{(ex.stderr.strip().splitlines() or [''])[-1][:200] if ex else ''}")
        return copy.deepcopy(prepared), set()
    reply = ex.reply
    nb = nbformat.from_dict(reply["notebook"])
    if len(nb.cells) != len(prepared.cells):
        job.add("crashed", f"{name}: the executed notebook lost cells")
        return copy.deepcopy(prepared), set()
    for cell, prep in zip(nb.cells, prepared.cells):
        cell["source"] = prep.source
        cell["metadata"] = copy.deepcopy(prep.metadata)
        cell["cell_type"] = prep.cell_type
    reached = set(reply.get("finished") or [])
    _execution_conditions(job, name, nb, reply, limits)
    return nb, reached


def _execution_conditions(job: Job, name: str, nb, reply: dict, limits: sandbox.Limits) -> None:
    """``timeout`` / ``crashed`` conditions from the executor's reply and the kernel's errors."""
    if reply.get("timeouts"):
        cells = [_cell_label(nb.cells[i], i) for i in reply["timeouts"] if i < len(nb.cells)]
        job.add("timeout", f"{name}: cell time limit ({limits.cell_timeout} s) in " + ", ".join(cells))
    if reply.get("deadline"):
        job.add("timeout", f"{name}: submission time limit ({limits.total_timeout} s) reached")
    if reply.get("killed"):
        job.add("timeout", f"{name}: the kernel ignored the interrupt and was killed "
                           f"{limits.grace} s after the cell limit")
    if reply.get("dead_kernel"):
        job.add("crashed", f"{name}: the kernel died (memory/process limit, os._exit, a signal or a crash)")
    if reply.get("error"):
        job.add("crashed", f"{name}: {reply['error'][:200]}")
    errors = {o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"}
    if "MemoryError" in errors:
        job.add("crashed", f"{name}: out of memory (limit {limits.memory_mb} MB)")
    if "BlockingIOError" in errors:
        job.add("crashed", f"{name}: process limit reached")
    if "SystemExit" in errors:
        job.add("crashed", f"{name}: the notebook called sys.exit / exit()")


def judge_notebook(nb, reached: set, reports: dict, expected: dict, released_tests: dict[str, str]) -> list[str]:
    """Replaces every test cell's outputs by its verdict (in place); returns the suspicious reports found.
    ``reports``: {cell index: the student's reports}; ``expected``: {grade id: the reference's reports}."""
    suspicious: list[str] = []
    for index, cell in enumerate(nb.cells):
        if not is_test_cell(cell):
            continue
        gid = nbgrader_meta(cell)["grade_id"]
        own_error = _first_error(cell)
        if index not in reached:
            cell.outputs = []
            _add_error(cell, "NotExecuted", "this test did not run (time limit or crash) / "
                                            "тест не выполнился (лимит времени или сбой)")
            continue
        got, bad = verify.parse_reports(reports.get(str(index), []))
        refs = expected.get(gid, [])
        visible = {r["name"] for r in refs if r["name"] in released_tests.get(gid, "")}
        verdict = verify.judge_cell(got, refs, visible)
        if bad:
            verdict.suspicious.append(f"{bad} unreadable check reports")
        suspicious += [f"{gid} ({why})" for why in verdict.suspicious]
        cell.outputs = _verdict_outputs(verdict, own_error)
    return suspicious


def _save(course: Course, job: Job, name: str, nb, status: str, note: str) -> None:
    """nbgrader's LimitOutput and SaveAutoGrades (the scores), then the autograded notebook on disk."""
    from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

    if status != "graded":
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(_status_banner(status, note)))
    resources = {"nbgrader": {"notebook": name, "assignment": job.assignment, "student": job.student,
                              "db_url": course.db_url}}
    nb, resources = LimitOutput(config=course.config).preprocess(nb, resources)
    nb, resources = SaveAutoGrades(config=course.config).preprocess(nb, resources)
    out_dir = course.autograded_dir / job.student / job.assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / f"{name}.ipynb")


def record(course: Course, job: Job, gb, reference: dict, limits: sandbox.Limits, sandboxed: bool,
           released_tests: ReleasedTests) -> dict:
    """Verdicts outside the sandbox, then the gradebook; returns the status written.
    ``reference``: {notebook: {seed: {grade id: reports}}}."""
    student, assignment = job.student, job.assignment
    ensure_student(course, gb, student)
    gb.update_or_create_submission(assignment, student)
    out_dir = course.autograded_dir / student / assignment
    if out_dir.exists():
        shutil.rmtree(out_dir)
    suspicious: list[str] = []
    seconds = cpu = longest = 0.0
    judged = {}
    for nb_model in gb.find_assignment(assignment).notebooks:
        name = nb_model.name
        if name not in job.prepared:
            zero(gb, assignment, student, name)
            continue
        ex = job.executions.get(name)
        nb, reached = executed_notebook(job, name, ex, limits)
        seconds += ex.seconds if ex else 0.0
        cpu += float(ex.reply.get("cpu", 0.0)) if ex and ex.reply else 0.0
        if ex and ex.reply and ex.reply.get("cell_seconds"):
            longest = max(longest, *map(float, ex.reply["cell_seconds"].values()))
        reports = (ex.reply.get("reports") or {}) if ex and ex.reply else {}
        suspicious += judge_notebook(nb, reached, reports, reference.get(name, {}).get(job.seed, {}),
                                     released_tests(assignment, name))
        judged[name] = nb
    if suspicious:
        job.add("tampered", "check reports a correct notebook never sends: " + ", ".join(suspicious))
    status, note = status_of(job.conditions)
    for name, nb in judged.items():
        _save(course, job, name, nb, status, note)
    result = {"student": student, "assignment": assignment, "status": status, "note": note,
              "conditions": job.conditions, "sandboxed": sandboxed, "seconds": round(seconds, 1),
              "cpu_seconds": round(cpu, 1), "longest_cell_seconds": round(longest, 1)}
    course.write_status(assignment, student, result)
    return result


def record_safely(course: Course, job: Job, gb, sandboxed: bool, record_one) -> dict:
    """``record_one(job)`` (a ``record`` with its arguments bound), but a grader error becomes this submission's
    ``crashed`` status (scores 0), never the end of the batch."""
    try:
        with warnings.catch_warnings():
            # nbgrader 0.9's add_submission with SQLAlchemy 2 warns "… not in session, add operation along …"
            # while creating a submission; the rows are stored (the tests read them back)
            warnings.filterwarnings("ignore", message=".*not in session, add operation along")
            return record_one(job)
    except Exception as err:
        gb.db.rollback()
        job.add("crashed", f"grader error {type(err).__name__}: {str(err)[:200]}")
        try:
            for nb_model in gb.find_assignment(job.assignment).notebooks:
                zero(gb, job.assignment, job.student, nb_model.name)
        except Exception:
            gb.db.rollback()
        status, note = status_of(job.conditions)
        result = {"student": job.student, "assignment": job.assignment, "status": status, "note": note,
                  "conditions": job.conditions, "sandboxed": sandboxed, "seconds": 0.0}
        course.write_status(job.assignment, job.student, result)
        return result


def ensure_student(course: Course, gb, student: str) -> None:
    entry = course.roster().get(student)
    if entry:
        gb.update_or_create_student(student, last_name=entry.surname_ru, first_name=entry.surname_en)
    else:
        gb.update_or_create_student(student)


def zero(gb, assignment: str, student: str, notebook: str) -> None:
    """Auto scores 0 for every grade of a submitted notebook (it did not run)."""
    sub = gb.find_submission_notebook(notebook, assignment, student)
    for grade in sub.grades:
        grade.auto_score = 0
        grade.needs_manual_grade = False
    gb.db.commit()


def _cell_label(cell, index: int) -> str:
    return nbgrader_meta(cell).get("grade_id") or f"cell {index}"


def _first_error(cell) -> str:
    """The kernel's own error in a cell, one line (e.g. ``NotImplementedError``), before its outputs are replaced."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            evalue = str(out.get("evalue", "")).strip()
            return f"{out.get('ename', 'Error')}: {evalue.splitlines()[0] if evalue else ''}"[:300]
    return ""


def _verdict_outputs(verdict, own_error: str) -> list:
    """A test cell's outputs in the graded notebook: the verdict decided outside, never what the kernel printed."""
    if verdict.passed:
        return [nbformat.v4.new_output("stream", name="stdout", text=(
            f"All {verdict.checks} checks passed / все проверки пройдены ({verdict.checks})\n"))]
    lines = list(verdict.failures) or ["no check reported / ни одна проверка не сообщила результат"]
    if own_error:
        lines.append(f"your code raised / ваш код вызвал {own_error}")
    evalue = "; ".join(lines)
    return [nbformat.v4.new_output("error", ename="CheckFailed", evalue=evalue,
                                   traceback=[f"CheckFailed: {line}" for line in lines])]


def _status_banner(status: str, note: str) -> str:
    ru = {"tampered": "работа изменяла проверки или их результаты", "crashed": "выполнение аварийно прервалось",
          "timeout": "превышен лимит времени", "invalid_notebook": "ноутбук некорректен",
          "wrong_variant": "сдан не свой вариант"}.get(status, status)
    return (f"**Grading status: `{status}`** — {note}\n\n"
            f"**Статус проверки: `{status}`** — {ru}.")


def _add_error(cell, ename: str, evalue: str) -> None:
    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
