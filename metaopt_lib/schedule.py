"""A learned step-size schedule for gradient descent, meta-trained by unrolled differentiation, in seconds.

The smallest instance of learning to learn (lecture 4): the "optimizer" is gradient descent with T step sizes
η_1..η_T, and the meta-parameters are those steps. On a quadratic f(x) = ½(x − x*)ᵀA(x − x*) gradient descent is

    x_{t+1} = x_t − η_t A (x_t − x*),  so in the eigenbasis of A (eigenvalues λ_i):  e_{t+1,i} = (1 − η_t λ_i) e_{t,i},

and f(x_T) = ½ Σ_i λ_i e_{0,i}² Π_t (1 − η_t λ_i)². Gradient descent commutes with rotations, so a problem is fully
described by its eigenvalues and its initial error in the eigenbasis (:func:`spectral_quadratics`). The meta-loss is
the mean of log f(x_T)/f(x_0) over a distribution of problems; its gradient with respect to log η comes from
differentiating through the T unrolled steps (Maclaurin, Duvenaud & Adams 2015; Andrychowicz et al. 2016 do the
same for an LSTM optimizer).

Ground truth for what a schedule can achieve: for eigenvalues in [μ, L] the steps that minimise the worst case of
|Π_t (1 − η_t λ)| are the inverses of the Chebyshev nodes of [μ, L] (Young 1953; the Chebyshev semi-iterative
method), with worst case 1/T_T((L + μ)/(L − μ)); the best constant step 2/(μ + L) gives ((κ − 1)/(κ + 1))^T.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

__all__ = ["spectral_quadratics", "gd_losses", "schedule_meta_loss", "meta_train_schedule", "best_constant_step",
           "chebyshev_steps", "residual_polynomial"]


def _check_range(mu, L):
    for v, name in ((mu, "mu"), (L, "L")):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ValueError(both(f"{name} must be a finite number > 0, got {v!r}",
                                  f"{name} должно быть конечным числом > 0, получено {v!r}"))
    if not mu < L:
        raise ValueError(both(f"need mu < L (the smallest and largest eigenvalues), got mu={mu}, L={L}",
                              f"нужно mu < L (наименьшее и наибольшее собственные числа), получено mu={mu}, L={L}"))


def _check_int(v, name, minimum):
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(both(f"{name} must be an integer >= {minimum}, got {v!r}",
                              f"{name} должно быть целым числом >= {minimum}, получено {v!r}"))


def spectral_quadratics(n: int, dim: int, mu: float, L: float, generator: torch.Generator | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random quadratics in their eigenbasis: eigenvalues [n, dim] — μ and L in every problem and the other
    dim − 2 log-uniform in [μ, L] — and initial errors e_0 = x_0 − x* ~ N(0, I) [n, dim]. (float64)"""
    _check_int(n, "n", 1)
    _check_int(dim, "dim", 2)
    _check_range(mu, L)
    u = torch.rand(n, dim - 2, generator=generator, dtype=torch.float64)
    inner = torch.exp(math.log(mu) + u * (math.log(L) - math.log(mu)))
    eig = torch.cat([torch.full((n, 1), float(mu), dtype=torch.float64), inner,
                     torch.full((n, 1), float(L), dtype=torch.float64)], dim=1)
    return eig, torch.randn(n, dim, generator=generator, dtype=torch.float64)


def gd_losses(steps: torch.Tensor, eigvals: torch.Tensor, e0: torch.Tensor) -> torch.Tensor:
    """f(x_t) = ½ Σ_i λ_i e_{t,i}² for t = 0..T of gradient descent with the step sizes ``steps`` [T] on every
    problem; e_{t+1} = (1 − η_t λ) ⊙ e_t. Returns [T + 1, n]; differentiable in ``steps``."""
    if not isinstance(steps, torch.Tensor) or steps.dim() != 1 or not steps.is_floating_point():
        raise ValueError(both("steps must be a 1-D floating-point tensor of step sizes",
                              "steps должен быть одномерным вещественным тензором шагов"))
    if eigvals.shape != e0.shape or eigvals.dim() != 2:
        raise ValueError(both(f"eigvals and e0 must both be [n, dim], got {tuple(eigvals.shape)} and "
                              f"{tuple(e0.shape)}",
                              f"eigvals и e0 должны иметь форму [n, dim], получено {tuple(eigvals.shape)} и "
                              f"{tuple(e0.shape)}"))
    e = e0.to(steps.dtype)
    lam = eigvals.to(steps.dtype)
    out = [0.5 * (lam * e * e).sum(1)]
    for eta in steps:
        e = (1 - eta * lam) * e
        out.append(0.5 * (lam * e * e).sum(1))
    return torch.stack(out)


