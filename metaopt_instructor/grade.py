"""``metaopt grade autograde``: prepare, execute in parallel (sandboxed), record with one writer.

Per submission (student, assignment):

1. **prepare** (main process, reads the gradebook): the notebook is read and validated (``invalid_notebook``
   otherwise); locked and test cells are compared with the released notebook — edited or deleted ones are named
   (``tampered``) and restored: deleted cells are re-inserted, then nbgrader's sanitizing preprocessors
   (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with ``add_missing_cells``,
   CheckCellMetadata) put back the gradebook's versions, hidden tests included.
   The notebook carries the student's hidden-input seed (``metaopt_instructor.release.hidden_seed_for``).
2. **execute** (worker threads, each driving one sandboxed process, see ``metaopt_instructor.sandbox``). The kernel only
   computes values: its checks report them to the executor.
3. **record** (main thread only — the single writer of the gradebook): each test cell's verdict is decided here,
   outside the sandbox, by comparing the reported values with the reference solution's on the same inputs
   (``metaopt_instructor.verify``); the test cell's outputs are replaced by that verdict (nothing the kernel printed in a
   test cell reaches feedback). Then nbgrader's LimitOutput and SaveAutoGrades store the scores; the autograded
   notebook goes to ``var/autograded`` (formgrader, feedback) and the status (``graded`` …
   ``wrong_variant``, with every condition in its note) to ``var/status``.

Manual scores are never touched (SaveAutoGrades sets ``auto_score`` only), so they survive a re-autograde.
"""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import functools
import os
import queue
import shutil
import time
import warnings

import nbformat

from metaopt_instructor.course import Course, GradingError, expected_variants, kind_of
from metaopt_instructor import sandbox, verify

PRECEDENCE = ("invalid_notebook", "crashed", "timeout", "tampered", "wrong_variant")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclasses.dataclass
class Job:
    student: str
    assignment: str
    notebooks: dict[str, bytes]                 # notebook name -> prepared JSON to execute
    conditions: dict[str, list[str]]            # condition -> notes
    prepared: dict[str, nbformat.NotebookNode]  # notebook name -> prepared notebook (no outputs)
    seed: int = 0                               # the student's hidden-input seed
    executions: dict[str, sandbox.Execution] = dataclasses.field(default_factory=dict)

    def add(self, condition: str, note: str) -> None:
        self.conditions.setdefault(condition, []).append(note)


def status_of(conditions: dict[str, list[str]]) -> tuple[str, str]:
    """(status by precedence, note naming every condition)."""
    status = next((c for c in PRECEDENCE if c in conditions), "graded")
    ordered = [c for c in PRECEDENCE if c in conditions] + sorted(set(conditions) - set(PRECEDENCE))
    note = "; ".join(f"{c}: {', '.join(conditions[c])}" for c in ordered)
    return status, note


