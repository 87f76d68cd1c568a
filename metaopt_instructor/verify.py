"""Verdicts, decided outside the sandbox: the student's reported values against the reference solution's.

While a test cell runs, its checks report ``{"name", "value", …}`` (see ``metaopt_course.grading``); the executor
hands the reports of each test cell to the grader. The reference solution, run on the same per-student inputs by the
grader, reported the checks to expect, their values and tolerances. A test cell passes when every check the
reference reported in that cell was reported exactly once by the student, and

* a hidden check (``probe``; its expected value never entered the sandbox) carries a value matching the
  reference's — only the right answer passes it;
* a visible check (its name is written in the released cell, its expected value visible to the student) reports
  that its own comparison passed. It may compare with the student's own helpers, so a mistake in a helper costs
  only the helper's cells; forging it earns nothing, since every test cell holds hidden checks.
"""

from __future__ import annotations

import dataclasses
import json

from metaopt_course.grading import values_close

MAX_REPORTS_PER_CELL = 2000


@dataclasses.dataclass
class CellVerdict:
    passed: bool
    failures: list[str]        # human-readable, one per failed check (names of visible checks, hidden ones counted)
    suspicious: list[str]      # reports only a forger makes (a check reported twice, an unknown check)
    checks: int                # number of checks the reference made in this cell


def parse_reports(lines: list[str]) -> tuple[list[dict], int]:
    """JSON texts → (reports with a string name, number of unreadable ones)."""
    reports, bad = [], 0
    for line in lines[:MAX_REPORTS_PER_CELL]:
        try:
            rec = json.loads(line)
        except (TypeError, ValueError):
            bad += 1
            continue
        if isinstance(rec, dict) and isinstance(rec.get("name"), str):
            reports.append(rec)
        else:
            bad += 1
    return reports, bad + max(0, len(lines) - MAX_REPORTS_PER_CELL)


def _matches(reference: dict, got: dict) -> bool:
    want = reference.get("value")
    if isinstance(want, bool) or want is None:
        return got.get("value") is want and want is True
    rtol, atol = float(reference.get("rtol", 1e-6)), float(reference.get("atol", 1e-8))
    try:
        return values_close(got.get("value"), want, rtol, atol)
    except Exception:  # noqa: BLE001 - a malformed report fails its check
        return False


def judge_cell(got: list[dict], reference: list[dict], visible: set[str]) -> CellVerdict:
    """The verdict of one test cell. ``reference``: the reference solution's reports of this cell (in order);
    ``visible``: names of the checks a student can see (their names may be shown in feedback)."""
    by_name: dict[str, list[dict]] = {}
    for rec in got:
        by_name.setdefault(rec["name"], []).append(rec)
    expected_names = {r["name"] for r in reference}
    suspicious = sorted({f"check {n} reported {len(v)} times" for n, v in by_name.items()
                         if n in expected_names and len(v) > 1})
    failures, hidden_failed = [], 0
    for ref in reference:
        name = ref["name"]
        reports = by_name.get(name, [])
        if name in visible:
            ok = len(reports) == 1 and reports[0].get("passed") is True
        else:
            ok = len(reports) == 1 and _matches(ref, reports[0])
        if ok:
            continue
        if name in visible:
            why = "did not run" if not reports else ("reported twice" if len(reports) > 1 else "failed")
            failures.append(f"{name}: {why}")
        else:
            hidden_failed += 1
    if hidden_failed:
        hidden_total = sum(1 for r in reference if r["name"] not in visible)
        failures.append(f"{hidden_failed} of {hidden_total} hidden checks failed")
    hidden = [r for r in reference if r["name"] not in visible]
    if not hidden:
        failures.append("no hidden check in this cell: it cannot be graded / в ячейке нет скрытых проверок")
    passed = bool(reference) and not failures and not suspicious
    return CellVerdict(passed, failures, suspicious, len(reference))
