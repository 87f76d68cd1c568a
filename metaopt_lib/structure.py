"""Priors over structure: the two-parameter Indian buffet process (Ghahramani, Griffiths & Sollich 2007), used by
Adams, Wallach & Ghahramani (2010) for the connections of deep sparse graphical models.

Public functions
----------------
* ``sample_ibp(n_customers, alpha, beta=1.0, generator=None)`` — a binary matrix Z [N, K₊].
* ``ibp_expected_dishes(n_customers, alpha, beta=1.0)``         — ``E K₊ = α Σ_{j=1..N} β/(β + j − 1)``.
* ``left_ordered(Z)``                                            — the left-ordered form of Z.
* ``SLIDE_SETTINGS``                                              — the five (α, β) of the MIPT lecture slides.
* ``plot_ibp(settings, n_customers, seed, tr)``                  — one panel per setting.

The restaurant: customer j (1-based) takes each dish k already tried with probability ``η_k / (β + j − 1)``, where
η_k is the number of previous customers who took it, then ``Poisson(αβ / (β + j − 1))`` new dishes. Every customer
takes ``Poisson(α)`` dishes in distribution; β tunes how much customers share dishes (β = 1: the one-parameter
IBP of Griffiths & Ghahramani 2005). The number of dishes K₊ is Poisson with the mean above.
"""

from __future__ import annotations

import math

import torch

from metaopt_lib.i18n import both

__all__ = ["sample_ibp", "ibp_expected_dishes", "left_ordered", "SLIDE_SETTINGS", "plot_ibp"]

SLIDE_SETTINGS = ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0), (1.0, 2.0), (1.5, 1.0))


def _check(n_customers: int, alpha: float, beta: float) -> None:
    if int(n_customers) != n_customers or n_customers < 1:
        raise ValueError(both("n_customers must be a positive integer", "n_customers должно быть натуральным числом"))
    if not (alpha > 0 and beta > 0 and math.isfinite(alpha) and math.isfinite(beta)):
        raise ValueError(both(f"alpha and beta must be finite and positive, got α = {alpha}, β = {beta}",
                              f"alpha и beta должны быть конечны и положительны, получено α = {alpha}, β = {beta}"))


def ibp_expected_dishes(n_customers: int, alpha: float, beta: float = 1.0) -> float:
    """``E K₊ = α Σ_{j=1}^{N} β / (β + j − 1)`` — the expected number of distinct dishes (features)."""
    _check(n_customers, alpha, beta)
    return alpha * sum(beta / (beta + j - 1) for j in range(1, n_customers + 1))


def sample_ibp(n_customers: int, alpha: float, beta: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw Z ~ IBP(α, β) for N customers by the restaurant process (module docstring).

    Returns a float tensor [N, K₊] of 0/1, dishes in order of first appearance (each row's new dishes to the right
    of the old ones — already left-ordered up to ties). K₊ may be 0 (shape [N, 0])."""
    _check(n_customers, alpha, beta)
    counts = torch.zeros(0)
    rows = []
    for j in range(1, n_customers + 1):
        denom = beta + j - 1
        old = (torch.rand(counts.shape, generator=generator) < counts / denom).float()
        n_new = int(torch.poisson(torch.tensor([alpha * beta / denom]), generator=generator).item())
        row = torch.cat([old, torch.ones(n_new)])
        counts = torch.cat([counts, torch.zeros(n_new)]) + row
        rows.append(row)
    K = counts.numel()
    Z = torch.zeros(n_customers, K)
    for j, row in enumerate(rows):
        Z[j, :row.numel()] = row
    return Z


def left_ordered(Z: torch.Tensor) -> torch.Tensor:
    """The left-ordered form (Griffiths & Ghahramani 2005): columns sorted by the binary number they spell from the
    first row down (first row = most significant), largest on the left. The canonical representative of Z's
    equivalence class under column permutations."""
    if Z.ndim != 2:
        raise ValueError(both("Z must be a matrix", "Z должна быть матрицей"))
    if Z.shape[1] == 0:
        return Z.clone()
    cols = [tuple(int(v) for v in Z[:, k].tolist()) for k in range(Z.shape[1])]
    order = sorted(range(len(cols)), key=lambda k: cols[k], reverse=True)
    return Z[:, order]


def plot_ibp(settings=SLIDE_SETTINGS, n_customers: int = 50, seed: int = 0, tr=lambda en, ru: en, axes=None):
    """One panel per (α, β): a draw of Z (customers × dishes, black = taken), titled with α, β, K₊ and E K₊."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 3.6), squeeze=False)
        axes = axes[0]
    g = torch.Generator().manual_seed(seed)
    for ax, (alpha, beta) in zip(axes, settings):
        Z = sample_ibp(n_customers, alpha, beta, g)
        ax.imshow(Z.numpy() if Z.shape[1] else torch.zeros(n_customers, 1).numpy(), cmap="Greys",
                  aspect="auto", interpolation="nearest", vmin=0, vmax=1)
        ax.set_title(f"α = {alpha:g}, β = {beta:g}\nK₊ = {Z.shape[1]}, E K₊ = "
                     f"{ibp_expected_dishes(n_customers, alpha, beta):.1f}", fontsize=9)
        ax.set_xlabel(tr("dishes (features)", "блюда (признаки)"))
        ax.set_ylabel(tr("customers (objects)", "посетители (объекты)"))
    return axes
