"""Checks of the graded notebooks: values are computed in the student's kernel, verdicts are decided outside it.

A graded notebook's test cells call::

    check_close("<grade_id>:<what>", student_value, expected_value, rtol=1e-6, atol=1e-8)   # visible checks
    check_true("<grade_id>:<what>", condition, "what the condition means")
    probe("<grade_id>:<what>", student_value)                                              # hidden checks

**For the student** (self-check, or running a cell by hand) ``check_close``/``check_true`` compare locally and raise
:class:`GradingCheckFailed` with a message in English and Russian; ``probe`` does nothing.

**While the notebook is graded** (``NBGRADER_EXECUTION`` set) every check also *reports* its name and the student's
value as a display output of MIME type :data:`MIME`. The executor takes those outputs out of the test cell and hands
them to the grader, which decides outside the sandbox. A **hidden** check (``probe``) carries no expected value into
the kernel: the grader compares the student's value with the value the instructor's reference solution reported
for the same check on the same per-student inputs, with the reference's tolerances — passing it means computing
the right answer. A **visible** check is an example the student can read anyway: its own comparison counts, and the
cell passes only when its hidden checks pass too (every test cell has some). So redefining these functions, replacing
NumPy or torch helpers or reporting invented values earns nothing.

Hidden checks draw their inputs from :func:`hidden_generator`, seeded by a per-student seed the grader derives from
the student id and a course secret that never enters the sandbox: one student's hidden inputs are useless to another.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import zlib

import numpy as np
import torch

from metaopt_course.cells import REPORT_MIME
from metaopt_lib.i18n import both

__all__ = ["MIME", "SEED_ENV", "GradingCheckFailed", "values_close", "plain", "check_close", "check_true", "probe",
           "hidden_generator", "hidden_seed", "set_hidden_seed", "forbid", "substitute", "grading"]

MIME = REPORT_MIME  # display outputs of this type carry a check's report to the grader
SEED_ENV = "METAOPT_HIDDEN_SEED"
_hidden_seed: int | None = None


class GradingCheckFailed(AssertionError):
    """A check of a graded notebook failed (the message is in English and Russian)."""


def grading() -> bool:
    """True while nbgrader (or ``metaopt grade``) executes the notebook."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


# --- values -------------------------------------------------------------------------------------------------------
def plain(value):
    """A JSON-ready nested list of Python numbers/bools from a tensor, array, number or sequence."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, int, float)):
        return value
    raise GradingCheckFailed(both(f"cannot compare a value of type {type(value).__name__}",
                                  f"нельзя сравнить значение типа {type(value).__name__}"))


def _flatten(value, out: list) -> list:
    if isinstance(value, list):
        for v in value:
            _flatten(v, out)
    else:
        out.append(value)
    return out


def _shape(value) -> tuple:
    if isinstance(value, list):
        return (len(value),) + (_shape(value[0]) if value else ())
    return ()


def _number(x) -> float | None:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return float(x)
    return None


def values_close(value, expected, rtol: float, atol: float) -> bool:
    """Elementwise ``|v − e| ≤ atol + rtol·|e|`` over equal shapes (NaN never matches, equal infinities do).

    Works on tensors, arrays, numbers and the nested lists :func:`plain` makes of them; used in the kernel for the
    student's own feedback and by the grader, outside the kernel, for the verdict."""
    try:
        a, b = plain(value), plain(expected)
    except GradingCheckFailed:
        return False
    if _shape(a) != _shape(b):
        return False
    fa, fb = _flatten(a, []), _flatten(b, [])
    if len(fa) != len(fb):  # ragged nesting
        return False
    for x, y in zip(fa, fb):
        x, y = _number(x), _number(y)
        if x is None or y is None:
            return False
        if not (math.isfinite(x) and math.isfinite(y)):
            if x != y:
                return False
            continue
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


# --- reporting ------------------------------------------------------------------------------------------------------
def _report(entry: dict) -> None:
    """Send one check's value to the grader as a display output (only while grading)."""
    if not grading():
        return
    try:
        from IPython.display import publish_display_data
    except ImportError:  # pragma: no cover - not in IPython
        return
    publish_display_data({MIME: json.dumps(entry, allow_nan=True)})


def _plain_or_text(value):
    try:
        return plain(value)
    except GradingCheckFailed:
        return repr(value)[:200]