def schedule_meta_loss(log_steps: torch.Tensor, eigvals: torch.Tensor, e0: torch.Tensor) -> torch.Tensor:
    """The meta-objective: mean over problems of log f(x_T)/f(x_0) for steps η_t = exp(log_steps_t) (the log keeps
    the steps positive and weighs problems of very different scales equally)."""
    losses = gd_losses(torch.exp(log_steps), eigvals, e0)
    return torch.log(losses[-1] / losses[0]).mean()


def meta_train_schedule(init_steps: torch.Tensor, sample_problems: Callable[[], tuple[torch.Tensor, torch.Tensor]],
                        n_iters: int, lr: float = 0.05) -> tuple[torch.Tensor, list[float]]:
    """Meta-train the T = len(``init_steps``) step sizes: Adam (Kingma & Ba 2015) with step ``lr`` on log η, each
    iteration on a fresh batch ``sample_problems()`` = (eigvals, e0), the meta-gradient by backpropagation through
    the T unrolled steps of :func:`gd_losses`. Returns (steps [T], meta-loss history).

    Start from *distinct* steps: on quadratics the steps commute, so the meta-loss is a symmetric function of them
    and its gradient at a constant schedule has equal components — a constant start stays constant."""
    if not isinstance(init_steps, torch.Tensor) or init_steps.dim() != 1 or init_steps.numel() == 0 \
            or not bool((init_steps > 0).all()):
        raise ValueError(both("init_steps must be a non-empty 1-D tensor of positive step sizes",
                              "init_steps должен быть непустым одномерным тензором положительных шагов"))
    _check_int(n_iters, "n_iters", 0)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(both(f"lr must be > 0, got {lr!r}", f"lr должен быть > 0, получено {lr!r}"))
    log_steps = init_steps.detach().to(torch.float64).log().requires_grad_(True)
    opt = Adam([log_steps], lr=lr)
    history = []
    for _ in range(n_iters):
        eig, e0 = sample_problems()
        loss = schedule_meta_loss(log_steps, eig, e0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    return log_steps.detach().exp(), history


def best_constant_step(eigvals: torch.Tensor, e0: torch.Tensor, horizon: int, grid: torch.Tensor | None = None
                       ) -> float:
    """The constant step η (on ``grid``, default 400 values log-spaced in [1e-3, 2.5] divided by max λ: a constant
    step above 2/λmax diverges on the stiffest direction, so the grid stops a little beyond it) with the
    smallest :func:`schedule_meta_loss` over the given problems: the tuned baseline a learned schedule must beat."""
    _check_int(horizon, "horizon", 1)
    top = float(eigvals.max())
    grid = torch.logspace(-3, math.log10(2.5), 400, dtype=torch.float64) / top if grid is None else grid
    scores = [float(schedule_meta_loss(torch.full((horizon,), math.log(float(g)), dtype=torch.float64), eigvals, e0))
              for g in grid]
    finite = [(s, i) for i, s in enumerate(scores) if math.isfinite(s)]
    return float(grid[min(finite)[1]])


def chebyshev_steps(mu: float, L: float, horizon: int) -> torch.Tensor:
    """η_t = 1/ν_t with ν_t = (L + μ)/2 + (L − μ)/2 · cos((2t − 1)π/(2T)), t = 1..T, the Chebyshev nodes of [μ, L]:
    the T steps that minimise max_{λ ∈ [μ, L]} |Π_t (1 − η_t λ)|, with minimum 1/T_T((L + μ)/(L − μ))
    (Young 1953; Golub & Varga 1961). Largest step first; on a quadratic the order does not change x_T in exact
    arithmetic."""
    _check_range(mu, L)
    _check_int(horizon, "horizon", 1)
    t = torch.arange(1, horizon + 1, dtype=torch.float64)
    nodes = (L + mu) / 2 + (L - mu) / 2 * torch.cos((2 * t - 1) * math.pi / (2 * horizon))
    return torch.sort(1.0 / nodes, descending=True).values


def residual_polynomial(steps: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """p(λ) = Π_t (1 − η_t λ): the factor by which T steps of gradient descent multiply the error along an
    eigenvector of eigenvalue λ (the loss along it is multiplied by p(λ)²)."""
    return torch.prod(1 - steps.unsqueeze(-1) * lam.unsqueeze(0), dim=0)
