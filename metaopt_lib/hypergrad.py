"""Hypergradients: the gradient of a validation loss with respect to hyperparameters of the training loss.

The bilevel problem (Franceschi et al. 2018, "Bilevel programming for hyperparameter optimization and
meta-learning"):

    λ* = argmin_λ  L_V(θ*(λ), λ),      θ*(λ) = argmin_θ  L_T(θ, λ).

Its hypergradient dL_V/dλ is computed here four ways, all over plain functions ``inner_loss(params, hparams)``
(L_T) and ``outer_loss(params, hparams)`` (L_V) of tensors, in the spirit of ``custom_root`` in jaxopt/torchopt:

(a) :func:`unrolled_hypergrad_reverse` — reverse-mode differentiation through T steps of gradient descent
    (with optional heavy-ball momentum); memory grows linearly in T (Maclaurin, Duvenaud & Adams 2015;
    Franceschi et al. 2017, "Forward and reverse gradient-based hyperparameter optimization").
(b) :func:`unrolled_hypergrad_forward` — forward mode through the same steps: the tangents dθ_t/dλ are carried
    along, memory independent of T, cost proportional to the number of hyperparameters (Franceschi et al. 2017).
(c) :func:`ift_hypergrad` with ``solver="neumann"`` — the implicit function theorem at an optimum θ*,
    dL_V/dλ = ∂_λL_V − (∂²L_T/∂θ∂λ)ᵀ H⁻¹ ∇_θL_V, H = ∂²L_T/∂θ², with H⁻¹ by a truncated Neumann series
    (Lorraine, Vicol & Duvenaud 2020, "Optimizing millions of hyperparameters by implicit differentiation").
(d) :func:`ift_hypergrad` with ``solver="cg"`` — the same with conjugate gradient (Rajeswaran et al. 2019, iMAML;
    Pedregosa 2016, "Hyperparameter optimization with approximate gradient").
(e) :func:`ridge_hypergrad_exact` — the exact hypergradient of ridge regression with one weight decay per feature.

Hessian-vector products come from torch.func (:func:`hvp`, :func:`hvp_operator`); no Hessian is ever formed.
``params`` and (for all but forward mode, which needs one tensor) ``hparams`` may be a tensor or a pytree for
(a); the implicit solvers and forward mode work with one tensor each — flatten a model with
``torch.nn.utils.parameters_to_vector`` or write the loss over a flat vector.

**Neumann convention.** For a step α with 0 < α < 2/λmax(H) (H symmetric positive definite),

    H⁻¹ = α Σ_{i=0}^{∞} (I − αH)^i   and   :func:`neumann_inverse_hvp` returns α Σ_{i=0}^{K} (I − αH)^i v,

K Hessian-vector products for K + 1 terms. (The series starts at i = 0 and α multiplies the sum; the sum from
i = 1 without α, as written in some blog posts, approximates H⁻¹ − I for α = 1.)
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
from torch.func import grad, jvp, vjp, vmap

from metaopt_lib import validate as _v
from metaopt_lib.aliases import BilevelLoss
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

__all__ = ["hvp", "hvp_operator", "mixed_vjp", "neumann_inverse_hvp", "conjugate_gradient", "CGResult",
           "ift_hypergrad", "unroll", "unrolled_hypergrad_reverse", "unrolled_hypergrad_forward",
           "ridge_inner_loss", "ridge_outer_loss", "ridge_solution", "ridge_hypergrad_exact",
           "softmax_regression_loss", "train_softmax_regression", "random_images_per_class",
           "distill_dataset"]


# --------------------------------------------------------------------------------------------------------------------
# Second-order products
# --------------------------------------------------------------------------------------------------------------------

def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Hessian-vector product ∇²f(x) v by forward-over-reverse differentiation: the directional derivative
    d/dε ∇f(x + εv)|₀, i.e. ``torch.func.jvp(torch.func.grad(f), (x,), (v,))``. Cost ≈ 2–3 gradients, no Hessian.
    Pearlmutter (1994), "Fast exact multiplication by the Hessian"."""
    if v.shape != x.shape:
        raise ValueError(both(f"v has shape {tuple(v.shape)}, x has {tuple(x.shape)}",
                              f"у v форма {tuple(v.shape)}, у x — {tuple(x.shape)}"))
    return jvp(grad(f), (x,), (v,))[1]


