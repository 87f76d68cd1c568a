"""``metaopt grade feedback`` and ``metaopt grade export``.

Feedback is nbgrader's GenerateFeedback (HTML per student and assignment in ``autograder/work/feedback``) with
ClearHiddenTests in its preprocessors; the kernel ran with ``xmode=Minimal`` so tracebacks carry no source lines.
As a last guard every generated page is searched for the hidden-test lines of its assignment: a page that shows
one is deleted and reported instead of being handed out.

The export has one row per student and assignment submitted, plus a ``missing`` row for each of the student's
two expected variants not submitted; scores come from the gradebook (manual scores entered in formgrader
included), status and note from the grader.
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import nbformat

from autograder.course import Course, GradingError, expected_variants, kind_of

COLUMNS = ["student_id", "assignment", "expected_variant", "auto_score", "manual_score", "score", "max_score",
           "needs_manual", "status", "note"]
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def hidden_lines(course: Course, assignment: str) -> list[str]:
    """Distinctive lines of the assignment's hidden tests (from the gradebook's copy of the source cells): lines
    that appear nowhere else in the instructor's notebook, so that finding one in a page means a leak."""
    hidden, visible = [], []
    with course.gradebook() as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            for cell in nb.source_cells:
                source = cell.source or ""
                for block in _HIDDEN.findall(source):
                    hidden += [ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 12]
                visible.append(_HIDDEN.sub("", source))
    for path in course.source_notebooks(assignment):  # the solution's answers (the gradebook has the stubs)
        visible += [_HIDDEN.sub("", cell.source) for cell in nbformat.read(path, as_version=4).cells]
    elsewhere = "\n".join(visible)
    return [ln for ln in hidden if ln not in elsewhere]


def page_text(page: Path) -> str:
    """The visible text of an HTML page (tags removed — syntax highlighting splits code into spans — and
    entities decoded), where a leaked source line would appear verbatim."""
    return html.unescape(re.sub(r"<[^>]*>", "", page.read_text(encoding="utf-8")))


def feedback(course: Course, log=print) -> list[Path]:
    """Generate the HTML feedback of every autograded submission; returns the pages written."""
    api = course.api()
    written, hidden_cache = [], {}
    for status in course.statuses().values():
        student, assignment = status["student"], status["assignment"]
        if not (course.autograded_dir / student / assignment).is_dir():
            continue
        result = api.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            log(f"  {student} {assignment}: feedback failed: {result.get('error') or result.get('log')}")
            continue
        if assignment not in hidden_cache:
            hidden_cache[assignment] = hidden_lines(course, assignment)
        for page in sorted((course.feedback_dir / student / assignment).glob("*.html")):
            text = page_text(page)
            leaked = [ln for ln in hidden_cache[assignment] if ln in text]
            if leaked:
                page.unlink()
                log(f"  {student} {assignment}: {page.name} showed hidden tests and was deleted "
                    f"({leaked[0][:60]!r})")
                continue
            written.append(page)
    log(f"feedback: {len(written)} pages in {course.feedback_dir}")
    return written


def _num(x) -> str:
    if x is None or x == "":
        return ""
    return f"{round(float(x), 4):g}"


def rows(course: Course) -> list[dict[str, str]]:
    """The grade table (see the module docstring)."""
    roster = course.roster()
    statuses = course.statuses()
    out = []
    with course.gradebook() as gb:
        max_scores = {a.name: a.max_score for a in gb.assignments}
        students = sorted(set(roster) | {s for s, _ in statuses})
        for student in students:
            expected, problem = expected_variants(roster[student]) if student in roster else ([], None)
            submitted = sorted(a for s, a in statuses if s == student)
            for assignment in submitted:
                st = statuses[(student, assignment)]
                try:
                    sub = gb.find_submission(assignment, student)
                except Exception:
                    raise GradingError(f"{student}/{assignment} is graded but not in the gradebook "
                                       f"{course.db_url}: rerun autograde") from None
                grades = [g for nb in sub.notebooks for g in nb.grades]
                autos = [g.auto_score for g in grades if g.auto_score is not None]
                manuals = [g.manual_score for g in grades if g.manual_score is not None]
                same_kind = [a for a in expected if kind_of(a) == kind_of(assignment)]
                note = st["note"] + (f"; roster: {problem}" if problem else "")
                out.append({"student_id": student, "assignment": assignment,
                            "expected_variant": same_kind[0] if same_kind else "",
                            "auto_score": _num(sum(autos)), "manual_score": _num(sum(manuals)) if manuals else "",
                            "score": _num(sub.score), "max_score": _num(sub.max_score),
                            "needs_manual": "yes" if sub.needs_manual_grade else "no",
                            "status": st["status"], "note": note})
            for assignment in expected:
                if assignment in submitted:
                    continue
                out.append({"student_id": student, "assignment": assignment, "expected_variant": assignment,
                            "auto_score": "0", "manual_score": "", "score": "0",
                            "max_score": _num(max_scores.get(assignment, "")), "needs_manual": "no",
                            "status": "missing", "note": "no submission of the expected variant"
                            + ("" if assignment in max_scores else " (assignment not released yet)")})
            if problem and not submitted:
                out.append({"student_id": student, "assignment": "", "expected_variant": "", "auto_score": "",
                            "manual_score": "", "score": "", "max_score": "", "needs_manual": "no",
                            "status": "missing", "note": f"roster: {problem}"})
    return out


def write_csv(table: list[dict[str, str]], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)


def format_table(table: list[dict[str, str]], note_width: int = 60) -> str:
    cols = [c for c in COLUMNS if c != "note"]
    widths = {c: max(len(c), *(len(r[c]) for r in table)) if table else len(c) for c in cols}
    buf = io.StringIO()
    buf.write("  ".join(c.ljust(widths[c]) for c in cols) + "  note\n")
    for r in table:
        note = r["note"] if len(r["note"]) <= note_width else r["note"][: note_width - 1] + "…"
        buf.write("  ".join(r[c].ljust(widths[c]) for c in cols) + "  " + note + "\n")
    return buf.getvalue()
