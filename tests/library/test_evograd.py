"""metaopt_lib.evograd against independent ground truths: the closed-form ridge hypergradients (numpy), the
Monte-Carlo mean of many estimates, and the deterministic small-σ limit of one estimate."""

import math

import numpy as np
import pytest
import torch

from metaopt_lib import evograd as eg
from metaopt_lib import hypergrad as hg

D64 = torch.float64


def _ridge(n=40, m=30, d=4, seed=0, whiten=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + m, d))
    if whiten:  # XᵀX/n = I on the training part: H = (1 + λ)I for equal weight decays
        q, _ = np.linalg.qr(X[:n])
        X[:n] = q * np.sqrt(n)
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n + m)
    t = lambda a: torch.tensor(a, dtype=D64)  # noqa: E731
    return t(X[:n]), t(y[:n]), t(X[n:]), t(y[n:])


def _numpy_one_step(Xt, yt, Xv, yv, lam, theta, alpha):
    """Closed form of d/dλ L_V(θ − α∇L_T(θ, λ)) for ridge: θ₁ = θ − α(Xᵀ(Xθ − y)/n + λ⊙θ), ∂θ₁/∂λ_j = −α θ_j e_j."""
    Xt, yt, Xv, yv, lam, theta = (a.numpy() for a in (Xt, yt, Xv, yv, lam, theta))
    theta1 = theta - alpha * (Xt.T @ (Xt @ theta - yt) / len(yt) + lam * theta)
    g_val = Xv.T @ (Xv @ theta1 - yv) / len(yv)
    return torch.tensor(-alpha * theta * g_val)


def _mean_and_se(fn, n, seed):
    gen = torch.Generator().manual_seed(seed)
    ests = torch.stack([fn(gen) for _ in range(n)])
    return ests.mean(0), ests.std(0) / n ** 0.5, ests


def test_limit_is_the_one_step_hypergradient_in_closed_form():
    Xt, yt, Xv, yv = _ridge()
    lam = torch.tensor([0.1, 0.3, 1.0, 0.05], dtype=D64)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    theta = torch.tensor([0.5, -1.0, 0.2, 2.0], dtype=D64)  # not an optimum: θ₁ ≠ θ
    alpha = eg.evograd_step_size(0.02, 0.1, 4)
    assert alpha == pytest.approx(0.02 ** 2 * 0.75 / 0.1)
    lim = eg.evograd_limit(inner, outer, theta, lam, population=4, sigma=0.02, temperature=0.1)
    torch.testing.assert_close(lim, _numpy_one_step(Xt, yt, Xv, yv, lam, theta, alpha), rtol=1e-10, atol=1e-14)


