"""A tiny learned black-box optimizer in the spirit of Chen et al. (2017), "Learning to learn without gradient
descent by gradient descent" (ICML 2017).

A recurrent network proposes the next query from the previous query, its value and the best value so far,

    h_t = GRU_φ(h_{t−1}, [x_{t−1}, y_{t−1}, y⁺_{t−1}]),   x_t = sigmoid(w_φᵀ h_t + c_φ) ∈ [0, 1],   y_t = f(x_t),

and is meta-trained by gradient descent on functions drawn from a Gaussian-process prior, where derivatives of f
are available, to minimise the mean over t of the best value so far y⁺_t = min_{s ≤ t} y_s (close to Chen et al.'s
observed-improvement loss). At test time it needs only values of f. Chen et al. use an LSTM on GP samples in up
to 6 dimensions and compare with Spearmint, Hyperopt and SMAC; here everything is 1-D, a GRU (Cho et al. 2014)
with 32 units and a few seconds of training. GP samples are drawn with random Fourier features (Rahimi & Recht
2007): f(x) = √(2/M) Σ_j a_j cos(ω_j x + b_j), a_j ~ N(0, 1), ω_j ~ N(0, ℓ⁻²), b_j ~ U[0, 2π], whose covariance
tends to exp(−(x − x')²/(2ℓ²)) as M grows.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from metaopt_lib.aliases import BatchFunction
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

__all__ = ["gp_prior_functions", "grid_minimum", "RNNBlackBoxOptimizer", "train_rnn_optimizer"]


def _check_int(v, name, minimum):
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(both(f"{name} must be an integer >= {minimum}, got {v!r}",
                              f"{name} должно быть целым числом >= {minimum}, получено {v!r}"))


def gp_prior_functions(n: int, lengthscale: float = 0.15, features: int = 64,
                       generator: torch.Generator | None = None) -> BatchFunction:
    """``n`` random functions on [0, 1], approximately GP(0, exp(−(x − x')²/(2ℓ²))) by M = ``features`` random
    Fourier features (Rahimi & Recht 2007). Returns ``f`` mapping x [n] (one point per function) to [n]; f is
    differentiable in x."""
    _check_int(n, "n", 1)
    _check_int(features, "features", 1)
    if isinstance(lengthscale, bool) or not isinstance(lengthscale, (int, float)) or not lengthscale > 0:
        raise ValueError(both(f"lengthscale must be > 0, got {lengthscale!r}",
                              f"lengthscale (масштаб ядра) должен быть > 0, получено {lengthscale!r}"))
    omega = torch.randn(n, features, generator=generator) / lengthscale
    phase = 2 * math.pi * torch.rand(n, features, generator=generator)
    amp = torch.randn(n, features, generator=generator)
    scale = math.sqrt(2.0 / features)

    def f(x: torch.Tensor) -> torch.Tensor:
        if x.shape != (n,):
            raise ValueError(both(f"give one point per function: x of shape ({n},), got {tuple(x.shape)}",
                                  f"нужна одна точка на функцию: x формы ({n},), получено {tuple(x.shape)}"))
        return scale * (amp * torch.cos(omega * x.unsqueeze(1) + phase)).sum(1)

    f.n = n
    return f


def grid_minimum(f: BatchFunction, n: int, points: int = 2001) -> torch.Tensor:
    """min over a grid of ``points`` values in [0, 1] of each of the ``n`` functions (the reference for regret)."""
    _check_int(points, "points", 2)
    with torch.no_grad():
        return torch.stack([f(torch.full((n,), float(v))) for v in torch.linspace(0, 1, points)]).min(0).values


class RNNBlackBoxOptimizer(nn.Module):
    """The learned optimizer: a GRU cell over [x_{t−1}, y_{t−1}, y⁺_{t−1}] and a linear read-out squashed to
    [0, 1]; its first query comes from the learned initial state h_0 (Chen et al. 2017, §2, with a GRU)."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        _check_int(hidden, "hidden", 1)
        self.cell = nn.GRUCell(3, hidden)
        self.readout = nn.Linear(hidden, 1)
        self.h0 = nn.Parameter(torch.zeros(1, hidden))

    def rollout(self, f: BatchFunction, n: int, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the optimizer for ``horizon`` queries on ``n`` functions at once; returns (x, y), each [horizon, n]."""
        _check_int(n, "n", 1)
        _check_int(horizon, "horizon", 1)
        h = self.h0.expand(n, -1)
        inp = torch.zeros(n, 3)
        xs, ys, best = [], [], None
        for _ in range(horizon):
            h = self.cell(inp, h)
            x = torch.sigmoid(self.readout(h)).squeeze(1)
            y = f(x)
            best = y if best is None else torch.minimum(best, y)
            xs.append(x)
            ys.append(y)
            inp = torch.stack([x, y, best], 1)
        return torch.stack(xs), torch.stack(ys)


def train_rnn_optimizer(model: RNNBlackBoxOptimizer, sample_functions: Callable[[], BatchFunction], n_iters: int,
                        horizon: int = 10, lr: float = 5e-3) -> list[float]:
    """Meta-train ``model`` in place: ``n_iters`` Adam steps on the mean over t = 1..T and over a fresh batch of
    functions ``sample_functions()`` (with attribute ``n``) of the best value so far y⁺_t, backpropagating
    through f, the queries and the recurrent state (Chen et al. 2017). Returns the loss history."""
    _check_int(n_iters, "n_iters", 0)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(both(f"lr must be > 0, got {lr!r}", f"lr должен быть > 0, получено {lr!r}"))
    opt = Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(n_iters):
        f = sample_functions()
        _, ys = model.rollout(f, f.n, horizon)
        loss = torch.cummin(ys, 0).values.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    return history