def hvp_operator(inner_loss: BilevelLoss, params: torch.Tensor, hparams) -> Callable[[torch.Tensor], torch.Tensor]:
    """The linear map v ↦ H v, H = ∂²L_T/∂θ² at (params, hparams), for repeated use by an iterative solver.

    Reverse-over-reverse: the gradient ∇_θL_T is computed once (``torch.func.vjp`` of ``torch.func.grad``), each
    call is one backward pass through it, vᵀ∂(∇_θL_T)/∂θ = (Hv)ᵀ since H is symmetric (Pearlmutter 1994)."""
    _, pullback = vjp(lambda p: grad(inner_loss)(p, hparams), params)
    return lambda v: pullback(v)[0]


def mixed_vjp(inner_loss: BilevelLoss, params: torch.Tensor, hparams: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """uᵀ ∂²L_T/∂θ∂λ — the derivative with respect to λ of ⟨∇_θ L_T(θ, λ), u⟩ (one backward pass through the
    gradient). The term that carries the hyperparameters in the implicit-function hypergradient."""
    _, pullback = vjp(lambda h: grad(inner_loss)(params, h), hparams)
    return pullback(u)[0]


# --------------------------------------------------------------------------------------------------------------------
# Linear solvers: truncated Neumann series and conjugate gradient
# --------------------------------------------------------------------------------------------------------------------

def neumann_inverse_hvp(matvec: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor, alpha: float,
                        K: int, stats: dict | None = None, strict: bool = False) -> torch.Tensor:
    """Truncated Neumann approximation of H⁻¹v:  α Σ_{i=0}^{K} (I − αH)^i v  (K Hessian-vector products).

    Exact as K → ∞ when every eigenvalue of αH lies in (0, 2), i.e. 0 < α < 2/λmax(H) for positive definite H;
    the error is (I − αH)^{K+1} H⁻¹v, shrinking like (1 − αλmin)^{K+1}. Lorraine, Vicol & Duvenaud (2020), Alg. 3
    (their learning-rate-scaled form); Liao et al. (2018), "Reviving and improving recurrent back-propagation".

    How it ended goes into ``stats`` (if given): ``terms`` (K + 1), ``last_term`` = ‖(I − αH)^K v‖/‖v‖ and
    ``ratio`` = ‖(I − αH)^K v‖/‖(I − αH)^{K−1} v‖, the observed contraction of the series, and ``converged``
    (ratio < 1). A ratio ≥ 1 means the terms do not shrink — α·λmax(H) ≥ 2, or H has a non-positive eigenvalue
    (a saddle or a maximum) — and the sum diverges: a :class:`~metaopt_lib.validate.SolverWarning`, or a
    :class:`~metaopt_lib.validate.SolverError` with ``strict=True``. A non-finite result always raises.
    """
    _v.tensor("v", v)
    alpha = _v.number("alpha", alpha, gt=0)
    K = _v.integer("K", K, ge=0)
    p, acc, prev = v, v, v
    for _ in range(K):
        prev = p
        p = p - alpha * matvec(p)
        acc = acc + p
    out = alpha * acc
    v_norm, p_norm, prev_norm = float(v.norm()), float(p.norm()), float(prev.norm())
    ratio = p_norm / prev_norm if prev_norm > 0 else 0.0
    converged = K == 0 or ratio < 1.0
    if stats is not None:
        stats.update(terms=K + 1, last_term=p_norm / v_norm if v_norm > 0 else 0.0, ratio=ratio,
                     converged=converged)
    if not bool(torch.isfinite(out).all()):
        raise _v.SolverError(both(f"the Neumann series overflowed to a non-finite value after {K} terms "
                                  f"(α = {alpha:g}): α·λmax(H) must be < 2 and H positive definite",
                                  f"ряд Неймана дал бесконечность или NaN после {K} членов (α = {alpha:g}): нужно "
                                  f"α·λmax(H) < 2 и положительно определённая H"))
    if not converged:
        _v.solver_failed(f"the Neumann series diverges: its last term grew by a factor {ratio:.3g} per step "
                         f"(‖last term‖/‖v‖ = {p_norm / v_norm:.3g}); need 0 < α·λ < 2 for every eigenvalue λ of "
                         f"H (α = {alpha:g}; is H positive definite, is α < 2/λmax?)",
                         f"ряд Неймана расходится: его последний член растёт в {ratio:.3g} раза за шаг "
                         f"(‖последний член‖/‖v‖ = {p_norm / v_norm:.3g}); нужно 0 < α·λ < 2 для всех собственных "
                         f"чисел λ матрицы H (α = {alpha:g}; положительно ли определена H, меньше ли α 2/λmax?)",
                         strict)
    return out


class CGResult(NamedTuple):
    x: torch.Tensor         # the approximate solution of H x = b
    iterations: int         # matrix-vector products used
    residual: float         # ‖b − Hx‖ / ‖b‖ at exit
    converged: bool = True  # residual ≤ rtol at exit


def conjugate_gradient(matvec: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, rtol: float = 1e-10,
                       maxiter: int | None = None, strict: bool = False) -> CGResult:
    """Solve H x = b for symmetric positive definite H given only v ↦ Hv (Hestenes & Stiefel 1952).

    Starts at x = 0 and stops when ‖b − Hx‖ ≤ rtol·‖b‖ or after ``maxiter`` (default: 10·dim) products.
    Converges in at most dim steps in exact arithmetic; the error falls like ((√κ − 1)/(√κ + 1))^k.
    Returns :class:`CGResult` (x, iterations, relative residual, converged). Raises ``ValueError`` if ``b`` is not
    finite or the operator shows non-positive or NaN curvature pᵀHp (H not positive definite: the optimum is not
    a strict minimum, or H is singular); stopped by ``maxiter`` above ``rtol`` it warns
    (:class:`~metaopt_lib.validate.SolverWarning`), or raises :class:`~metaopt_lib.validate.SolverError` with
    ``strict=True``. It never returns a non-finite x.
    """
    _v.tensor("b", b)
    rtol = _v.number("rtol", rtol, gt=0)
    maxiter = 10 * b.numel() if maxiter is None else _v.integer("maxiter", maxiter, ge=0)
    x = torch.zeros_like(b)
    r = b.clone()
    p = r.clone()
    rs = torch.dot(r.flatten(), r.flatten())
    b_norm = float(torch.sqrt(rs))
    if b_norm == 0.0:
        return CGResult(x, 0, 0.0, True)
    k = 0
    while k < maxiter and math.sqrt(float(rs)) > rtol * b_norm:
        Hp = matvec(p)
        k += 1
        curv = float(torch.dot(p.flatten(), Hp.flatten()))
        if not curv > 0:
            raise ValueError(both(f"conjugate gradient met non-positive curvature pᵀHp = {curv:.3g} at iteration "
                                  f"{k}: the Hessian is not positive definite (singular, or θ is not a strict local "
                                  f"minimum; NaN: the operator returned NaN)",
                                  f"метод сопряжённых градиентов встретил неположительную кривизну pᵀHp = {curv:.3g} "
                                  f"на итерации {k}: гессиан не положительно определён (вырожден или θ — не строгий "
                                  f"локальный минимум; NaN: оператор вернул NaN)"))
        step = rs / curv
        x = x + step * p
        r = r - step * Hp
        rs_new = torch.dot(r.flatten(), r.flatten())
        p = r + (rs_new / rs) * p
        rs = rs_new
    residual = math.sqrt(float(rs)) / b_norm
    if not (math.isfinite(residual) and bool(torch.isfinite(x).all())):
        raise _v.SolverError(both(f"conjugate gradient produced a non-finite solution after {k} iterations "
                                  f"(residual {residual}): the operator is singular or returned inf/NaN",
                                  f"метод сопряжённых градиентов дал бесконечное или NaN решение после {k} итераций "
                                  f"(невязка {residual}): оператор вырожден или вернул inf/NaN"))
    converged = residual <= rtol
    if not converged:
        _v.solver_failed(f"conjugate gradient stopped by maxiter = {maxiter} with relative residual {residual:.3g} "
                         f"> rtol = {rtol:g}: the solution is inaccurate (raise maxiter, or the system is "
                         f"ill-conditioned)",
                         f"метод сопряжённых градиентов остановлен по maxiter = {maxiter} с относительной невязкой "
                         f"{residual:.3g} > rtol = {rtol:g}: решение неточно (увеличьте maxiter или система плохо "
                         f"обусловлена)", strict)
    return CGResult(x, k, residual, converged)


# --------------------------------------------------------------------------------------------------------------------
# (c), (d) implicit function theorem
# --------------------------------------------------------------------------------------------------------------------

def ift_hypergrad(inner_loss: BilevelLoss, outer_loss: BilevelLoss, params: torch.Tensor, hparams: torch.Tensor,
                  solver: str = "cg", K: int = 20, alpha: float | None = None, rtol: float = 1e-10,
                  maxiter: int | None = None, stats: dict | None = None, strict: bool = False) -> torch.Tensor:
    """Hypergradient by the implicit function theorem at an optimum θ* = ``params`` of L_T(·, λ):

        dL_V/dλ = ∂_λ L_V(θ*, λ) − (∂²L_T/∂θ∂λ)ᵀ x,   H x = ∇_θ L_V(θ*, λ),   H = ∂²L_T/∂θ²(θ*, λ),

    since ∇_θL_T(θ*(λ), λ) = 0 gives dθ*/dλ = −H⁻¹ ∂²L_T/∂θ∂λ (Bengio 2000; Pedregosa 2016; Lorraine et al. 2020).
    ``solver="cg"``: x by :func:`conjugate_gradient` to relative residual ``rtol`` (iMAML, Rajeswaran et al. 2019);
    ``solver="neumann"``: x = α Σ_{i=0}^{K} (I − αH)^i ∇_θL_V (:func:`neumann_inverse_hvp`; ``alpha`` required,
    below 2/λmax(H)). Valid only where θ* is a strict local minimum (H positive definite) and only for
    hyperparameters that enter L_T — not for learning rates, batch sizes or initialisation.
    Cost: one gradient of L_V, one pass building ∇_θL_T, K (Neumann) or ``iterations`` (CG) Hessian-vector
    products and one mixed product; counted into ``stats`` (keys ``grads``, ``hvps``, ``mixed``, ``cg_residual``,
    ``converged``; for Neumann also ``ratio``, ``last_term``).
    A NaN or ±inf gradient ∇_θL_V raises; a solver that does not converge warns (raises with ``strict=True``),
    see :func:`conjugate_gradient` and :func:`neumann_inverse_hvp`.
    """
    _v.tensor("params", params)
    _v.tensor("hparams", hparams)
    _v.same_dtype(params=params, hparams=hparams)
    if solver not in ("cg", "neumann"):
        raise ValueError(both(f"solver must be 'cg' or 'neumann', got {solver!r}",
                              f"solver должен быть 'cg' или 'neumann', получено {solver!r}"))
    g_params, g_direct = grad(outer_loss, argnums=(0, 1))(params, hparams)
    _v.tensor("∇_θ outer_loss(params, hparams)", g_params)
    _v.tensor("∇_λ outer_loss(params, hparams)", g_direct)
    # one graph of ∇_θ L_T(θ, λ), pulled back with respect to both θ (Hv) and λ (mixed product)
    _, pullback = vjp(lambda p, h: grad(inner_loss)(p, h), params, hparams)
    matvec = lambda v: pullback(v)[0]  # noqa: E731
    info = {"grads": 2, "hvps": 0, "mixed": 1}
    if solver == "cg":
        res = conjugate_gradient(matvec, g_params, rtol=rtol, maxiter=maxiter, strict=strict)
        x = res.x
        info.update(hvps=res.iterations, cg_residual=res.residual, converged=res.converged)
    else:
        if alpha is None:
            raise ValueError(both("the Neumann solver needs alpha (below 2 / largest Hessian eigenvalue)",
                                  "ряду Неймана нужен шаг alpha (меньше 2 / наибольшее собственное число гессиана)"))
        neumann = {}
        x = neumann_inverse_hvp(matvec, g_params, alpha, K, stats=neumann, strict=strict)
        info.update(hvps=int(K), **neumann)
    out = g_direct - pullback(x)[1]
    if stats is not None:
        stats.update(info)
    return out


# --------------------------------------------------------------------------------------------------------------------
# (a), (b) unrolled differentiation
# --------------------------------------------------------------------------------------------------------------------

def unroll(inner_loss: BilevelLoss, params0, hparams, steps: int, lr, momentum: float = 0.0):
    """T = ``steps`` steps of gradient descent with heavy-ball momentum on L_T(·, λ), as a differentiable function:

        v_{t+1} = μ v_t + ∇_θ L_T(θ_t, λ),   θ_{t+1} = θ_t − η v_{t+1},   v_0 = 0,

    (μ = ``momentum``, η = ``lr``, a number or a tensor that may itself depend on hyperparameters). Returns θ_T.
    Maclaurin, Duvenaud & Adams (2015) differentiate exactly this map (and reverse it exactly in memory).
    ``lr`` must be > 0 and ``momentum`` in [0, 1) (checked where they are plain numbers or plain tensors, not
    inside a ``torch.func`` transform that traces them)."""
    steps = _v.integer("steps", steps, ge=0)
    lr_value = _v.maybe_float(lr)
    if lr_value is not None:
        _v.number("lr", lr_value, gt=0)
    mu_value = _v.maybe_float(momentum)
    if mu_value is not None:
        _v.number("momentum", mu_value, ge=0, lt=1)
    g = grad(inner_loss)
    p = params0
    v = torch.zeros_like(params0) if momentum else None
    for _ in range(int(steps)):
        if momentum:
            v = momentum * v + g(p, hparams)
            p = p - lr * v
        else:
            p = p - lr * g(p, hparams)
    return p


def unrolled_hypergrad_reverse(inner_loss: BilevelLoss, outer_loss: BilevelLoss, params0, hparams, steps: int, lr,
                               momentum: float = 0.0):
    """(a) Reverse mode: d/dλ L_V(θ_T(λ), λ) by backpropagation through :func:`unroll` (torch.func.grad of the
    composed function). Cost ≈ 2–3× the T training steps; memory O(T·|θ|) (the whole trajectory is stored).
    Maclaurin, Duvenaud & Adams (2015); Franceschi et al. (2017), reverse-mode hypergradient."""
    return grad(lambda h: outer_loss(unroll(inner_loss, params0, h, steps, lr, momentum), h))(hparams)


def unrolled_hypergrad_forward(inner_loss: BilevelLoss, outer_loss: BilevelLoss, params0: torch.Tensor, hparams: torch.Tensor,
                               steps: int, lr, momentum: float = 0.0) -> torch.Tensor:
    """(b) Forward mode: carry the tangents Z_t = dθ_t/dλ through :func:`unroll` and finish with
    dL_V/dλ = Z_Tᵀ ∇_θL_V + ∂_λL_V. For plain gradient descent Z_{t+1} = (I − ηH_t) Z_t − η B_t with
    B_t = ∂²L_T/∂θ∂λ (Franceschi et al. 2017, forward-mode hypergradient). All |λ| tangents run at once
    (torch.func.vmap of torch.func.jvp); memory independent of T, cost ∝ |λ|."""
    _v.tensor("params0", params0)
    _v.tensor("hparams", hparams)
    _v.same_dtype(params0=params0, hparams=hparams)
    basis = torch.eye(hparams.numel(), dtype=hparams.dtype).reshape(-1, *hparams.shape)
    run = lambda h: unroll(inner_loss, params0, h, steps, lr, momentum)  # noqa: E731
    theta_T, Z = vmap(lambda e: jvp(run, (hparams,), (e,)), out_dims=(None, 0))(basis)
    g_params, g_direct = grad(outer_loss, argnums=(0, 1))(theta_T, hparams)
    return g_direct + (Z.reshape(hparams.numel(), -1) @ g_params.flatten()).reshape(hparams.shape)


# --------------------------------------------------------------------------------------------------------------------
# (e) ridge regression with one weight decay per feature: the exact case
# --------------------------------------------------------------------------------------------------------------------

def _check_xy(X, y):
    _v.tensor("X", X)
    _v.tensor("y", y)
    _v.same_dtype(X=X, y=y)
    if X.dim() != 2 or y.dim() != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(both(f"need X [n, d] and y [n], got {tuple(X.shape)} and {tuple(y.shape)}",
                              f"нужны X [n, d] и y [n], получены {tuple(X.shape)} и {tuple(y.shape)}"))


def ridge_inner_loss(X: torch.Tensor, y: torch.Tensor) -> BilevelLoss:
    """L_T(w, λ) = (1/2n)‖Xw − y‖² + ½ Σ_j λ_j w_j² — ridge regression, one weight decay λ_j per feature."""
    _check_xy(X, y)
    n = X.shape[0]
    return lambda w, lam: 0.5 * ((X @ w - y) ** 2).sum() / n + 0.5 * (lam * w * w).sum()


def ridge_outer_loss(X: torch.Tensor, y: torch.Tensor) -> BilevelLoss:
    """L_V(w, λ) = (1/2m)‖X_V w − y_V‖² — the validation mean squared error (halved), independent of λ."""
    _check_xy(X, y)
    m = X.shape[0]
    return lambda w, lam: 0.5 * ((X @ w - y) ** 2).sum() / m


def _ridge_lam(lam, X):
    if isinstance(lam, torch.Tensor):
        _v.tensor("lam", lam)
        _v.same_dtype(X=X, lam=lam)
    lam = torch.as_tensor(lam, dtype=X.dtype)
    if lam.dim() > 1 or (lam.dim() == 1 and lam.shape[0] != X.shape[1]):
        raise ValueError(both(f"lam must be a number or a vector of length d = {X.shape[1]}, got shape "
                              f"{tuple(lam.shape)}", f"lam должен быть числом или вектором длины d = {X.shape[1]}, "
                              f"получена форма {tuple(lam.shape)}"))
    _v.tensor("lam", lam)
    return lam.expand(X.shape[1])


def _ridge_factor(X, lam):
    n = X.shape[0]
    H = X.T @ X / n + torch.diag(lam)
    L, info = torch.linalg.cholesky_ex(H)
    if int(info) != 0:
        raise ValueError(both("XᵀX/n + diag(λ) is not positive definite: give positive weight decays",
                              "XᵀX/n + diag(λ) не положительно определена: задайте положительные коэффициенты"))
    return L


def ridge_solution(X: torch.Tensor, y: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """w*(λ) = (XᵀX/n + diag λ)⁻¹ Xᵀy/n, the minimiser of :func:`ridge_inner_loss` (Hoerl & Kennard 1970)."""
    _check_xy(X, y)
    lam = _ridge_lam(lam, X)
    L = _ridge_factor(X, lam)
    return torch.cholesky_solve((X.T @ y / X.shape[0]).unsqueeze(-1), L).squeeze(-1)


def ridge_hypergrad_exact(X_tr, y_tr, X_val, y_val, lam) -> tuple[torch.Tensor, torch.Tensor]:
    """(e) The exact hypergradient of ridge regression with per-feature weight decay λ ∈ R^d_{>0}.

    With H = X_Tᵀ X_T/n + diag λ, w* = H⁻¹ X_Tᵀy_T/n and g = ∇_w L_V(w*) = X_Vᵀ(X_V w* − y_V)/m,
    ∂w*/∂λ_j = −H⁻¹ e_j w*_j, hence

        dL_V/dλ = −w* ⊙ H⁻¹ g   (two Cholesky solves; Bengio 2000, "Gradient-based optimization of
        hyperparameters"). Returns (w*, dL_V/dλ).
    """
    _check_xy(X_tr, y_tr)
    _check_xy(X_val, y_val)
    _v.same_dtype(X_tr=X_tr, X_val=X_val)
    lam = _ridge_lam(lam, X_tr)
    L = _ridge_factor(X_tr, lam)
    w = torch.cholesky_solve((X_tr.T @ y_tr / X_tr.shape[0]).unsqueeze(-1), L).squeeze(-1)
    g = X_val.T @ (X_val @ w - y_val) / X_val.shape[0]
    return w, -w * torch.cholesky_solve(g.unsqueeze(-1), L).squeeze(-1)


# --------------------------------------------------------------------------------------------------------------------
# Thousands of hyperparameters: dataset distillation (Wang et al. 2018; Lorraine et al. 2020, §5)
# --------------------------------------------------------------------------------------------------------------------

def softmax_regression_loss(W: torch.Tensor, X: torch.Tensor, y: torch.Tensor, weight_decay: float = 0.0):
    """Mean cross-entropy of multinomial logistic regression, logits = [X, 1] W (W of shape [pixels + 1, classes]),
    plus (weight_decay/2)‖W‖²."""
    logits = X @ W[:-1] + W[-1]
    return torch.nn.functional.cross_entropy(logits, y) + 0.5 * weight_decay * (W * W).sum()


def train_softmax_regression(X, y, n_classes: int, steps: int = 100, lr=1.0, weight_decay: float = 0.0):
    """W after ``steps`` of full-batch gradient descent on :func:`softmax_regression_loss` from W = 0
    (differentiable in X and lr: the inner problem of :func:`distill_dataset`)."""
    W0 = torch.zeros(X.shape[1] + 1, n_classes, dtype=X.dtype)
    return unroll(lambda W, data: softmax_regression_loss(W, data, y, weight_decay), W0, X, steps, lr)


def random_images_per_class(X, y, n_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One real image per class drawn at random (the baseline that dataset distillation has to beat): [classes, pixels]."""
    rows = []
    for c in range(n_classes):
        idx = torch.nonzero(y == c).flatten()
        if idx.numel() == 0:
            raise ValueError(both(f"class {c} has no examples", f"в классе {c} нет примеров"))
        rows.append(X[idx[torch.randint(idx.numel(), (1,), generator=generator)]].squeeze(0))
    return torch.stack(rows)


def distill_dataset(X_train, y_train, n_classes: int, outer_steps: int = 60, inner_steps: int = 20,
                    outer_lr: float = 0.05, inner_lr: float = 1.0, batch_size: int | None = 256,
                    init: torch.Tensor | None = None, generator: torch.Generator | None = None,
                    progress: bool = False) -> torch.Tensor:
    """Dataset distillation: learn one synthetic image per class such that a softmax regression trained on those
    images alone (``inner_steps`` of gradient descent with step ``inner_lr`` from W = 0,
    :func:`train_softmax_regression`) fits the real training data (Wang, Zhu, Torralba & Efros 2018, "Dataset
    distillation"; Lorraine et al. 2020, §5.2).

    Hyperparameters: the images S ∈ R^{classes × pixels} (640 numbers for digits). The hypergradient of the outer
    cross-entropy on a minibatch of real images is taken by reverse mode through the unrolled inner training
    (:func:`unroll`), the outer optimiser is Adam. Starts from ``init`` (default: one random real image per class,
    :func:`random_images_per_class`). Returns the images [classes, pixels].
    """
    _check_xy(X_train, y_train.to(X_train.dtype))
    from tqdm.auto import tqdm

    labels = torch.arange(n_classes)
    if init is None:
        init = random_images_per_class(X_train, y_train, n_classes, generator)
    S = init.detach().clone().to(X_train.dtype).requires_grad_()
    opt = Adam([S], lr=outer_lr)

    def objective(images, Xb, yb):
        W = train_softmax_regression(images, labels, n_classes, inner_steps, inner_lr)
        return softmax_regression_loss(W, Xb, yb)

    for _ in tqdm(range(outer_steps), disable=not progress, desc="distillation"):
        if batch_size is None or batch_size >= len(y_train):
            Xb, yb = X_train, y_train
        else:
            idx = torch.randperm(len(y_train), generator=generator)[:batch_size]
            Xb, yb = X_train[idx], y_train[idx]
        S.grad = grad(objective)(S.detach(), Xb, yb)
        opt.step()
    return S.detach()
