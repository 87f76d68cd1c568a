"""Unit tests of ``metaopt_course.grading`` — the check functions every graded notebook calls.

The verdicts are decided outside the kernel (``metaopt_instructor.verify``, tested in test_theory_grading.py and the
sandboxed batches); here: what the functions compare, what they report and when, and their inputs per student.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from metaopt_course import grading as G


@pytest.fixture
def reports(monkeypatch):
    """Capture what the checks send to the grader (display outputs of the check MIME type)."""
    import IPython.display

    sent = []
    monkeypatch.setattr(IPython.display, "publish_display_data",
                        lambda data, *a, **k: sent.append(json.loads(data[G.MIME])))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    return sent


# --- comparison -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,expected,close", [
    (1.0, 1.0, True),
    ([1.0, 2.0], [1.0, 2.0], True),
    ([1.0, 2.0], [[1.0, 2.0]], False),                 # shape mismatch
    ([1.0], 1.0, False),                               # a one-element list is not a scalar
    ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 4.0]], False),  # ragged
    (float("nan"), float("nan"), False),               # NaN never matches
    (float("inf"), float("inf"), True),
    (float("inf"), float("-inf"), False),
    (float("inf"), 1e308, False),
    (1.0, float("nan"), False),
    (True, 1.0, True),                                 # booleans compare as 0/1
])
def test_values_close_cases(value, expected, close):
    assert G.values_close(value, expected, rtol=1e-6, atol=1e-8) is close


def test_values_close_takes_tensors_arrays_and_numpy_scalars():
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    assert G.values_close(t, t.numpy(), 0, 0)
    assert G.values_close(np.float32(0.5), 0.5, 0, 0)
    assert not G.values_close(t, t.T, 0, 0)
    assert not G.values_close("text", "text", 1, 1)    # not a number: never close


def test_tolerance_is_atol_plus_rtol_times_the_expected_value():
    # |v − e| ≤ atol + rtol·|e|, measured relative to the EXPECTED value (not symmetric)
    assert G.values_close(110.0, 100.0, rtol=0.1, atol=0.0)
    assert not G.values_close(100.0, 110.0 / 1.1 - 1e-9 + 0.0, rtol=0.0, atol=0.0)
    assert G.values_close(0.0, 1e-9, rtol=0.0, atol=1e-8)
    assert not G.values_close(0.0, 1e-7, rtol=0.0, atol=1e-8)


def test_default_tolerances_of_check_close():
    G.check_close("t:default", 1.0 + 5e-7, 1.0)        # within rtol = 1e-6
    with pytest.raises(G.GradingCheckFailed):
        G.check_close("t:default", 1.0 + 2e-6, 1.0)
    with pytest.raises(G.GradingCheckFailed):
        G.check_close("t:tiny", 2e-8, 0.0)             # atol = 1e-8


def test_check_close_names_the_shapes_in_both_languages():
    with pytest.raises(G.GradingCheckFailed) as err:
        G.check_close("t:shape", torch.zeros(3), torch.zeros(2, 3))
    text = str(err.value)
    assert "[t:shape]" in text and "(3,)" in text and "(2, 3)" in text and "форма" in text


# --- conditions -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("condition", [True, np.bool_(True), torch.tensor(True), torch.tensor([1.0]), 1])
def test_check_true_accepts_one_true_value(condition):
    G.check_true("t:true", condition)


@pytest.mark.parametrize("condition", [False, torch.tensor(False), np.array([0])])
def test_check_true_fails_on_false(condition):
    with pytest.raises(G.GradingCheckFailed, match="condition does not hold"):
        G.check_true("t:false", condition, "the loss decreases")


@pytest.mark.parametrize("condition", [torch.tensor([True, False]), torch.tensor([True, True]), np.array([1, 1]),
                                       2, 0.5, "yes", [True, True]])
def test_check_true_refuses_anything_but_one_boolean(condition):
    """A multi-element condition is never judged by its first element, nor is a number other than 0/1 truthy."""
    with pytest.raises(G.GradingCheckFailed, match=r"\.all\(\)"):
        G.check_true("t:many", condition)


# --- reporting --------------------------------------------------------------------------------------------------------
def test_nothing_is_reported_outside_grading(monkeypatch):
    import IPython.display

    sent = []
    monkeypatch.setattr(IPython.display, "publish_display_data", lambda data, *a, **k: sent.append(data))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    G.check_close("t:a", 1.0, 1.0)
    G.check_true("t:b", True)
    G.probe("t:c", 3.0)
    assert sent == []


def test_checks_report_name_value_and_local_verdict_while_grading(reports):
    G.check_close("t:close", torch.tensor([1.0, 2.0]), [1.0, 2.0], rtol=1e-3, atol=0.0)
    with pytest.raises(G.GradingCheckFailed):
        G.check_close("t:far", 5.0, 1.0)
    G.probe("t:hidden", np.array([[0.5]]), rtol=1e-4)
    with pytest.raises(G.GradingCheckFailed):
        G.check_true("t:cond", torch.tensor([1, 1]))
    assert reports == [
        {"name": "t:close", "value": [1.0, 2.0], "passed": True, "rtol": 1e-3, "atol": 0.0},
        {"name": "t:far", "value": 5.0, "passed": False, "rtol": 1e-6, "atol": 1e-8},
        {"name": "t:hidden", "value": [[0.5]], "rtol": 1e-4, "atol": 1e-8},  # a probe carries no verdict
        {"name": "t:cond", "value": None, "passed": False},
    ]


def test_non_finite_values_survive_the_report(reports):
    G.probe("t:nan", [float("nan"), float("inf"), -float("inf")])
    value = reports[0]["value"]
    assert math.isnan(value[0]) and value[1:] == [math.inf, -math.inf]


def test_an_unreportable_value_is_sent_as_text(reports):
    G.probe("t:obj", object())
    assert isinstance(reports[0]["value"], str) and reports[0]["value"].startswith("<object")


# --- per-student hidden inputs ------------------------------------------------------------------------------------
def test_hidden_generator_depends_on_seed_and_salt(monkeypatch):
    monkeypatch.setattr(G, "_hidden_seed", None)
    monkeypatch.delenv(G.SEED_ENV, raising=False)

    def draw(salt):
        return torch.rand(4, generator=G.hidden_generator(salt))

    base = draw("test_kl")
    assert torch.equal(base, draw("test_kl"))                  # reproducible
    assert not torch.equal(base, draw("test_elbo"))            # another test, other inputs
    G.set_hidden_seed(12345)
    other = draw("test_kl")
    assert not torch.equal(base, other)                        # another student, other inputs
    G.set_hidden_seed(12345)
    assert torch.equal(other, draw("test_kl"))


def test_hidden_seed_sources(monkeypatch):
    monkeypatch.setattr(G, "_hidden_seed", None)
    monkeypatch.setenv(G.SEED_ENV, "77")
    assert G.hidden_seed() == 77
    monkeypatch.setenv(G.SEED_ENV, "not a number")
    assert G.hidden_seed() == 0
    G.set_hidden_seed(5)
    assert G.hidden_seed() == 5                                # the grader's call wins over the environment


# --- one mistake costs one function; the student's own code ------------------------------------------------------------
def test_substitute_restores_the_namespace():
    ns = {"helper": "student's", "other": 1}
    with G.substitute(ns, helper="reference", extra="added"):
        assert ns["helper"] == "reference" and ns["extra"] == "added"
    assert ns == {"helper": "student's", "other": 1}


def _reference(x):
    return x + 1


def test_forbid_catches_the_reference_however_it_is_reached():
    alias = _reference  # a module without the library's imports: the message must not need them
    with pytest.raises(RuntimeError, match="reference implementation") as err:
        with G.forbid(_reference):
            alias(1)
    assert "эталонная реализация" in str(err.value)
    assert _reference(1) == 2                                  # restored afterwards
    with G.forbid(_reference):
        result = (lambda x: x * 2)(3)                          # own code passes
    assert result == 6


def test_plain_refuses_unknown_types():
    with pytest.raises(G.GradingCheckFailed, match="cannot compare"):
        G.plain({"a": 1})
