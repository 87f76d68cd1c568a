"""``metaopt grade feedback`` and ``metaopt grade export``.

Feedback is nbgrader's GenerateFeedback (HTML per student and assignment in ``var/feedback``) with
ClearHiddenTests in its preprocessors; the kernel ran with ``xmode=Minimal`` so tracebacks carry no source lines.
As a last guard every generated page is searched for the hidden-test lines of its assignment: a page that shows
one is deleted and reported instead of being handed out, and recorded in ``var/feedback_withheld.json``
so that the export flags it (column ``feedback``).

The export has one row per student and assignment submitted, plus a ``missing`` row for each of the student's
two expected variants not submitted; scores come from the gradebook (manual scores entered in formgrader
included), status and note from the grader, the surnames from the roster. ``student_total``/``student_max`` are
the student's score over their own two variants (a submission of another variant does not count): formgrader's
"Manage Students" cannot show this, since nbgrader sums the maximum over every assignment of the gradebook.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import nbformat

from metaopt_course import cells

from metaopt_instructor.course import Course, GradingError, expected_variants, kind_of

COLUMNS = ["student_id", "surname_ru", "surname_en", "assignment", "expected_variant", "auto_score", "manual_score",
           "score", "max_score", "student_total", "student_max", "needs_manual", "status", "feedback", "note"]
WITHHELD_NAME = "feedback_withheld.json"


def hidden_lines(course: Course, assignment: str) -> list[str]:
    """Distinctive lines of the assignment's hidden tests (from the gradebook's copy of the source cells): lines
    that appear nowhere else in the instructor's notebook, so that finding one in a page means a leak."""
    hidden, visible = [], []
    with course.gradebook() as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            for cell in nb.source_cells:
                source = cell.source or ""
                for block in cells.HIDDEN_REGION.findall(source):
                    hidden += [ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 12]
                visible.append(cells.HIDDEN_REGION.sub("", source))
    for path in course.source_notebooks(assignment):  # the solution's answers (the gradebook has the stubs)
        visible += [cells.HIDDEN_REGION.sub("", cell.source) for cell in nbformat.read(path, as_version=4).cells]
    elsewhere = "\n".join(visible)
    return [ln for ln in hidden if ln not in elsewhere]


def page_text(page: Path) -> str:
    """The visible text of an HTML page (tags removed — syntax highlighting splits code into spans — and
    entities decoded), where a leaked source line would appear verbatim."""
    return html.unescape(re.sub(r"<[^>]*>", "", page.read_text(encoding="utf-8")))