def check_close(name: str, value, expected, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Visible check: ``value`` must match ``expected`` elementwise within ``atol + rtol·|expected|``.

    ``name`` is ``"<grade_id>:<what>"`` (the grade id of the test cell that calls it). While grading, only the name
    and ``value`` leave the kernel; the grader compares them with the reference solution's."""
    passed = values_close(value, expected, rtol, atol)
    _report({"name": name, "value": _plain_or_text(value), "passed": passed, "rtol": rtol, "atol": atol})
    if not passed:
        got, want = _plain_or_text(value), _plain_or_text(expected)
        raise GradingCheckFailed(both(
            f"[{name}] value differs from the expected one (rtol={rtol}, atol={atol}): shape "
            f"{_shape(got)} vs {_shape(want)}",
            f"[{name}] значение отличается от ожидаемого (rtol={rtol}, atol={atol}): форма "
            f"{_shape(got)} против {_shape(want)}"))


def _truth(condition) -> bool | None:
    """True/False for a Python or NumPy bool, a 0/1 number or a one-element tensor/array; None otherwise."""
    if isinstance(condition, (bool, np.bool_)):
        return bool(condition)
    try:
        flat = _flatten(plain(condition), [])
    except GradingCheckFailed:
        return None
    if len(flat) != 1 or _number(flat[0]) is None:
        return None
    return _number(flat[0]) == 1.0 if _number(flat[0]) in (0.0, 1.0) else None


def check_true(name: str, condition, message: str = "") -> None:
    """Visible check: ``condition`` must be true (a bool, or a one-element tensor/array holding 0/1).

    A multi-element condition is an error, not judged by one of its elements: reduce it with ``.all()``."""
    truth = _truth(condition)
    _report({"name": name, "value": truth, "passed": truth is True})
    if truth is None:
        raise GradingCheckFailed(both(
            f"[{name}] the condition must be one boolean (use .all() or .any()), got {_plain_or_text(condition)!r:.80}",
            f"[{name}] условие должно быть одним логическим значением (используйте .all() или .any())"))
    if not truth:
        raise GradingCheckFailed(both(f"[{name}] condition does not hold: {message}",
                                      f"[{name}] условие не выполнено: {message}"))


def probe(name: str, value, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Hidden check: report the student's ``value`` under ``name`` to the grader (nothing happens outside grading).

    The grader compares it with the reference solution's value for the same name and the same (per-student) inputs,
    within ``atol + rtol·|reference|`` as the reference run reported them (a student's tolerances are ignored). The
    comparison is two-sided on purpose: a one-sided one ("a loss at most the reference's") is passed by reporting a
    very low number. An exception raised while computing ``value`` leaves the check unreported, which fails it."""
    _report({"name": name, "value": _plain_or_text(value), "rtol": rtol, "atol": atol})


# --- per-student hidden inputs -----------------------------------------------------------------------------------
def set_hidden_seed(seed: int) -> None:
    """Use ``seed`` for the hidden inputs from now on (the grader does this; students have no reason to)."""
    global _hidden_seed
    _hidden_seed = int(seed)


def hidden_seed() -> int:
    """The per-student seed of the hidden inputs: set by the grader, 0 for the reference run and for students."""
    if _hidden_seed is not None:
        return _hidden_seed
    try:
        return int(os.environ.get(SEED_ENV, "0"))
    except ValueError:
        return 0


def hidden_generator(salt: int | str) -> torch.Generator:
    """A torch generator for one hidden test's inputs, seeded by the per-student seed and ``salt``."""
    salt_int = salt if isinstance(salt, int) else zlib.crc32(str(salt).encode("utf-8"))
    return torch.Generator().manual_seed((hidden_seed() * 1_000_003 + salt_int) % (2 ** 63 - 1))


# --- one mistake costs one function -------------------------------------------------------------------------------
@contextlib.contextmanager
def substitute(namespace: dict, **functions):
    """Inside the block, the names ``functions`` of ``namespace`` (the notebook's globals) are the given correct
    implementations: a student's function that calls their own helper (``neg_elbo`` → ``kl_gaussians``) is then
    tested on its own, and a mistake in the helper costs only the helper's cells."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in functions}
    namespace.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


# --- the student's own code, not the library's reference --------------------------------------------------------
@contextlib.contextmanager
def forbid(*functions):
    """Make the student's code fail when, inside the block, it runs one of ``functions`` (the library's references
    of what the assignment asks to write): their code objects are swapped for one that raises, and a profiler spots
    the reference's code however it is reached. A determined student can undo this in their kernel; it keeps honest
    students from passing by calling the library by accident, and the manual grader reads the code."""
    def _reference_called(*args, **kwargs):
        # this code runs with the globals of the function it replaces: it may use builtins and literals only
        raise RuntimeError("the reference implementation of metaopt_lib was called; write your own code\n"
                           "вызвана эталонная реализация из metaopt_lib; напишите свой код")

    saved = [(f, f.__code__) for f in functions]
    keys = {(c.co_filename, c.co_firstlineno, c.co_name) for _, c in saved}
    seen = []

    def _profile(frame, event, arg):
        if event == "call" and (frame.f_code.co_filename, frame.f_code.co_firstlineno, frame.f_code.co_name) in keys:
            seen.append(frame.f_code.co_name)

    previous = sys.getprofile()
    try:
        for f, _ in saved:
            f.__code__ = _reference_called.__code__
        sys.setprofile(_profile)
        yield
    finally:
        sys.setprofile(previous)
        for f, code in saved:
            f.__code__ = code
    if seen:
        _reference_called()