def _nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_protected(cell) -> bool:
    """Locked cells and test cells (graded, not a solution) must reach grading as released."""
    meta = _nbgrader_meta(cell)
    return bool(meta.get("grade_id")) and (meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def _is_test_cell(cell) -> bool:
    meta = _nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _norm(source) -> str:
    if isinstance(source, list):
        source = "".join(source)
    return "\n".join(line.rstrip() for line in str(source).strip().splitlines())


def find_protected_changes(submitted, released) -> tuple[list[str], list[str], list]:
    """(edited grade ids, deleted grade ids, the submitted cells with the deleted ones re-inserted from ``released``
    and every cell's nbgrader metadata as released)."""
    sub_by_id = {}
    for cell in submitted.cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid and gid not in sub_by_id:
            sub_by_id[gid] = cell
    edited, deleted = [], []
    cells = list(submitted.cells)
    anchor = -1  # index in ``cells`` after which the next missing released cell goes
    for rel in released.cells:
        gid = _nbgrader_meta(rel).get("grade_id")
        if not gid:
            continue
        if gid in sub_by_id:
            anchor = next((i for i, c in enumerate(cells) if c is sub_by_id[gid]), anchor)
            if _is_protected(rel):
                sub = sub_by_id[gid]
                if sub.get("cell_type") != rel.get("cell_type") or _norm(sub.get("source")) != _norm(rel.source):
                    edited.append(gid)
                elif not _is_protected(sub) or _is_test_cell(sub) != _is_test_cell(rel):
                    edited.append(gid)  # metadata changed to unlock the cell or stop it being graded
        elif _is_protected(rel):
            deleted.append(gid)
            restored = copy.deepcopy(rel)
            cells.insert(anchor + 1, restored)
            anchor += 1
    # nbgrader metadata as released: a cell id the release does not have (an older release, a hand-made id)
    # becomes a plain cell, so that OverwriteCells never meets a grade cell the gradebook does not know
    released_meta = {_nbgrader_meta(c).get("grade_id"): _nbgrader_meta(c) for c in released.cells}
    for cell in cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid in released_meta:
            cell.metadata["nbgrader"] = copy.deepcopy(released_meta[gid])
        elif "nbgrader" in cell.get("metadata", {}):
            del cell.metadata["nbgrader"]
    return edited, deleted, cells


class Grader:
    """Grades the collected submissions of a course into its gradebook."""

    def __init__(self, course: Course, workers: int | None = None, sandbox_mode: bool | None = None, log=print,
                 cluster: str | None = None, force: bool = False):
        self.course = course
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.log = log
        # executions on a Dask cluster (metaopt_instructor.cluster) instead of the local pool; progress: metaopt_instructor.progress
        self.cluster = cluster or course.setting("cluster", None)
        self.force = force
        self.sandbox_mode = sandbox_mode
        self.progress = None
        usable, reason = sandbox.sandbox_status()
        self.sandboxed = usable if sandbox_mode is None else (sandbox_mode and usable)
        self.sandbox_reason = reason
        self.limits = None
        self._released: dict[tuple[str, str], dict[str, str]] = {}

    # --- discovery ---------------------------------------------------------------------------------------
    def submissions(self, assignments: list[str] | None = None,
                    students: list[str] | None = None) -> list[tuple[str, str]]:
        """(student, assignment) pairs collected in the submitted folder (optionally only these ones)."""
        base = self.course.submitted_dir
        pairs = []
        if base.is_dir():
            for student_dir in sorted(p for p in base.iterdir() if p.is_dir()):
                if students and student_dir.name not in students:
                    continue
                for a_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                    if assignments and a_dir.name not in assignments:
                        continue
                    pairs.append((student_dir.name, a_dir.name))
        return pairs

    # --- 1. prepare ----------------------------------------------------------------------------------------
    def prepare(self, student: str, assignment: str, gb) -> Job:
        from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells,
                                            OverwriteKernelspec)

        from metaopt_instructor.release import hidden_seed_for

        job = Job(student, assignment, {}, {}, {}, seed=hidden_seed_for(self.course, assignment, student))
        self._check_variant(job)
        cfg = self.course.config
        for nb_model in gb.find_assignment(assignment).notebooks:
            name = nb_model.name
            path = self.course.submission_dir(student, assignment) / f"{name}.ipynb"
            if not path.exists():
                job.add("invalid_notebook", f"no {name}.ipynb in the submission")
                continue
            if path.stat().st_size > MAX_NOTEBOOK_BYTES:
                job.add("invalid_notebook", f"{name}.ipynb is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
                continue
            try:
                nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
                nbformat.validate(nb)
            except Exception as err:  # JSON, encoding or schema errors
                job.add("invalid_notebook", f"{name}.ipynb is not a valid notebook ({type(err).__name__}: "
                        f"{str(err).splitlines()[0][:120] if str(err) else ''})")
                continue
            resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                      "db_url": self.course.db_url}}
            try:
                for pp in (ClearOutput, DeduplicateIds):
                    nb, resources = pp(config=cfg).preprocess(nb, resources)
                released = nbformat.read(self.course.released_notebook(assignment, name), as_version=4)
                edited, deleted, cells = find_protected_changes(nb, released)
                nb.cells = cells
                if edited:
                    job.add("tampered", "edited locked/test cells " + ", ".join(edited))
                if deleted:
                    job.add("tampered", "deleted locked/test cells " + ", ".join(deleted))
                for pp in (OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
                    nb, resources = pp(config=cfg).preprocess(nb, resources)
            except Exception as err:
                job.add("invalid_notebook", f"{name}.ipynb could not be prepared ({type(err).__name__}: {err})")
                continue
            job.prepared[name] = nb
            to_run = copy.deepcopy(nb)
            to_run.metadata["metaopt_grading"] = {"seed": job.seed}
            job.notebooks[name] = nbformat.writes(to_run).encode("utf-8")
        return job

    def _check_variant(self, job: Job) -> None:
        roster = self.course.roster()
        entry = roster.get(job.student)
        if entry is None:
            if roster:
                job.add("not_in_roster", "student id not in the roster; variant not checked")
            return
        expected, problem = expected_variants(entry)
        if problem:
            job.add("variant_unknown", problem)
            return
        same_kind = [a for a in expected if kind_of(a) == kind_of(job.assignment)]
        if same_kind and job.assignment not in expected:
            job.add("wrong_variant", f"submitted {job.assignment}, expected {same_kind[0]} for "
                                     f"{entry.surname_ru} / {entry.surname_en}")

    # --- 2. execute (worker threads) ------------------------------------------------------------------------
    def execute(self, job: Job, slots: "queue.Queue[int]") -> Job:
        slot = slots.get()
        try:
            files = self.course.source_dir / job.assignment
            for name, data in job.notebooks.items():
                try:
                    job.executions[name] = sandbox.execute(data, files, self.limits, slot=slot,
                                                           sandbox=self.sandboxed)
                except Exception as err:  # the machine, not the student: never lose the batch
                    job.executions[name] = sandbox.Execution(None, False, None, f"{type(err).__name__}: {err}",
                                                             0.0, self.sandboxed)
        finally:
            slots.put(slot)
        return job

    # --- 3. record (main thread only) ----------------------------------------------------------------------
    def record(self, job: Job, gb, reference: dict) -> dict:
        """Verdicts outside the sandbox, then the gradebook. ``reference``: {notebook: {seed: {grade id: reports}}}."""
        from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

        cfg = self.course.config
        student, assignment = job.student, job.assignment
        self._ensure_student(gb, student)
        gb.update_or_create_submission(assignment, student)
        out_dir = self.course.autograded_dir / student / assignment
        if out_dir.exists():
            shutil.rmtree(out_dir)
        suspicious: list[str] = []
        seconds = cpu = longest = 0.0
        judged = {}
        for nb_model in gb.find_assignment(assignment).notebooks:
            name = nb_model.name
            if name not in job.prepared:
                self._zero(gb, assignment, student, name)
                continue
            ex = job.executions.get(name)
            nb, reached = self._executed_notebook(job, name, ex)
            seconds += ex.seconds if ex else 0.0
            cpu += float(ex.reply.get("cpu", 0.0)) if ex and ex.reply else 0.0
            if ex and ex.reply and ex.reply.get("cell_seconds"):
                longest = max(longest, *map(float, ex.reply["cell_seconds"].values()))
            expected = reference.get(name, {}).get(job.seed, {})
            released_tests = self._released_tests(assignment, name)
            reports = (ex.reply.get("reports") or {}) if ex and ex.reply else {}
            for index, cell in enumerate(nb.cells):
                if not _is_test_cell(cell):
                    continue
                gid = _nbgrader_meta(cell)["grade_id"]
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
            judged[name] = nb
        if suspicious:
            job.add("tampered", "check reports a correct notebook never sends: " + ", ".join(suspicious))
        status, note = status_of(job.conditions)
        for name, nb in judged.items():
            if status != "graded":
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(_status_banner(status, note)))
            resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                      "db_url": self.course.db_url}}
            nb, resources = LimitOutput(config=cfg).preprocess(nb, resources)
            nb, resources = SaveAutoGrades(config=cfg).preprocess(nb, resources)
            out_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out_dir / f"{name}.ipynb")
        result = {"student": student, "assignment": assignment, "status": status, "note": note,
                  "conditions": job.conditions, "sandboxed": self.sandboxed, "seconds": round(seconds, 1),
                  "cpu_seconds": round(cpu, 1), "longest_cell_seconds": round(longest, 1)}
        self.course.write_status(assignment, student, result)
        return result

    def _released_tests(self, assignment: str, notebook: str) -> dict[str, str]:
        """{grade id: source of the released test cell} (what a student sees of each test)."""
        key = (assignment, notebook)
        if key not in self._released:
            released = nbformat.read(self.course.released_notebook(assignment, notebook), as_version=4)
            self._released[key] = {_nbgrader_meta(c)["grade_id"]: c.source for c in released.cells
                                   if _is_test_cell(c)}
        return self._released[key]

    def record_safely(self, job: Job, gb, reference: dict) -> dict:
        """``record``, but a grader error becomes this submission's ``crashed`` status (scores 0), never the
        end of the batch."""
        try:
            with warnings.catch_warnings():
                # nbgrader 0.9's add_submission with SQLAlchemy 2 warns "… not in session, add operation along
                # …" while creating a submission; the rows are stored (the tests read them back)
                warnings.filterwarnings("ignore", message=".*not in session, add operation along")
                return self.record(job, gb, reference)
        except Exception as err:
            gb.db.rollback()
            job.add("crashed", f"grader error {type(err).__name__}: {str(err)[:200]}")
            try:
                for nb_model in gb.find_assignment(job.assignment).notebooks:
                    self._zero(gb, job.assignment, job.student, nb_model.name)
            except Exception:
                gb.db.rollback()
            status, note = status_of(job.conditions)
            result = {"student": job.student, "assignment": job.assignment, "status": status, "note": note,
                      "conditions": job.conditions, "sandboxed": self.sandboxed, "seconds": 0.0}
            self.course.write_status(job.assignment, job.student, result)
            return result

    def _executed_notebook(self, job: Job, name: str, ex: sandbox.Execution | None):
        """(executed notebook, indices of cells that finished) with the job's execution conditions added."""
        prepared = job.prepared[name]
        if ex is None or ex.reply is None:
            if ex is not None and ex.killed:
                job.add("timeout", f"{name}: exceeded the submission limit of {self.limits.total_timeout} s "
                                   "and was killed")
            else:
                job.add("crashed", f"{name}: the executor failed (exit {ex.returncode if ex else '?'}) "
                                   f"{(ex.stderr.strip().splitlines() or [''])[-1][:200] if ex else ''}")
            return copy.deepcopy(prepared), set()
        reply = ex.reply
        nb = nbformat.from_dict(reply["notebook"])
        if len(nb.cells) != len(prepared.cells):
            job.add("crashed", f"{name}: the executed notebook lost cells")
            return copy.deepcopy(prepared), set()
        # trust only the outputs: sources and metadata are the prepared ones
        for cell, prep in zip(nb.cells, prepared.cells):
            cell["source"] = prep.source
            cell["metadata"] = copy.deepcopy(prep.metadata)
            cell["cell_type"] = prep.cell_type
        reached = set(reply.get("finished") or [])
        if reply.get("timeouts"):
            cells = [_cell_label(nb.cells[i], i) for i in reply["timeouts"] if i < len(nb.cells)]
            job.add("timeout", f"{name}: cell time limit ({self.limits.cell_timeout} s) in " + ", ".join(cells))
        if reply.get("deadline"):
            job.add("timeout", f"{name}: submission time limit ({self.limits.total_timeout} s) reached")
        if reply.get("killed"):
            job.add("timeout", f"{name}: the kernel ignored the interrupt and was killed "
                               f"{self.limits.grace} s after the cell limit")
        if reply.get("dead_kernel"):
            job.add("crashed", f"{name}: the kernel died (memory/process limit, os._exit, a signal or a crash)")
        if reply.get("error"):
            job.add("crashed", f"{name}: {reply['error'][:200]}")
        errors = {o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"}
        if "MemoryError" in errors:
            job.add("crashed", f"{name}: out of memory (limit {self.limits.memory_mb} MB)")
        if "BlockingIOError" in errors:
            job.add("crashed", f"{name}: process limit reached")
        if "SystemExit" in errors:
            job.add("crashed", f"{name}: the notebook called sys.exit / exit()")
        return nb, reached

    def _ensure_student(self, gb, student: str) -> None:
        entry = self.course.roster().get(student)
        if entry:
            gb.update_or_create_student(student, last_name=entry.surname_ru, first_name=entry.surname_en)
        else:
            gb.update_or_create_student(student)

    def _zero(self, gb, assignment: str, student: str, notebook: str) -> None:
        sub = gb.find_submission_notebook(notebook, assignment, student)
        for grade in sub.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()

    # --- the whole batch -------------------------------------------------------------------------------------
    def run(self, assignments: list[str] | None = None, students: list[str] | None = None) -> list[dict]:
        from metaopt_instructor.release import generate, grading_limits

        self.limits = grading_limits(self.course)
        pairs = self.submissions(assignments, students)
        if not pairs:
            self.log(f"nothing to grade: no submissions in {self.course.submitted_dir} (run collect first)")
            return []
        if not self.sandboxed:
            bar = "!" * 78
            self.log(f"{bar}\nWARNING: grading is NOT sandboxed ({self.sandbox_reason}).\n"
                     "Student code runs with resource and time limits only and can read files of this machine.\n"
                     f"{bar}")
        names = sorted({a for _, a in pairs})
        with self.course.gradebook() as gb:
            released = {a.name for a in gb.assignments}
        for name in names:
            if name not in self.course.assignments():
                raise GradingError(f"submissions for unknown assignment {name!r}")
            if name not in released or not self.course.released_notebook(name, name).parent.is_dir():
                self.log(f"{name} was not released yet: releasing it")
                generate(self.course, name)
        from metaopt_instructor import progress

        with self.course.gradebook() as gb:
            in_gradebook = {(sub.student.id, a.name) for a in gb.assignments for sub in a.submissions}
        pairs, skipped, hashes = progress.select(self.course, pairs, in_gradebook, force=self.force)
        if skipped:
            self.log(f"{len(skipped)} submissions unchanged since they were graded: skipped (--force grades them "
                     "again)")
        slots: queue.Queue[int] = queue.Queue()
        for i in range(self.workers):
            slots.put(i)
        if self.cluster:
            from metaopt_instructor.cluster import DaskPool

            pool = DaskPool(self.cluster, self.limits, self.sandbox_mode, self.course.source_dir)
            self.log(f"executing on the Dask cluster {self.cluster} ({pool.workers()} worker threads)")
            submit = pool.submit
        else:
            pool = concurrent.futures.ThreadPoolExecutor(self.workers)
            submit = functools.partial(pool.submit, self.execute, slots=slots)
        reference = self._references(pairs, pool if self.cluster else None)
        results = []
        start = time.monotonic()
        self.progress = progress.Progress(len(pairs))
        # one gradebook session in this thread: it prepares (reads) and records (writes); workers only execute
        with self.course.gradebook() as gb, pool:
            futures, rejected = [], []
            for student, assignment in pairs:
                job = self.prepare(student, assignment, gb)
                if job.notebooks:
                    futures.append(submit(job))
                else:
                    rejected.append(job)
            for job in rejected:
                results.append(self._report(self._stamped(self.record_safely(job, gb, reference[job.assignment]),
                                                          hashes)))
            for fut in concurrent.futures.as_completed(futures):
                job = fut.result()
                results.append(self._report(self._stamped(self.record_safely(job, gb, reference[job.assignment]),
                                                          hashes, job)))
        where = f"on the cluster {self.cluster}" if self.cluster else f"with {self.workers} worker(s)"
        self.log(f"graded {len(results)} submissions {where} in "
                 f"{time.monotonic() - start:.0f} s ({'sandboxed' if self.sandboxed else 'NOT sandboxed'})")
        results += [self.course.read_status(a, s) for s, a in skipped]
        return sorted(results, key=lambda r: (r["student"], r["assignment"]))

    def _stamped(self, result: dict, hashes: dict, job: Job | None = None) -> dict:
        """The status file gets the hash of what was graded once the gradebook holds the scores (resumption), and
        whether the executions really were sandboxed (a cluster worker decides that on its own machine)."""
        result["hash"] = hashes[(result["student"], result["assignment"])]
        if job is not None and job.executions:
            result["sandboxed"] = all(ex.sandboxed for ex in job.executions.values())
            if self.sandboxed and not result["sandboxed"]:
                self.log(f"WARNING: {result['student']} {result['assignment']} was executed NOT sandboxed "
                         "(a cluster worker without usable bubblewrap, or not root)")
        self.course.write_status(result["assignment"], result["student"], result)
        return result

    def _references(self, pairs: list[tuple[str, str]], cluster=None) -> dict:
        """{assignment: {notebook: {seed: {grade id: reports}}}}: the reference solution on every graded student's
        hidden inputs, computed in parallel (cached per seed); on the cluster's workers when ``cluster`` (a
        ``DaskPool``) is given."""
        from metaopt_instructor.release import hidden_seed_for, reference_reports

        seeds: dict[str, list[int]] = {}
        for student, assignment in pairs:
            seeds.setdefault(assignment, []).append(hidden_seed_for(self.course, assignment, student))
        tasks = [(a, p.stem, s) for a, s in seeds.items() for p in self.course.source_notebooks(a)]
        reference: dict = {a: {} for a in seeds}
        threads = max(1, cluster.workers()) if cluster else self.workers
        execute = cluster.execute if cluster else None
        # one sandbox slot (an unprivileged uid) per running task, never shared: the leftover processes of a slot's
        # uid are killed after each execution, which must not hit another execution running under the same uid
        slots: queue.Queue[int] = queue.Queue()
        for k in range(threads):
            slots.put(self.workers + k)

        def run(a, nb, s):
            slot = slots.get()
            try:
                return reference_reports(self.course, a, nb, s, slot, self.log, execute)
            finally:
                slots.put(slot)

        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            futs = {pool.submit(run, a, nb, s): (a, nb) for a, nb, s in tasks}
            for fut in concurrent.futures.as_completed(futs):
                a, nb = futs[fut]
                reference[a][nb] = fut.result()
        return reference

    def _report(self, result: dict) -> dict:
        prefix = self.progress.step() if self.progress else ""
        self.log(f"  {prefix} {result['student']:<12} {result['assignment']:<12} {result['status']:<16} "
                 f"{result['note'][:100]}")
        return result


def _cell_label(cell, index: int) -> str:
    return _nbgrader_meta(cell).get("grade_id") or f"cell {index}"


def _first_error(cell) -> str:
    """The kernel's own error in a cell, one line (e.g. ``NotImplementedError``), before its outputs are replaced."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            text = f"{out.get('ename', 'Error')}: {str(out.get('evalue', '')).strip().splitlines()[0] if str(out.get('evalue', '')).strip() else ''}"
            return text[:300]
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


def autograde(course: Course, assignments: list[str] | None = None, workers: int | None = None,
              sandbox_mode: bool | None = None, students: list[str] | None = None, log=print,
              cluster: str | None = None, force: bool = False) -> list[dict]:
    return Grader(course, workers=workers, sandbox_mode=sandbox_mode, log=log, cluster=cluster,
                  force=force).run(assignments, students)
