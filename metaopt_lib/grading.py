"""Checks for the test cells of the graded notebooks, hard to fool from inside the kernel.

A graded notebook's locked first cell imports this module before any student code runs. At that moment it
captures the functions a check relies on (builtins, ``math.isclose``, NumPy's and PyTorch's comparison and
conversion helpers, ``np.testing``/``torch.testing``, this module's own functions). The test cells then call::

    check_close("<grade_id>:<what>", student_value, expected_value, rtol=1e-6, atol=1e-8)
    check_true("<grade_id>:<what>", condition, "what the condition means")

Both compare in plain Python with the captured functions, so replacing ``np.allclose``, ``torch.allclose``,
``np.testing.*``, ``torch.Tensor.__eq__`` or a builtin does not make a check pass: each check first verifies
that none of them was replaced and fails (naming what was replaced) if one was. When the environment variable
``METAOPT_GRADING_RECORD`` names a file, every check appends a JSON line (name, value, expected, tolerances,
verdict, replaced helpers) to it, so that the grader can verify the verdicts outside the kernel against the
records of the instructor's solution (a check that was bypassed leaves no record).
"""

from __future__ import annotations

import builtins
import json
import math
import os

import numpy as np
import torch

RECORD_ENV = "METAOPT_GRADING_RECORD"

_BUILTIN_NAMES = ("abs", "all", "any", "bool", "float", "int", "isinstance", "len", "list", "max", "min", "print",
                  "range", "round", "sum", "tuple", "zip", "type", "getattr", "hasattr", "repr", "str", "open",
                  "__import__")


def _watched() -> dict[str, tuple[object, str, object]]:
    """(owner, attribute) pairs whose values must not change after import, with their current values."""
    import numpy.testing as npt
    import torch.testing as tt

    owners = {
        "builtins": (builtins, _BUILTIN_NAMES),
        "math": (math, ("isclose", "isfinite", "isnan", "fabs")),
        "numpy": (np, ("allclose", "isclose", "array_equal", "asarray", "all", "abs", "isfinite")),
        "numpy.testing": (npt, ("assert_allclose", "assert_almost_equal", "assert_array_almost_equal",
                                "assert_array_equal", "assert_equal")),
        "torch": (torch, ("allclose", "isclose", "equal", "as_tensor", "is_tensor", "all", "abs")),
        "torch.testing": (tt, ("assert_close",)),
        "torch.Tensor": (torch.Tensor, ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__abs__",
                                        "__sub__", "__bool__", "__float__", "item", "tolist", "detach", "cpu",
                                        "numpy", "double", "abs", "all", "allclose")),
        "json": (json, ("dumps",)),
    }
    table = {}
    for owner_name, (owner, names) in owners.items():
        for name in names:
            table[f"{owner_name}.{name}"] = (owner, name, getattr(owner, name))
    return table


_ORIGINAL = _watched()
_CODE = {}  # this module's functions and their code objects, filled at the bottom of the module
_isclose, _isfinite, _isinstance, _len = math.isclose, math.isfinite, isinstance, len
_float, _bool, _list, _tuple, _zip, _str = float, bool, list, tuple, zip, str
_tolist_tensor = torch.Tensor.tolist
_detach, _cpu = torch.Tensor.detach, torch.Tensor.cpu
_ndarray_tolist = np.ndarray.tolist
_dumps = json.dumps
_getenv = os.environ.get
_open = open


class GradingCheckFailed(AssertionError):
    """A check of a graded notebook failed (the message is in English and Russian)."""


def replaced_helpers() -> list[str]:
    """Names of the watched helpers that no longer are the objects captured at import."""
    changed = []
    for key, (owner, name, original) in _ORIGINAL.items():
        if getattr(owner, name, None) is not original:
            changed.append(key)
    module = globals()
    for name, (func, code) in _CODE.items():
        if module.get(name) is not func or getattr(func, "__code__", None) is not code:
            changed.append(f"metaopt_lib.grading.{name}")
    return changed


