"""The theory notebooks under the grading design of ``metaopt_course.grading`` (verdicts decided outside the kernel).

In-process (``metaopt_instructor.inprocess``), on two hidden-input seeds, with the reference solution run once per seed:

* the reference judged against itself passes every test cell, each test cell reports checks named after it and at
  least one hidden, non-boolean probe (a forger cannot pass it by reporting ``True``);
* the hidden inputs are per student: another seed gives other reported values;
* every plausible wrong answer of ``tests/mutants_theory.py`` fails exactly the test cells of its function — one
  mistake costs one function, and never another function's points.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor.inprocess import failed_cells, judge, run_notebook
from tests.mutants_theory import ALTERNATIVES, EDITS, MUTANTS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (1, 2)
NAMES = sorted(MUTANTS)
# test cells whose hidden probes are the same for every student by nature (error flags and a normalisation)
SEED_FREE = {("theory_5", "test_tempered_prior_error")}


def _nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@functools.lru_cache(maxsize=None)
def _solution(name: str) -> nbformat.NotebookNode:
    return _nb(ROOT / "solutions" / name / f"{name}.ipynb")


@functools.lru_cache(maxsize=None)
def _released(name: str) -> nbformat.NotebookNode:
    return _nb(ROOT / "assignments" / name / f"{name}.ipynb")


@functools.lru_cache(maxsize=None)
def _reference(name: str, seed: int):
    return run_notebook(_solution(name), seed=seed)


def _released_sources(name: str) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in _released(name).cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")}


def _is_boolean(value) -> bool:
    if isinstance(value, bool):
        return True
    return isinstance(value, list) and all(_is_boolean(v) for v in value)


@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_and_every_cell_probes_hidden_values(name, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    released = _released_sources(name)
    for seed in SEEDS:
        ref = _reference(name, seed)
        assert set(ref) == set(released), "test cells of the solution and of the release differ"
        assert not failed_cells(judge(ref, ref, _released(name)))
        for gid, run in ref.items():
            assert run.error is None, f"{gid}: {run.error}"
            names = [r["name"] for r in run.reports]
            assert len(names) == len(set(names)), f"{gid}: a check reported twice"
            assert all(n.startswith(f"{gid}:") for n in names), f"{gid}: checks named after another cell: {names}"
            hidden = [r for r in run.reports if r["name"] not in released[gid]]
            assert any(not _is_boolean(r["value"]) for r in hidden), f"{gid}: no non-boolean probe on hidden inputs"
            assert len(hidden) >= 3, f"{gid}: fewer than three hidden probes (several random instances)"
            visible = [r for r in run.reports if r["name"] in released[gid]]
            assert visible, f"{gid}: no visible check (students get no local feedback)"


@pytest.mark.parametrize("name", NAMES)
def test_hidden_inputs_depend_on_the_seed(name):
    released = _released_sources(name)
    a, b = (_reference(name, seed) for seed in SEEDS)
    for gid in a:
        if (name, gid) in SEED_FREE:
            continue
        ha = {r["name"]: r["value"] for r in a[gid].reports if r["name"] not in released[gid]}
        hb = {r["name"]: r["value"] for r in b[gid].reports if r["name"] not in released[gid]}
        assert set(ha) == set(hb)
        assert ha != hb, f"{gid}: the hidden checks report the same values for two students"


@pytest.mark.parametrize("name", NAMES)
def test_each_wrong_answer_costs_exactly_its_function(name, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    answers = {a for a, _, _ in MUTANTS[name]}
    graded = {c.metadata["nbgrader"]["grade_id"] for c in _solution(name).cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    assert graded <= answers, f"functions without wrong-answer tests: {sorted(graded - answers)}"
    for answer in graded:
        assert sum(a == answer for a, _, _ in MUTANTS[name]) >= 2, f"{answer}: fewer than two wrong answers"
    wrong = []
    start = time.perf_counter()
    for (answer, source, expected), edit in zip(MUTANTS[name], EDITS[name]):
        for seed in SEEDS:
            candidate = run_notebook(_solution(name), seed=seed, answers={answer: source})
            verdicts = judge(_reference(name, seed), candidate, _released(name))
            got = failed_cells(verdicts)
            suspicious = [s for v in verdicts.values() for s in v.suspicious]
            if got != set(expected) or suspicious:
                wrong.append(f"{answer} ({edit[3]}), seed {seed}: failed {sorted(got)}, expected {sorted(expected)}"
                             f"{', suspicious ' + str(suspicious) if suspicious else ''}")
    print(f"{name}: {len(MUTANTS[name])} wrong answers × {len(SEEDS)} seeds in {time.perf_counter() - start:.1f} s")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_correct_answers_written_differently_pass(name, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    wrong = []
    for answer, source, what in ALTERNATIVES.get(name, []):
        for seed in SEEDS:
            candidate = run_notebook(_solution(name), seed=seed, answers={answer: source})
            got = failed_cells(judge(_reference(name, seed), candidate, _released(name)))
            if got:
                wrong.append(f"{answer} ({what}), seed {seed}: failed {sorted(got)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", NAMES)
def test_model_proof_is_not_released(name):
    """The model proof lives in the manual answer cell only: no line of it may reach the released notebook."""
    released = "\n".join(c.source for c in _released(name).cells)
    for cell in _solution(name).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            leaked = [line for line in cell.source.split("\n") if len(line.strip()) > 40 and line.strip() in released]
            assert not leaked, f"model proof lines in the release: {leaked[:2]}"