def test_limit_at_the_ridge_optimum_is_the_exact_hypergradient_without_the_inverse_hessian():
    """exact = −w* ⊙ H⁻¹g (closed form), EvoGrad's limit = −α w* ⊙ g, so limit = α w* ⊙ H (exact / w*)."""
    Xt, yt, Xv, yv = _ridge(seed=1)
    lam = torch.tensor([0.1, 0.3, 1.0, 0.05], dtype=D64)
    w_star, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    H = Xt.T @ Xt / len(yt) + torch.diag(lam)
    alpha = eg.evograd_step_size(0.01, 0.05, 2)
    lim = eg.evograd_limit(hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), w_star, lam, 2, 0.01, 0.05)
    torch.testing.assert_close(lim, alpha * w_star * (H @ (exact / w_star)), rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize("temperature", [0.05, 0.1])
@pytest.mark.parametrize("at_optimum", [True, False])
def test_monte_carlo_mean_matches_the_limit(temperature, at_optimum):
    Xt, yt, Xv, yv = _ridge(seed=2)
    lam = torch.tensor([0.2, 0.5, 0.1, 1.0], dtype=D64)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    theta = hg.ridge_solution(Xt, yt, lam) if at_optimum else torch.tensor([0.5, -0.4, 0.3, 0.8], dtype=D64)
    sigma, K = 2e-3, 4
    mean, se, _ = _mean_and_se(lambda g: eg.evograd_hypergrad(inner, outer, theta, lam, K, sigma, temperature, g),
                               1000, seed=7)
    lim = eg.evograd_limit(inner, outer, theta, lam, K, sigma, temperature)
    assert torch.all((mean - lim).abs() < 4.5 * se + 0.02 * lim.abs()), (mean, lim, se)
    assert float((mean - lim).norm() / lim.norm()) < 0.1


def test_whitened_design_points_along_the_exact_hypergradient():
    """H = (1 + λ)I: the inverse Hessian is a scalar, so EvoGrad's mean is α(1 + λ) times the exact hypergradient."""
    Xt, yt, Xv, yv = _ridge(seed=3, whiten=True)
    lam = torch.full((4,), 0.5, dtype=D64)
    w_star, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    mean, _, _ = _mean_and_se(lambda g: eg.evograd_hypergrad(inner, outer, w_star, lam, 8, 1e-3, 0.05, g),
                              1500, seed=11)
    scale = eg.evograd_step_size(1e-3, 0.05, 8) * 1.5
    assert float(mean @ exact / (mean.norm() * exact.norm())) > 0.99
    assert float((mean - scale * exact).norm() / (scale * exact).norm()) < 0.1


def test_spread_of_one_estimate_falls_like_one_over_sqrt_population():
    Xt, yt, Xv, yv = _ridge(seed=4)
    lam = torch.tensor([0.2, 0.5, 0.1, 1.0], dtype=D64)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    w_star = hg.ridge_solution(Xt, yt, lam)
    rms = {}
    for K in (4, 64):
        lim = eg.evograd_limit(inner, outer, w_star, lam, K, 1e-3, 0.05)
        _, _, ests = _mean_and_se(lambda g: eg.evograd_hypergrad(inner, outer, w_star, lam, K, 1e-3, 0.05, g),
                                  400, seed=K)
        rms[K] = float(((ests - lim).norm(dim=1) ** 2).mean().sqrt() / lim.norm())
    assert 2.8 < rms[4] / rms[64] < 5.5, rms  # √(64/4) = 4


def test_one_draw_converges_to_its_linearisation_as_sigma_shrinks():
    """With the same standard-normal draws z (ε = σz), estimate(σ)/α(σ) has a finite limit as σ → 0: successive
    differences shrink in proportion to σ — the expansion behind :func:`evograd_limit` is first-order exact."""
    Xt, yt, Xv, yv = _ridge(seed=5)
    lam = torch.tensor([0.2, 0.5, 0.1, 1.0], dtype=D64)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    theta = torch.tensor([0.5, -0.4, 0.3, 0.8], dtype=D64)  # not an optimum: the evolved model moves too
    scaled = []
    for sigma in (1e-2, 1e-3, 1e-4):
        g = torch.Generator().manual_seed(3)
        scaled.append(eg.evograd_hypergrad(inner, outer, theta, lam, 3, sigma, 0.05, g)
                      / eg.evograd_step_size(sigma, 0.05, 3))
    d1, d2 = float((scaled[0] - scaled[1]).norm()), float((scaled[1] - scaled[2]).norm())
    assert 5 < d1 / d2 < 20, (d1, d2)


def test_no_derivative_flows_into_the_parameters():
    Xt, yt, Xv, yv = _ridge()
    lam = torch.full((4,), 0.3, dtype=D64)
    theta = torch.zeros(4, dtype=D64, requires_grad=True)
    out = eg.evograd_hypergrad(hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), theta, lam, 2, 0.01,
                               0.05, torch.Generator().manual_seed(0))
    assert out.shape == lam.shape and not out.requires_grad


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(population=1), "population"), (dict(population=2.0), "population"), (dict(sigma=0.0), "sigma"),
    (dict(sigma=float("nan")), "sigma"), (dict(temperature=-1.0), "temperature"),
])
def test_bad_settings_get_a_bilingual_message(kwargs, fragment):
    Xt, yt, Xv, yv = _ridge()
    args = dict(population=2, sigma=0.01, temperature=0.05) | kwargs
    with pytest.raises(ValueError, match=fragment) as err:
        eg.evograd_hypergrad(hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), torch.zeros(4, dtype=D64),
                             torch.ones(4, dtype=D64), **args)
    assert any("а" <= ch <= "я" for ch in str(err.value))


def test_integer_tensors_are_refused():
    Xt, yt, Xv, yv = _ridge()
    with pytest.raises(TypeError, match="вещественным"):
        eg.evograd_hypergrad(hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), torch.zeros(4, dtype=torch.long),
                             torch.ones(4, dtype=D64))


def test_default_settings_are_the_papers_and_match_the_closed_form():
    """Called without settings, both functions use K = 2, σ = 0.01, τ = 0.05 (Bohdal et al. 2021): the limit is the
    closed-form one-step hypergradient with α = σ²(1 − 1/K)/τ = 1e-3, and one estimate equals the explicit call."""
    Xt, yt, Xv, yv = _ridge(seed=2)
    lam = torch.tensor([0.2, 0.1, 0.5, 1.0], dtype=D64)
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    theta = torch.tensor([1.0, -0.5, 0.3, 0.7], dtype=D64)
    torch.testing.assert_close(eg.evograd_limit(inner, outer, theta, lam),
                               _numpy_one_step(Xt, yt, Xv, yv, lam, theta, 0.01 ** 2 * 0.5 / 0.05),
                               rtol=1e-10, atol=1e-14)
    default = eg.evograd_hypergrad(inner, outer, theta, lam, generator=torch.Generator().manual_seed(3))
    explicit = eg.evograd_hypergrad(inner, outer, theta, lam, 2, 0.01, 0.05, torch.Generator().manual_seed(3))
    torch.testing.assert_close(default, explicit, rtol=0, atol=0)


@pytest.mark.parametrize("sigma, temperature", [(math.inf, 0.05), (0.01, math.inf), (float("inf"), 0.05)])
def test_an_infinite_sigma_or_temperature_is_refused_in_both_languages(sigma, temperature):
    with pytest.raises(ValueError, match="finite number > 0") as err:
        eg.evograd_step_size(sigma, temperature, 2)
    assert "конечным числом" in str(err.value)
