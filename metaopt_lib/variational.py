"""Variational inference for pruning and structure: KL terms, ELBO estimators, Graves 2011, the bound with structure Γ.

Conventions: σ are standard deviations (not variances); KLs are summed over elements; logs are natural (nats).

Public functions
----------------
KL and ELBO
  * ``kl_diag_gaussians(mu_q, sigma_q, mu_p, sigma_p)``  — ``Σ log(σ_p/σ_q) + (σ_q² + (μ_q − μ_p)²)/(2σ_p²) − ½``.
  * ``kl_gaussian_prior(mu, Sigma_q, A)``              — ``KL(N(μ, Σ_q) ‖ N(0, A⁻¹))``, all terms (Graves' MDL).
  * ``elbo_mc(log_lik, mu, sigma, prior_mu, prior_sigma, n_samples, generator)`` — reparameterised Monte Carlo.
  * ``linreg_expected_loglik(X, y, noise_sigma, mu, Sigma_q)``, ``elbo_linreg(...)`` — closed forms.
  * ``linreg_posterior(X, y, noise_sigma, A)``, ``linreg_log_evidence(X, y, noise_sigma, A)``.
Graves (2011), "Practical variational inference for neural networks"
  * ``relative_density(mu, sigma)`` — ``q(0)/q(μ) = exp(−μ²/(2σ²))``; ``graves_mask(mu, sigma, fraction)``.
  * ``graves_logreg_loss(...)``, ``graves_logreg(X, y, n_classes, ...) -> GravesResult(mu_W, sigma_W, mu_b)``.
Parametric complexity (Bakhteev & Strijov)
  * ``relative_variational_density(mu, sigma, prior_mode=0)``, ``log_relative_variational_density(...)``,
    ``parametric_complexity(mu, sigma)``.
The variational bound with a discrete structure Γ
  * ``bernoulli_kl(pi_q, pi_p)``, ``relaxed_bernoulli_sample(...)``, ``gumbel_softmax_sample(...)``.
  * ``all_structures(m)``, ``gated_linreg_terms(...)``,
    ``structure_bound_exact(...)`` (enumeration over all 2^m structures), ``structure_bound_relaxed(...)``
    (binary-concrete relaxation, Maddison et al. 2017; Jang et al. 2017).
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from metaopt_lib.i18n import both

__all__ = ["kl_diag_gaussians", "kl_gaussian_prior", "elbo_mc", "linreg_expected_loglik", "elbo_linreg",
           "linreg_posterior", "linreg_log_evidence", "relative_density", "graves_saliency", "graves_mask",
           "GravesResult", "graves_logreg_loss", "graves_logreg", "relative_variational_density",
           "log_relative_variational_density", "parametric_complexity", "bernoulli_kl", "relaxed_bernoulli_sample", "gumbel_softmax_sample",
           "all_structures", "gated_linreg_terms", "structure_bound_exact", "structure_bound_relaxed"]

LOG_2PI = math.log(2 * math.pi)


def _positive(name: str, t: torch.Tensor) -> None:
    if (torch.as_tensor(t) <= 0).any():
        raise ValueError(both(f"{name} must be positive (a standard deviation)",
                              f"{name} должна быть положительной (стандартное отклонение)"))


# --- KL and ELBO -----------------------------------------------------------------------------------------------

def kl_diag_gaussians(mu_q, sigma_q, mu_p, sigma_p) -> torch.Tensor:
    """``KL(N(μ_q, diag σ_q²) ‖ N(μ_p, diag σ_p²)) = Σ_i [log(σ_p,i/σ_q,i) + (σ_q,i² + (μ_q,i − μ_p,i)²)/(2σ_p,i²) − ½]``.

    Arguments broadcast; the result is summed over all elements (a scalar tensor, differentiable).
    """
    mu_q, sigma_q, mu_p, sigma_p = (torch.as_tensor(t) for t in (mu_q, sigma_q, mu_p, sigma_p))
    _positive("sigma_q", sigma_q)
    _positive("sigma_p", sigma_p)
    kl = torch.log(sigma_p / sigma_q) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5
    return kl.sum()


def kl_gaussian_prior(mu: torch.Tensor, Sigma_q: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """``KL(N(μ, Σ_q) ‖ N(0, A⁻¹)) = ½ (tr(A Σ_q) + μᵀ A μ − u + ln|A⁻¹| − ln|Σ_q|)`` with ``u = dim μ``.

    This is the complexity (model description length) term of Graves' MDL loss with every term written out:
    the 2019 MIPT lecture slides' version drops ``−u`` and ``ln|A⁻¹|`` and puts ``A⁻¹`` where ``A`` belongs.
    ``Sigma_q`` and ``A`` are full [u, u] matrices (use ``torch.diag`` for diagonal ones).
    """
    u = mu.numel()
    if Sigma_q.shape != (u, u) or A.shape != (u, u):
        raise ValueError(both(f"Sigma_q and A must be [{u}, {u}]", f"Sigma_q и A должны быть [{u}, {u}]"))
    return 0.5 * (torch.trace(A @ Sigma_q) + mu @ A @ mu - u - torch.logdet(A) - torch.logdet(Sigma_q))


def elbo_mc(log_lik: Callable[[torch.Tensor], torch.Tensor], mu: torch.Tensor, sigma: torch.Tensor,
            prior_mu, prior_sigma, n_samples: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Monte-Carlo ELBO with the reparameterisation trick and the KL in closed form (Kingma & Welling 2014):

    ``ELBO = E_{q(w)} log p(D|w) − KL(q(w) ‖ p(w)) ≈ (1/S) Σ_s log p(D | μ + σ ⊙ ε_s) − KL``, ``ε_s ~ N(0, I)``,
    for ``q = N(μ, diag σ²)``, ``p = N(prior_mu, diag prior_sigma²)``. Differentiable in μ and σ; unbiased.
    ``log_lik(w)`` returns ``log p(D|w)`` for one weight tensor shaped like μ.
    """
    if n_samples < 1:
        raise ValueError(both("n_samples must be ≥ 1", "n_samples должно быть ≥ 1"))
    _positive("sigma", sigma)
    total = 0.0
    for _ in range(n_samples):
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        total = total + log_lik(mu + sigma * eps)
    return total / n_samples - kl_diag_gaussians(mu, sigma, prior_mu, prior_sigma)


