"""Input checks shared by the algorithm modules: one bilingual message that names the argument, its value and the
condition it breaks, raised once at a function's entry (never per step inside a loop).

* :func:`number` — a finite real number within given bounds (step sizes, budgets, temperatures, ...).
* :func:`integer` — an integer (``bool`` excluded) at least ``ge``.
* :func:`tensor` — a tensor: floating point, finite, of a given number of dimensions.
* :func:`same_dtype` — floating-point tensors that must share one dtype (``float32`` mixed with ``float64``).
* :func:`positive_definite` — a symmetric positive definite matrix (Cholesky), or a vector of positive variances.
* :func:`weights` — non-negative finite weights (counts or probabilities) with a positive total.
* :func:`solver_failed` — what a solver does when it did not converge: a :class:`SolverWarning`, or a
  :class:`SolverError` with ``strict=True``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch

from metaopt_lib.i18n import both

__all__ = ["number", "integer", "tensor", "same_dtype", "positive_definite", "weights", "SolverWarning",
           "SolverError", "ArgumentTypeError", "solver_failed", "BoundRadiusWarning", "maybe_float"]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind (a string for a number, an integer tensor for a float one, ...); both a
    ``TypeError`` and a ``ValueError``, so either ``except`` catches it."""


class SolverWarning(RuntimeWarning):
    """An iterative solver stopped without meeting its tolerance (or diverged); its result is unreliable."""


class SolverError(ValueError):
    """Raised instead of :class:`SolverWarning` when a solver is called with ``strict=True``."""


class BoundRadiusWarning(RuntimeWarning):
    """A bound is used outside the region where it holds (e.g. −βTr H − β²Tr H² for β·λmax(H) > 0.68)."""


def _fmt(value) -> str:
    if isinstance(value, torch.Tensor):
        if value.numel() == 1:
            return f"{value.item():.6g}"
        return f"tensor of shape {tuple(value.shape)}"
    return repr(value)


def _condition_text(gt, ge, lt, le) -> tuple[str, str]:
    parts = [f"> {gt}" if gt is not None else None, f">= {ge}" if ge is not None else None,
             f"< {lt}" if lt is not None else None, f"<= {le}" if le is not None else None]
    text = " and ".join(p for p in parts if p)
    return text, text.replace(" and ", " и ")


def number(name: str, value, *, gt=None, ge=None, lt=None, le=None, finite: bool = True) -> float:
    """``float(value)`` after checking it is a real number (not a bool), finite and within the given bounds."""
    ok_type = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype == torch.bool:
        ok_type, value = True, value.item()
    if not ok_type:
        raise ArgumentTypeError(both(f"argument {name} = {value!r} must be a real number",
                             f"аргумент {name} = {value!r} должен быть вещественным числом"))
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(both(f"argument {name} = {v} must be a finite number",
                              f"аргумент {name} = {v} должен быть конечным числом"))
    bad = ((gt is not None and not v > gt) or (ge is not None and not v >= ge) or (lt is not None and not v < lt)
           or (le is not None and not v <= le))
    if bad:
        en, ru = _condition_text(gt, ge, lt, le)
        raise ValueError(both(f"argument {name} = {v:g} must be {en}", f"аргумент {name} = {v:g} должен быть {ru}"))
    return v


def integer(name: str, value, *, ge: int | None = None, le: int | None = None) -> int:
    """``int(value)`` after checking it is an integer (``3`` or ``3.0``, not ``True`` or ``2.5``) within bounds."""
    ok = (isinstance(value, numbers.Integral) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())
    if not ok:
        raise ArgumentTypeError(both(f"argument {name} = {value!r} must be an integer",
                             f"аргумент {name} = {value!r} должен быть целым числом"))
    v = int(value)
    if (ge is not None and v < ge) or (le is not None and v > le):
        en, ru = _condition_text(None, ge, None, le)
        raise ValueError(both(f"argument {name} = {v} must be {en}", f"аргумент {name} = {v} должен быть {ru}"))
    return v