def _plain(value):
    """A nested list of Python floats/bools from a tensor, array, number or sequence (with captured helpers)."""
    if _isinstance(value, torch.Tensor):
        return _tolist_tensor(_cpu(_detach(value)))
    if _isinstance(value, np.ndarray):
        return _ndarray_tolist(value)
    if _isinstance(value, np.generic):
        return value.item()
    if _isinstance(value, (_list, _tuple)):
        return [_plain(v) for v in value]
    if _isinstance(value, (bool, int, float)):
        return value
    raise GradingCheckFailed(_both(f"cannot compare a value of type {type(value).__name__}",
                                   f"нельзя сравнить значение типа {type(value).__name__}"))


def _flatten(value, out):
    if _isinstance(value, _list):
        for v in value:
            _flatten(v, out)
    else:
        out.append(value)
    return out


def _shape(value):
    if _isinstance(value, _list):
        return (_len(value),) + (_shape(value[0]) if _len(value) else ())
    return ()


def _both(en: str, ru: str) -> str:
    return f"{en}\n{ru}"


def _record(entry: dict) -> None:
    path = _getenv(RECORD_ENV)
    if not path:
        return
    with _open(path, "a", encoding="utf-8") as fh:
        fh.write(_dumps(entry, allow_nan=True) + "\n")


def _guard(name: str) -> list[str]:
    changed = replaced_helpers()
    if changed:
        _record({"name": name, "kind": "tampered", "passed": False, "replaced": changed})
        raise GradingCheckFailed(_both(
            f"[{name}] grading helpers were replaced by notebook code: {', '.join(changed)}",
            f"[{name}] код ноутбука подменил вспомогательные функции проверки: {', '.join(changed)}"))
    return changed


def values_close(value, expected, rtol: float, atol: float) -> bool:
    """Elementwise |v − e| ≤ atol + rtol·|e| over equal shapes, in plain Python (NaN never matches)."""
    a, b = _plain(value), _plain(expected)
    if _shape(a) != _shape(b):
        return False
    fa, fb = _flatten(a, []), _flatten(b, [])
    for x, y in _zip(fa, fb):
        x, y = _float(x), _float(y)
        if not (_isfinite(x) and _isfinite(y)):
            if not (x == y):  # equal infinities of the same sign pass, NaN never does
                return False
            continue
        if not _isclose(x, y, rel_tol=rtol, abs_tol=atol):
            return False
    return True


def check_close(name: str, value, expected, *, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Pass when ``value`` matches ``expected`` elementwise within ``atol + rtol·|expected|``.

    ``name`` is ``"<grade_id>:<what>"`` (the grade id of the test cell that calls it).
    """
    _guard(name)
    passed = values_close(value, expected, rtol, atol)
    try:
        shown = _plain(value)
    except GradingCheckFailed:
        shown = _str(value)
    _record({"name": name, "kind": "close", "value": shown, "expected": _plain(expected), "rtol": rtol,
             "atol": atol, "passed": passed})
    if not passed:
        raise GradingCheckFailed(_both(
            f"[{name}] value differs from the expected one (rtol={rtol}, atol={atol}); shape "
            f"{_shape(_plain(value)) if _isinstance(shown, _list) else ()} vs {_shape(_plain(expected))}",
            f"[{name}] значение отличается от ожидаемого (rtol={rtol}, atol={atol})"))


def check_true(name: str, condition, message: str = "") -> None:
    """Pass when ``condition`` is true (a Python or NumPy bool, or a one-element tensor)."""
    _guard(name)
    plain = _plain(condition) if not _isinstance(condition, bool) else condition
    while _isinstance(plain, _list) and _len(plain) == 1:
        plain = plain[0]
    passed = plain is True or (plain is not False and _isinstance(plain, (int, float)) and plain == 1)
    _record({"name": name, "kind": "true", "value": plain if _isinstance(plain, (bool, int, float)) else None,
             "expected": True, "passed": passed})
    if not passed:
        raise GradingCheckFailed(_both(f"[{name}] condition does not hold: {message}",
                                       f"[{name}] условие не выполнено: {message}"))


for _name in ("replaced_helpers", "values_close", "check_close", "check_true", "_guard", "_plain", "_record",
              "_flatten", "_shape"):
    _CODE[_name] = (globals()[_name], globals()[_name].__code__)
del _name