def linreg_expected_loglik(X: torch.Tensor, y: torch.Tensor, noise_sigma: float, mu: torch.Tensor,
                           Sigma_q: torch.Tensor) -> torch.Tensor:
    """``E_{w~N(μ,Σ_q)} log N(y | Xw, s² I) = −(n/2) log(2πs²) − (‖y − Xμ‖² + tr(Xᵀ X Σ_q)) / (2s²)``.

    ``Sigma_q`` is [u, u] or a vector of variances [u] (diagonal q).
    """
    _positive("noise_sigma", torch.as_tensor(noise_sigma))
    n = X.shape[0]
    quad = (X.T @ X * Sigma_q).sum() if Sigma_q.ndim == 2 else ((X ** 2).sum(0) * Sigma_q).sum()
    return -0.5 * n * (LOG_2PI + 2 * math.log(noise_sigma)) - (((y - X @ mu) ** 2).sum() + quad) / (
        2 * noise_sigma ** 2)


def elbo_linreg(X: torch.Tensor, y: torch.Tensor, noise_sigma: float, mu: torch.Tensor, Sigma_q: torch.Tensor,
                A: torch.Tensor) -> torch.Tensor:
    """Exact ELBO of Bayesian linear regression ``y = Xw + ε``, ``ε ~ N(0, s²I)``, ``w ~ N(0, A⁻¹)`` for
    ``q = N(μ, Σ_q)``: ``linreg_expected_loglik − kl_gaussian_prior``. Equals ``log p(y|X, A)`` iff q is the
    posterior, since ``log p(D|h) = ELBO(q) + KL(q ‖ p(w|D, h))``."""
    S = Sigma_q if Sigma_q.ndim == 2 else torch.diag(Sigma_q)
    return linreg_expected_loglik(X, y, noise_sigma, mu, Sigma_q) - kl_gaussian_prior(mu, S, A)