# --- formulas offline ------------------------------------------------------------------------------------------
# nbgrader's feedback template loads MathJax 2 from a CDN (unreachable offline, so formulas stay raw LaTeX). Each
# page is given MathJax 3 instead, inlined from the pinned django-static-mathjax package (its single-file SVG build
# needs no font or extension files), so a page typesets its formulas opened from a disk, with no network at all.
_MATHJAX_BLOCK = re.compile(r"<!-- metaopt-mathjax -->.*?<!-- /metaopt-mathjax -->", re.S)
_REMOTE_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//[^>]*>\s*</script>""", re.I)
_MATHJAX2_CONFIG = re.compile(r"""<script\s+type=["']text/x-mathjax-config["']\s*>.*?</script>""", re.S | re.I)
MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  svg: {fontCache: 'global'},
  options: {enableMenu: false}
};"""


def mathjax_script() -> Path:
    """The single-file MathJax 3 build (TeX input with every extension, SVG output) of django-static-mathjax."""
    import mathjax  # the django-static-mathjax package (requirements.txt)

    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    if not path.is_file():
        raise GradingError(f"MathJax not found at {path}: reinstall django-static-mathjax (requirements.txt)")
    return path


def offline_math(page: str, script: str) -> str:
    """``page`` (HTML) with every script loaded from another host and MathJax 2's configuration removed, and
    MathJax 3 (``script``, its source) inlined before ``</head>``: formulas typeset with no network."""
    page = _MATHJAX_BLOCK.sub("", page)
    page = _REMOTE_SCRIPT.sub("", page)
    page = _MATHJAX2_CONFIG.sub("", page)
    safe = re.sub(r"</(script)", r"<\\/\1", script, flags=re.I)  # the source must not close its own tag
    block = (f"<!-- metaopt-mathjax -->\n<script>\n{MATHJAX_CONFIG}\n</script>\n<script>\n{safe}\n</script>\n"
             "<!-- /metaopt-mathjax -->\n")
    head = page.lower().find("</head>")
    return page[:head] + block + page[head:] if head >= 0 else block + page


def withheld(course: Course) -> dict[str, str]:
    """``{"student/assignment": reason}`` of the feedback pages the last ``feedback`` run did not hand out."""
    path = course.work / WITHHELD_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save_withheld(course: Course, table: dict[str, str]) -> None:
    path = course.work / WITHHELD_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def feedback(course: Course, log=print) -> list[Path]:
    """Generate the HTML feedback of every autograded submission; returns the pages written."""
    api = course.api()
    written, hidden_cache = [], {}
    held = withheld(course)
    script = mathjax_script().read_text(encoding="utf-8")
    for status in course.statuses().values():
        student, assignment = status["student"], status["assignment"]
        if not (course.autograded_dir / student / assignment).is_dir():
            continue
        key = f"{student}/{assignment}"
        held.pop(key, None)
        result = api.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            log(f"  {student} {assignment}: feedback failed: {result.get('error') or result.get('log')}")
            held[key] = "feedback failed"
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
                held[key] = f"{page.name} showed hidden tests: deleted, not handed out"
                continue
            page.write_text(offline_math(page.read_text(encoding="utf-8"), script), encoding="utf-8")
            written.append(page)
    _save_withheld(course, held)
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
    held = withheld(course)
    out = []
    with course.gradebook() as gb:
        max_scores = {a.name: a.max_score for a in gb.assignments}
        students = sorted(set(roster) | {s for s, _ in statuses})
        for student in students:
            expected, problem = expected_variants(roster[student]) if student in roster else ([], None)
            submitted = sorted(a for s, a in statuses if s == student)
            names = {"surname_ru": roster[student].surname_ru if student in roster else "",
                     "surname_en": roster[student].surname_en if student in roster else ""}
            first = len(out)
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
                out.append({"student_id": student, **names, "assignment": assignment,
                            "feedback": _feedback_state(course, held, student, assignment),
                            "expected_variant": same_kind[0] if same_kind else "",
                            "auto_score": _num(sum(autos)), "manual_score": _num(sum(manuals)) if manuals else "",
                            "score": _num(sub.score), "max_score": _num(sub.max_score),
                            "needs_manual": "yes" if sub.needs_manual_grade else "no",
                            "status": st["status"], "note": note})
            for assignment in expected:
                if assignment in submitted:
                    continue
                out.append({"student_id": student, **names, "assignment": assignment, "feedback": "",
                            "expected_variant": assignment,
                            "auto_score": "0", "manual_score": "", "score": "0",
                            "max_score": _num(max_scores.get(assignment, "")), "needs_manual": "no",
                            "status": "missing", "note": "no submission of the expected variant"
                            + ("" if assignment in max_scores else " (assignment not released yet)")})
            if problem and not submitted:
                out.append({"student_id": student, **names, "assignment": "", "expected_variant": "",
                            "auto_score": "", "manual_score": "", "score": "", "max_score": "", "needs_manual": "no",
                            "status": "missing", "feedback": "", "note": f"roster: {problem}"})
            mine = [r for r in out[first:] if r["assignment"] in expected]
            total = _num(sum(float(r["score"] or 0) for r in mine)) if mine else ""
            top = _num(sum(float(r["max_score"] or 0) for r in mine)) if mine else ""
            for r in out[first:]:
                r["student_total"], r["student_max"] = total, top
    return out


def _feedback_state(course: Course, held: dict[str, str], student: str, assignment: str) -> str:
    """``written``, ``WITHHELD: <reason>`` or ``not generated`` for one submission's feedback pages."""
    reason = held.get(f"{student}/{assignment}")
    if reason:
        return f"WITHHELD: {reason}"
    return "written" if any((course.feedback_dir / student / assignment).glob("*.html")) else "not generated"


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
