"""Step 1 of autograde, **prepare** (main process, reads the gradebook): one submission becomes a :class:`Job`.

The notebook is read and validated (``invalid_notebook`` otherwise); locked and test cells are compared with the
released notebook — edited or deleted ones are named (``tampered``) and restored: deleted cells are re-inserted,
then nbgrader's sanitizing preprocessors (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with
``add_missing_cells``, CheckCellMetadata) put back the gradebook's versions, hidden tests included. The roster
decides whether the student submitted their own variant (``wrong_variant``). The notebook to execute carries the
student's hidden-input seed (``metaopt_instructor.release.hidden_seed_for``) in ``metadata.metaopt_grading``.
"""

from __future__ import annotations

import copy
import dataclasses

import nbformat

from metaopt_course.cells import is_protected, is_test_cell, nbgrader_meta
from metaopt_instructor import sandbox
from metaopt_instructor.course import Course, expected_variants, kind_of

__all__ = ["Job", "MAX_NOTEBOOK_BYTES", "find_protected_changes", "prepare", "check_variant"]

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclasses.dataclass
class Job:
    """One submission on its way through the batch: prepared here, executed by a worker, recorded by the client."""
    student: str
    assignment: str
    notebooks: dict[str, bytes]                 # notebook name -> prepared JSON to execute
    conditions: dict[str, list[str]]            # condition -> notes
    prepared: dict[str, nbformat.NotebookNode]  # notebook name -> prepared notebook (no outputs)
    seed: int = 0                               # the student's hidden-input seed
    executions: dict[str, sandbox.Execution] = dataclasses.field(default_factory=dict)

    def add(self, condition: str, note: str) -> None:
        self.conditions.setdefault(condition, []).append(note)


def _norm(source) -> str:
    if isinstance(source, list):
        source = "".join(source)
    return "\n".join(line.rstrip() for line in str(source).strip().splitlines())


def find_protected_changes(submitted, released) -> tuple[list[str], list[str], list]:
    """(edited grade ids, deleted grade ids, the submitted cells with the deleted ones re-inserted from ``released``
    and every cell's nbgrader metadata as released)."""
    sub_by_id = {}
    for cell in submitted.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and gid not in sub_by_id:
            sub_by_id[gid] = cell
    edited, deleted = [], []
    cells = list(submitted.cells)
    anchor = -1  # index in ``cells`` after which the next missing released cell goes
    for rel in released.cells:
        gid = nbgrader_meta(rel).get("grade_id")
        if not gid:
            continue
        if gid in sub_by_id:
            anchor = next((i for i, c in enumerate(cells) if c is sub_by_id[gid]), anchor)
            if is_protected(rel):
                sub = sub_by_id[gid]
                if sub.get("cell_type") != rel.get("cell_type") or _norm(sub.get("source")) != _norm(rel.source):
                    edited.append(gid)
                elif not is_protected(sub) or is_test_cell(sub) != is_test_cell(rel):
                    edited.append(gid)  # metadata changed to unlock the cell or stop it being graded
        elif is_protected(rel):
            deleted.append(gid)
            restored = copy.deepcopy(rel)
            cells.insert(anchor + 1, restored)
            anchor += 1
    # nbgrader metadata as released: a cell id the release does not have (an older release, a hand-made id)
    # becomes a plain cell, so that OverwriteCells never meets a grade cell the gradebook does not know
    released_meta = {nbgrader_meta(c).get("grade_id"): nbgrader_meta(c) for c in released.cells}
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in released_meta:
            cell.metadata["nbgrader"] = copy.deepcopy(released_meta[gid])
        elif "nbgrader" in cell.get("metadata", {}):
            del cell.metadata["nbgrader"]
    return edited, deleted, cells


def check_variant(course: Course, job: Job) -> None:
    """Adds ``wrong_variant`` (or ``not_in_roster`` / ``variant_unknown``) to the job from the course roster."""
    roster = course.roster()
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


def _read_submitted(path, name: str, job: Job):
    """The submitted notebook, or None with an ``invalid_notebook`` condition added to the job."""
    if not path.exists():
        job.add("invalid_notebook", f"no {name}.ipynb in the submission")
        return None
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        job.add("invalid_notebook", f"{name}.ipynb is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        return None
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # JSON, encoding or schema errors
        job.add("invalid_notebook", f"{name}.ipynb is not a valid notebook ({type(err).__name__}: "
                f"{str(err).splitlines()[0][:120] if str(err) else ''})")
        return None
    return nb


def _sanitize(course: Course, job: Job, name: str, nb):
    """nbgrader's preprocessors around the tamper check: the notebook with every locked and test cell as the
    gradebook has it (tampering noted in the job)."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells,
                                        OverwriteKernelspec)

    cfg = course.config
    resources = {"nbgrader": {"notebook": name, "assignment": job.assignment, "student": job.student,
                              "db_url": course.db_url}}
    for pp in (ClearOutput, DeduplicateIds):
        nb, resources = pp(config=cfg).preprocess(nb, resources)
    released = nbformat.read(course.released_notebook(job.assignment, name), as_version=4)
    edited, deleted, cells = find_protected_changes(nb, released)
    nb.cells = cells
    if edited:
        job.add("tampered", "edited locked/test cells " + ", ".join(edited))
    if deleted:
        job.add("tampered", "deleted locked/test cells " + ", ".join(deleted))
    for pp in (OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        nb, resources = pp(config=cfg).preprocess(nb, resources)
    return nb


def prepare(course: Course, student: str, assignment: str, gb) -> Job:
    """The job of one submission: every notebook of the assignment read, checked and restored, ready to execute
    (``job.notebooks``) or with the condition that keeps it from executing."""
    from metaopt_instructor.release import hidden_seed_for

    job = Job(student, assignment, {}, {}, {}, seed=hidden_seed_for(course, assignment, student))
    check_variant(course, job)
    for nb_model in gb.find_assignment(assignment).notebooks:
        name = nb_model.name
        nb = _read_submitted(course.submission_dir(student, assignment) / f"{name}.ipynb", name, job)
        if nb is None:
            continue
        try:
            nb = _sanitize(course, job, name, nb)
        except Exception as err:
            job.add("invalid_notebook", f"{name}.ipynb could not be prepared ({type(err).__name__}: {err})")
            continue
        job.prepared[name] = nb
        to_run = copy.deepcopy(nb)
        to_run.metadata["metaopt_grading"] = {"seed": job.seed}
        job.notebooks[name] = nbformat.writes(to_run).encode("utf-8")
    return job