def linreg_posterior(X: torch.Tensor, y: torch.Tensor, noise_sigma: float, A: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior ``N(m, S)`` of ``w``: ``S = (A + XᵀX/s²)⁻¹``, ``m = S Xᵀ y / s²`` (Bishop 2006, §3.3)."""
    S = torch.linalg.inv(A + X.T @ X / noise_sigma ** 2)
    return S @ X.T @ y / noise_sigma ** 2, S


def linreg_log_evidence(X: torch.Tensor, y: torch.Tensor, noise_sigma: float, A: torch.Tensor) -> torch.Tensor:
    """``log p(y | X, A) = log N(y | 0, s² I + X A⁻¹ Xᵀ)`` (Bishop 2006, §3.5)."""
    C = noise_sigma ** 2 * torch.eye(X.shape[0], dtype=X.dtype) + X @ torch.linalg.inv(A) @ X.T
    return torch.distributions.MultivariateNormal(torch.zeros(X.shape[0], dtype=X.dtype), C).log_prob(y)


# --- Graves 2011 ---------------------------------------------------------------------------------------------------

def relative_density(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Graves' (2011) pruning criterion ``λ = q(0)/q(μ) = exp(−μ²/(2σ²))`` for ``q = N(μ, σ²)``.

    A weight whose posterior puts almost as much density at 0 as at its mean (λ near 1) can be removed: prune where
    λ is *large*, i.e. keep the largest ``|μ|/σ``."""
    _positive("sigma", sigma)
    return torch.exp(-mu ** 2 / (2 * sigma ** 2))


def graves_saliency(mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``|μ|/σ`` — a monotone decreasing transform of ``relative_density``, numerically safe for sorting."""
    _positive("sigma", sigma)
    return mu.abs() / sigma


def graves_mask(mu: torch.Tensor, sigma: torch.Tensor, fraction: float) -> torch.Tensor:
    """Remove the ``round(fraction·numel)`` weights of largest relative density (lowest ``|μ|/σ``); True = kept."""
    from metaopt_lib.pruning import saliency_mask

    return saliency_mask(graves_saliency(mu, sigma), fraction)


class GravesResult(NamedTuple):
    """Mean-field posterior of the weights (``q(W) = N(mu_W, sigma_W²)``) and the bias point estimate."""
    mu_W: torch.Tensor
    sigma_W: torch.Tensor
    mu_b: torch.Tensor


def graves_logreg_loss(mu_W: torch.Tensor, sigma_W: torch.Tensor, b: torch.Tensor, X: torch.Tensor,
                       y: torch.Tensor, prior_sigma: float, n_samples: int = 1,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Graves' MDL loss per example, ``(E_q[−log p(y|X, W, b)] + KL(q(W) ‖ N(0, prior_sigma² I))) / n``.

    The expectation is a reparameterised Monte-Carlo estimate (``W = μ + σ ⊙ ε``); the KL is in closed form.
    It is ``−ELBO/n``: minimising it is maximising the ELBO (Graves 2011; Hinton & van Camp 1993).
    """
    n = X.shape[0]

    def log_lik(W):
        return -F.cross_entropy(X @ W.T + b, y, reduction="sum")

    return -elbo_mc(log_lik, mu_W, sigma_W, 0.0, prior_sigma, n_samples, generator) / n


def graves_logreg(X: torch.Tensor, y: torch.Tensor, n_classes: int, *, prior_sigma: float = 1.0,
                  epochs: int = 300, lr: float = 0.05, n_samples: int = 1, seed: int = 0,
                  init_sigma: float = 1e-2) -> GravesResult:
    """Mean-field Gaussian variational inference for multinomial logistic regression (Graves 2011).

    ``q(W) = N(μ, diag σ²)`` with ``σ = softplus(ρ)``, prior ``p(W) = N(0, prior_sigma² I)``, bias a point
    estimate; minimises ``graves_logreg_loss`` (expected NLL + KL, the MDL description length in nats, per
    example) by full-batch Adam over ``(μ, ρ, b)``, ``n_samples`` reparameterised draws per step, seeded.
    Start: ``μ = 0``, ``σ = init_sigma``. Returns ``GravesResult(mu_W, sigma_W, mu_b)`` (a NamedTuple, so
    ``mu_W, sigma_W, mu_b = graves_logreg(...)`` works). Prune with ``graves_mask`` / ``relative_density``.
    """
    from metaopt_lib.training import Adam, _check_data

    _check_data(X, y, n_classes)
    _positive("prior_sigma", torch.as_tensor(prior_sigma))
    _positive("init_sigma", torch.as_tensor(init_sigma))
    g = torch.Generator().manual_seed(seed)
    d = X.shape[1]
    mu = torch.zeros(n_classes, d, dtype=X.dtype, requires_grad=True)
    rho = torch.full((n_classes, d), math.log(math.expm1(init_sigma)), dtype=X.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=X.dtype, requires_grad=True)
    opt = Adam([mu, rho, b], lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        graves_logreg_loss(mu, F.softplus(rho), b, X, y, prior_sigma, n_samples, g).backward()
        opt.step()
    return GravesResult(mu.detach(), F.softplus(rho).detach(), b.detach())


# --- parametric complexity -----------------------------------------------------------------------------------------

def relative_variational_density(mu: torch.Tensor, sigma: torch.Tensor, prior_mode: float = 0.0) -> torch.Tensor:
    """``ρ(w) = q(mode p) / q(mode q)`` for ``q = N(μ, σ²)``: ``exp(−(m − μ)²/(2σ²))``, m the prior's mode; the
    relative density of the whole vector is the product ``ρ = Π_w ρ(w)``. With ``m = 0`` it is Graves' λ."""
    _positive("sigma", sigma)
    return torch.exp(-(prior_mode - mu) ** 2 / (2 * sigma ** 2))


def log_relative_variational_density(mu: torch.Tensor, sigma: torch.Tensor, prior_mode: float = 0.0
                                     ) -> torch.Tensor:
    """``log ρ(w) = −(m − μ)²/(2σ²)`` — the log of ``relative_variational_density``, finite where ρ underflows;
    ``log ρ`` of the whole vector is the sum."""
    _positive("sigma", sigma)
    return -(prior_mode - mu) ** 2 / (2 * sigma ** 2)


def parametric_complexity(mu: torch.Tensor, sigma: torch.Tensor, per_weight: bool = False
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Parametric complexity ``C_p = min_h KL(q ‖ p(w|h))`` for ``q = N(μ, diag σ²)`` and ``p = N(0, h)``.

    The minimiser is in closed form: ``h* = mean(μ² + σ²)`` for one shared prior variance, ``h_i* = μ_i² + σ_i²``
    per weight (``per_weight=True``, the unconstrained compact U). Returns ``(C_p, h*)``. ``C_p = 0`` exactly
    when q is itself a prior of the family (μ = 0, σ² = h).
    """
    _positive("sigma", sigma)
    second = mu ** 2 + sigma ** 2
    h = second if per_weight else second.mean()
    return kl_diag_gaussians(mu, sigma, torch.zeros_like(mu), torch.sqrt(h)), h


# --- structure Γ --------------------------------------------------------------------------------------------------

def _check_prob(name: str, p: torch.Tensor) -> None:
    if ((p <= 0) | (p >= 1)).any():
        raise ValueError(both(f"{name} must lie strictly inside (0, 1)", f"{name} должны лежать строго в (0, 1)"))


def bernoulli_kl(pi_q: torch.Tensor, pi_p: torch.Tensor) -> torch.Tensor:
    """``KL(Bern(π_q) ‖ Bern(π_p)) = Σ π_q log(π_q/π_p) + (1−π_q) log((1−π_q)/(1−π_p))`` (summed)."""
    pi_q, pi_p = torch.as_tensor(pi_q), torch.as_tensor(pi_p)
    _check_prob("pi_q", pi_q)
    _check_prob("pi_p", pi_p)
    return (pi_q * torch.log(pi_q / pi_p) + (1 - pi_q) * torch.log((1 - pi_q) / (1 - pi_p))).sum()


def relaxed_bernoulli_sample(logits: torch.Tensor, temperature: float, n_samples: int,
                             generator: torch.Generator | None = None) -> torch.Tensor:
    """Binary-concrete (relaxed Bernoulli) draws ``Γ̃ = sigmoid((logit π + log u − log(1−u)) / τ)``, u ~ U(0, 1)
    (Maddison, Mnih & Teh 2017; Jang, Gu & Poole 2017). Differentiable in the logits; ``P(Γ̃ > ½) = π`` for
    every τ and ``Γ̃ → Bernoulli(π)`` as ``τ → 0``. Shape ``[n_samples, *logits.shape]``."""
    if not temperature > 0:
        raise ValueError(both("temperature must be positive", "температура должна быть положительной"))
    u = torch.rand((n_samples, *logits.shape), generator=generator, dtype=logits.dtype)
    u = u.clamp(torch.finfo(logits.dtype).tiny, 1 - torch.finfo(logits.dtype).eps)
    return torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / temperature)


def gumbel_softmax_sample(logits: torch.Tensor, temperature: float, n_samples: int,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """Gumbel-softmax draws ``softmax((logits + g) / τ)``, ``g = −log(−log u)`` (Jang et al. 2017): the argmax is
    an exact categorical draw with probabilities ``softmax(logits)``; the sample tends to a one-hot as τ → 0."""
    if not temperature > 0:
        raise ValueError(both("temperature must be positive", "температура должна быть положительной"))
    u = torch.rand((n_samples, *logits.shape), generator=generator, dtype=logits.dtype)
    u = u.clamp(torch.finfo(logits.dtype).tiny, 1 - torch.finfo(logits.dtype).eps)
    return torch.softmax((logits - torch.log(-torch.log(u))) / temperature, dim=-1)


def all_structures(m: int, dtype=torch.float64) -> torch.Tensor:
    """All ``2^m`` binary structures Γ ∈ {0, 1}^m as rows (m ≤ 20)."""
    if not 0 <= m <= 20:
        raise ValueError(both("enumeration is for 0 ≤ m ≤ 20 switches", "перебор возможен для 0 ≤ m ≤ 20"))
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=m)), dtype=dtype).reshape(2 ** m, m)


def gated_linreg_terms(X: torch.Tensor, y: torch.Tensor, noise_sigma: float, mu: torch.Tensor,
                       sigma: torch.Tensor, prior_sigma: float
                       ) -> Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """A model with a structure: linear regression whose weights are switched on and off, ``y = X(Γ ⊙ w) + ε``.

    ``q(w_i | Γ_i = 1) = N(μ_i, σ_i²)``; a switched-off weight does not enter the likelihood and follows its prior,
    ``q(w_i|Γ_i = 0) = p(w_i) = N(0, prior_sigma²)``. Returns ``terms(Γ) -> (E_q(w|Γ) log p(y|X, w, Γ),
    KL(q(w|Γ) ‖ p(w|Γ, h)))`` for a batch of structures [S, m], in closed form and valid for relaxed Γ ∈ [0, 1]^m:
    ``E log p = −(n/2) log 2πs² − (‖y − X(Γ⊙μ)‖² + Σ_i ‖x_{·i}‖² Γ_i² σ_i²)/(2s²)``, ``KL = Σ_i Γ_i KL_i``.
    """
    _positive("sigma", sigma)
    col = (X ** 2).sum(0)
    kl_i = torch.log(prior_sigma / sigma) + (sigma ** 2 + mu ** 2) / (2 * prior_sigma ** 2) - 0.5
    n = X.shape[0]
    const = -0.5 * n * (LOG_2PI + 2 * math.log(noise_sigma))

    def terms(gamma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        resid = y - (gamma * mu) @ X.T  # [S, n]
        ell = const - ((resid ** 2).sum(-1) + (col * gamma ** 2 * sigma ** 2).sum(-1)) / (2 * noise_sigma ** 2)
        return ell, (gamma * kl_i).sum(-1)

    return terms


def structure_bound_exact(terms: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                          pi_q: torch.Tensor, pi_p: torch.Tensor) -> torch.Tensor:
    """The variational bound with structure by enumerating all 2^m structures, ``q(Γ) = Π Bern(π_q)``,
    ``p(Γ|h) = Π Bern(π_p)``:

    ``E_{q(Γ)} E_{q(w|Γ)} log p(y|x, w, Γ) − KL(q(Γ) ‖ p(Γ|h)) − E_{q(Γ)} KL(q(w|Γ) ‖ p(w|Γ, h))``.

    ``terms(Γ)`` returns the expected log-likelihood and the weight KL for each structure (e.g.
    ``gated_linreg_terms``). The two KL terms are the chain rule for ``KL(q(w, Γ) ‖ p(w, Γ|h))``.
    """
    m = pi_q.numel()
    G = all_structures(m, pi_q.dtype)
    logq = (G * torch.log(pi_q) + (1 - G) * torch.log1p(-pi_q)).sum(1)
    ell, kl_w = terms(G)
    qG = torch.exp(logq)
    return (qG * (ell - kl_w)).sum() - bernoulli_kl(pi_q, pi_p)


def structure_bound_relaxed(terms: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                            pi_q: torch.Tensor, pi_p: torch.Tensor, temperature: float, n_samples: int = 1000,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """Monte-Carlo estimate of the bound with Γ replaced by binary-concrete draws at temperature τ:

    ``(1/S) Σ_s [ℓ(Γ̃_s) − KL_w(Γ̃_s)] − KL(q(Γ) ‖ p(Γ|h))``, ``Γ̃_s ~ RelaxedBernoulli(π_q, τ)``.

    Differentiable in π_q (the reparameterisation the discrete bound lacks); it tends to
    ``structure_bound_exact`` as ``τ → 0`` (the relaxed draws tend to Bernoulli draws), biased for τ > 0.
    """
    _check_prob("pi_q", pi_q)
    G = relaxed_bernoulli_sample(torch.log(pi_q) - torch.log1p(-pi_q), temperature, n_samples, generator)
    ell, kl_w = terms(G)
    return (ell - kl_w).mean() - bernoulli_kl(pi_q, pi_p)
