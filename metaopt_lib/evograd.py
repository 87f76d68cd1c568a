"""EvoGrad: a hypergradient from a small evolutionary step, with first-order derivatives only.

Bohdal, Yang & Hospedales (2021), "EvoGrad: efficient gradient-based meta-learning and hyperparameter
optimization" (NeurIPS 2021). The inner problem is not unrolled and no Hessian-vector product is taken. Around the
current parameters θ, K random copies θ_k = θ + ε_k, ε_k ~ N(0, σ²I), are scored by the training loss; a softmax
of the negated losses at temperature τ weighs them into one "evolved" model

    w_k(λ) = softmax_k(−L_T(θ_k, λ) / τ),      θ*(λ) = Σ_k w_k(λ) θ_k ,

and the hypergradient is the ordinary gradient d/dλ L_V(θ*(λ), λ): the λ-dependence flows only through the K
loss values, so backpropagation needs first derivatives of L_T with respect to λ and nothing else.

**What it estimates.** For small σ (σ‖∇_θL_T‖ ≪ τ and σ²·tr H ≪ τ) expand the softmax to first order: θ* is one
gradient step with step size α = σ²(1 − 1/K)/τ plus noise of variance σ²/K, and

    E[EvoGrad] → −α (∂²L_T/∂λ∂θ) ∇_θL_V(θ) + ∂_λL_V ,

the one-step ("greedy", horizon-1) unrolled hypergradient with step α
(:func:`metaopt_lib.hypergrad.unrolled_hypergrad_reverse` with ``steps=1``), which :func:`evograd_limit` returns.
A single estimate is noisy (its relative spread falls like 1/√K); the paper uses K = 2 inside a training loop, where
the noise averages out over steps. At an optimum of ridge regression the limit is −α w* ⊙ ∇L_V, while the exact
hypergradient is −w* ⊙ H⁻¹∇L_V: EvoGrad trades the inverse Hessian for a scalar step, as every horizon-1
method does.
"""

from __future__ import annotations

import torch
from torch.func import grad, vmap

from metaopt_lib.aliases import BilevelLoss
from metaopt_lib.hypergrad import unrolled_hypergrad_reverse
from metaopt_lib.i18n import both

__all__ = ["evograd_step_size", "evograd_hypergrad", "evograd_limit"]


def _check_tensor(x, name):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(both(f"{name} must be a floating-point tensor, got {type(x).__name__}",
                             f"{name} должен быть вещественным тензором, получено {type(x).__name__}"))


def _check_settings(population, sigma, temperature):
    if isinstance(population, bool) or not isinstance(population, int) or population < 2:
        raise ValueError(both(f"population (the number K of perturbed copies) must be an integer >= 2, got "
                              f"{population!r}: with one copy the softmax weight is 1 and the hypergradient vanishes",
                              f"population (число K возмущённых копий) должно быть целым >= 2, получено "
                              f"{population!r}: при одной копии вес softmax равен 1 и гиперградиент исчезает"))
    for value, name_en, name_ru in ((sigma, "sigma (the perturbation scale)", "sigma (масштаб возмущений)"),
                                    (temperature, "temperature", "temperature (температура)")):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0 \
                or value == float("inf"):
            raise ValueError(both(f"{name_en} must be a finite number > 0, got {value!r}",
                                  f"{name_ru} должна быть конечным числом > 0, получено {value!r}"))


def evograd_step_size(sigma: float, temperature: float, population: int) -> float:
    """The step α = σ²(1 − 1/K)/τ of the gradient step that EvoGrad's evolved model takes on average for small σ:
    with w_k ≈ (1 − (gᵀε_k − mean_j gᵀε_j)/τ)/K, E[Σ_k w_k ε_k] = −σ²(1 − 1/K) g/τ (Bohdal et al. 2021, §3;
    the expansion is this library's)."""
    _check_settings(population, sigma, temperature)
    return sigma ** 2 * (1.0 - 1.0 / population) / temperature


def evograd_hypergrad(inner_loss: BilevelLoss, outer_loss: BilevelLoss, params: torch.Tensor, hparams: torch.Tensor,
                      population: int = 2, sigma: float = 1e-2, temperature: float = 0.05,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """EvoGrad's hypergradient (Bohdal, Yang & Hospedales 2021, Algorithm 1) at parameters θ = ``params``:

        θ_k = θ + ε_k,  ε_k ~ N(0, σ²I),  k = 1..K;      w(λ) = softmax(−[L_T(θ_1, λ), …, L_T(θ_K, λ)] / τ);
        θ*(λ) = Σ_k w_k(λ) θ_k;                         returns  d/dλ L_V(θ*(λ), λ).

    ``params`` is held fixed (no derivative flows into it); only first derivatives of L_T with respect to λ are
    taken (one backward pass through K loss evaluations, batched by ``torch.func.vmap``, so ``inner_loss`` must be
    a pure function of tensors), no Hessian and no unrolled trajectory. Cost: K evaluations of L_T, one of L_V and one backward pass; memory O(K·|θ|). Its small-σ expectation is
    :func:`evograd_limit`. ``inner_loss(params, hparams)``/``outer_loss(params, hparams)`` as in
    :mod:`metaopt_lib.hypergrad`; ``population`` = K ≥ 2, ``sigma`` = σ > 0, ``temperature`` = τ > 0.
    """
    _check_tensor(params, "params")
    _check_tensor(hparams, "hparams")
    _check_settings(population, sigma, temperature)
    theta = params.detach()
    eps = sigma * torch.randn((population, *theta.shape), generator=generator, dtype=theta.dtype)
    copies = theta.unsqueeze(0) + eps

    def validation_of_evolved(h):
        losses = vmap(inner_loss, in_dims=(0, None))(copies, h)
        if losses.dim() != 1:
            raise ValueError(both("inner_loss must return a scalar", "inner_loss должна возвращать скаляр"))
        weights = torch.softmax(-losses / temperature, dim=0)
        evolved = torch.tensordot(weights, copies, dims=1)
        return outer_loss(evolved, h)

    return grad(validation_of_evolved)(hparams)


def evograd_limit(inner_loss: BilevelLoss, outer_loss: BilevelLoss, params: torch.Tensor, hparams: torch.Tensor,
                  population: int = 2, sigma: float = 1e-2, temperature: float = 0.05) -> torch.Tensor:
    """The small-σ expectation of :func:`evograd_hypergrad`: the one-step unrolled hypergradient

        d/dλ L_V(θ − α∇_θL_T(θ, λ), λ) = −α (∂²L_T/∂λ∂θ) ∇_θL_V(θ₁) + ∂_λL_V,    α = σ²(1 − 1/K)/τ

    (:func:`evograd_step_size`; reverse mode through one step of
    :func:`metaopt_lib.hypergrad.unrolled_hypergrad_reverse`). EvoGrad is an unbiased estimate of it to first
    order in the softmax expansion (the expansion is this library's; the same one-step lookahead, with its
    second-order term computed exactly, is the hypergradient of DARTS and of Meta-Weight-Net)."""
    _check_tensor(params, "params")
    _check_tensor(hparams, "hparams")
    alpha = evograd_step_size(sigma, temperature, population)
    return unrolled_hypergrad_reverse(inner_loss, outer_loss, params.detach(), hparams, 1, alpha)