def maybe_float(value) -> float | None:
    """The value of a number or a one-element tensor, or ``None`` when it cannot be read without breaking a
    ``torch.func`` transform (a tensor being traced by ``vmap``/``grad``/``jvp``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        try:
            if torch._C._functorch.is_functorch_wrapped_tensor(value):
                return None
        except AttributeError:  # pragma: no cover - older torch
            return None
        return float(value.detach())
    return None


def tensor(name: str, x, *, ndim: int | None = None, floating: bool = True, finite: bool = True) -> torch.Tensor:
    """``x`` after checking it is a tensor (floating point unless ``floating=False``) of ``ndim`` dimensions and
    without NaN or ±inf (unless ``finite=False``)."""
    if not isinstance(x, torch.Tensor):
        raise ArgumentTypeError(both(f"argument {name} must be a torch.Tensor, got {type(x).__name__}",
                             f"аргумент {name} должен быть torch.Tensor, получено {type(x).__name__}"))
    if floating and not x.is_floating_point():
        raise ArgumentTypeError(both(f"argument {name} must be a floating-point tensor, got dtype {x.dtype}",
                             f"аргумент {name} должен быть вещественным тензором, получен dtype {x.dtype}"))
    if ndim is not None and x.dim() != ndim:
        raise ValueError(both(f"argument {name} must have {ndim} dimension(s), got shape {tuple(x.shape)}",
                              f"аргумент {name} должен иметь размерность {ndim}, получена форма {tuple(x.shape)}"))
    if finite and x.is_floating_point() and x.numel():
        try:
            bad = not bool(torch.isfinite(x).all())
        except RuntimeError:  # traced by a torch.func transform: cannot be read here
            bad = False
        if bad:
            n_nan, n_inf = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
            raise ValueError(both(f"argument {name} must be finite, but it holds {n_nan} NaN and {n_inf} ±inf "
                                  f"entries", f"аргумент {name} должен быть конечным, но в нём {n_nan} NaN и "
                                  f"{n_inf} ±inf"))
    return x


def same_dtype(**named) -> torch.dtype:
    """The one floating dtype shared by the given tensors (``None`` values and non-tensors are skipped)."""
    seen = {k: v.dtype for k, v in named.items() if isinstance(v, torch.Tensor) and v.is_floating_point()}
    if len(set(seen.values())) > 1:
        listing = ", ".join(f"{k}: {str(d).replace('torch.', '')}" for k, d in seen.items())
        raise ArgumentTypeError(both(f"mixed floating dtypes ({listing}); convert all to one, e.g. with .double()",
                             f"смешаны вещественные типы ({listing}); приведите всё к одному, например .double()"))
    return next(iter(seen.values())) if seen else torch.get_default_dtype()


def positive_definite(name: str, M: torch.Tensor, *, allow_vector: bool = False) -> torch.Tensor:
    """``M`` after checking it is a finite symmetric positive definite matrix (or, with ``allow_vector``, a vector
    of positive variances); the message gives the smallest eigenvalue."""
    tensor(name, M)
    if allow_vector and M.dim() == 1:
        if not bool((M > 0).all()):
            raise ValueError(both(f"argument {name}: every variance must be > 0, smallest is {float(M.min()):.6g}",
                                  f"аргумент {name}: все дисперсии должны быть > 0, наименьшая {float(M.min()):.6g}"))
        return M
    if M.dim() != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(both(f"argument {name} must be a square matrix, got shape {tuple(M.shape)}",
                              f"аргумент {name} должен быть квадратной матрицей, получена форма {tuple(M.shape)}"))
    Md = M.detach()
    scale = float(Md.abs().max()) if Md.numel() else 0.0
    if not torch.allclose(Md, Md.T, rtol=1e-5, atol=1e-6 * max(scale, 1e-300)):  # float32 Hessians: rounding
        raise ValueError(both(f"argument {name} must be symmetric (max |M − Mᵀ| = {float((Md - Md.T).abs().max()):.3g})",
                              f"аргумент {name} должен быть симметричным (max |M − Mᵀ| = "
                              f"{float((Md - Md.T).abs().max()):.3g})"))
    _, info = torch.linalg.cholesky_ex(Md)
    if int(info) != 0:
        lam = float(torch.linalg.eigvalsh(0.5 * (Md + Md.T)).min())
        raise ValueError(both(f"argument {name} must be positive definite, but its smallest eigenvalue is {lam:.6g}",
                              f"аргумент {name} должен быть положительно определённым, но его наименьшее "
                              f"собственное число {lam:.6g}"))
    return M


def weights(name: str, values) -> list[float]:
    """The values as floats after checking they are real, finite, non-negative and not all zero."""
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ArgumentTypeError(both(f"argument {name}: every entry must be a real number, got {v!r}",
                                 f"аргумент {name}: каждый элемент должен быть вещественным числом, получено {v!r}"))
        if not math.isfinite(v) or v < 0:
            raise ValueError(both(f"argument {name}: every entry must be finite and non-negative (>= 0), got {v!r}",
                                  f"аргумент {name}: каждый элемент должен быть конечным и >= 0, получено {v!r}"))
        out.append(float(v))
    if not sum(out) > 0:
        raise ValueError(both(f"argument {name}: all entries are zero", f"аргумент {name}: все элементы нулевые"))
    return out


def solver_failed(en: str, ru: str, strict: bool, stacklevel: int = 3) -> None:
    """Report a solver that did not reach its goal: a :class:`SolverWarning`, or a :class:`SolverError` if strict."""
    if strict:
        raise SolverError(both(en, ru))
    warnings.warn(both(en, ru), SolverWarning, stacklevel=stacklevel)
