"""Outside verification of the check records a student's kernel wrote (see ``metaopt_lib.grading``).

A test cell that passed (no error output) must have left, for every check the instructor's solution recorded in
that cell, a record with the same name that passed and whose value matches the solution's expected value within
the check's tolerance. A record of kind ``tampered`` (grading helpers replaced), a failed check whose exception
was swallowed, or missing/mismatching records mean the cell's pass cannot be trusted: it scores 0 and the
submission is marked ``tampered``. Test cells that failed score 0 anyway; only a tampered record is noted there.
"""

from __future__ import annotations

import json

from metaopt_lib.grading import values_close


def parse_records(lines: list[str]) -> tuple[list[dict], int]:
    """JSON lines → (records, number of unreadable lines)."""
    records, bad = [], 0
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(rec, dict) and isinstance(rec.get("name"), str):
            records.append(rec)
        else:
            bad += 1
    return records, bad


def group_records(records: list[dict]) -> dict[str, list[dict]]:
    """{grade_id: records in order}; the grade id is the part of the check name before the first ':'."""
    out: dict[str, list[dict]] = {}
    for rec in records:
        out.setdefault(rec["name"].split(":", 1)[0], []).append(rec)
    return out


def _matches(expected: dict, got: dict) -> bool:
    if got.get("kind") != expected.get("kind") or got.get("passed") is not True:
        return False
    if expected.get("kind") == "close":
        try:
            return values_close(got.get("value"), expected.get("expected"),
                                float(expected.get("rtol", 1e-6)), float(expected.get("atol", 1e-8)))
        except Exception:
            return False
    return True


def check_cell(passed: bool, got: list[dict], expected: list[dict] | None) -> str | None:
    """Why a test cell's result cannot be trusted, or None. ``passed``: the cell showed no error."""
    replaced = sorted({name for r in got if r.get("kind") == "tampered" for name in r.get("replaced") or []})
    if replaced or any(r.get("kind") == "tampered" for r in got):
        return "grading helpers replaced: " + (", ".join(replaced) or "?")
    if not passed:
        return None
    if any(r.get("passed") is not True for r in got):
        return "a failed check did not fail the cell"
    if not expected:
        return None
    by_name: dict[str, list[dict]] = {}
    for rec in got:
        by_name.setdefault(rec["name"], []).append(rec)
    seen: dict[str, int] = {}
    for exp in expected:
        i = seen.get(exp["name"], 0)
        seen[exp["name"]] = i + 1
        candidates = by_name.get(exp["name"], [])
        if i >= len(candidates):
            return f"check {exp['name']} did not run"
        if not _matches(exp, candidates[i]):
            return f"check {exp['name']} does not match the expected result"
    return None
