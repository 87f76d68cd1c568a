"""metaopt_lib.evidence against independent ground truths (torch.distributions, quadrature, closed forms)."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal

from metaopt_lib import evidence as ev
from metaopt_lib.seeding import set_seed

D64 = torch.float64


def _blr_data(n, d, seed=0, noise=0.3):
    g = set_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=D64)
    w = torch.randn(d, generator=g, dtype=D64)
    y = X @ w + noise * torch.randn(n, generator=g, dtype=D64)
    return X, y


def _mvn_log_evidence(X, y, alpha, noise_var):
    alpha = torch.as_tensor(alpha, dtype=D64)
    alpha = alpha.expand(X.shape[1]) if alpha.dim() == 0 else alpha
    C = noise_var * torch.eye(X.shape[0], dtype=D64) + (X / alpha) @ X.T
    return MultivariateNormal(torch.zeros(X.shape[0], dtype=D64), covariance_matrix=C).log_prob(y)


# ----------------------------------------------------------------------------------------------- exact evidence
@pytest.mark.parametrize("n,d", [(30, 5), (6, 12), (1, 1)])
@pytest.mark.parametrize("alpha", [0.01, 2.0, "vector"])
def test_log_evidence_matches_multivariate_normal(n, d, alpha):
    X, y = _blr_data(n, d, seed=n + d)
    if alpha == "vector":
        alpha = torch.logspace(-2, 1, d, dtype=D64)
    got = ev.log_evidence_blr(X, y, alpha, 0.25)
    want = _mvn_log_evidence(X, y, alpha, 0.25)
    assert got.dtype == D64 and got.dim() == 0
    assert torch.allclose(got, want, rtol=1e-10, atol=1e-10), (got, want)


def test_log_evidence_gradient_matches_multivariate_normal():
    X, y = _blr_data(20, 4, seed=3)
    a1 = torch.tensor([0.5, 1.0, 3.0, 0.1], dtype=D64, requires_grad=True)
    s1 = torch.tensor(0.4, dtype=D64, requires_grad=True)
    a2, s2 = a1.detach().clone().requires_grad_(), s1.detach().clone().requires_grad_()
    g1 = torch.autograd.grad(ev.log_evidence_blr(X, y, a1, s1), (a1, s1))
    g2 = torch.autograd.grad(_mvn_log_evidence(X, y, a2, s2), (a2, s2))
    for u, v in zip(g1, g2):
        assert torch.allclose(u, v, rtol=1e-8, atol=1e-10)


def test_log_evidence_matches_quadrature_in_one_dimension():
    # p(y) = ∫ Π_i N(y_i | x_i w, σ²) N(w | 0, 1/α) dw, by the trapezoid rule on a fine grid around the posterior.
    X, y = _blr_data(8, 1, seed=5)
    alpha, noise_var = 0.7, 0.5
    w = torch.linspace(-15, 15, 200_001, dtype=D64)
    log_lik = torch.distributions.Normal(X[:, :1] * w, torch.tensor(noise_var, dtype=D64).sqrt()).log_prob(y[:, None]).sum(0)
    log_prior = torch.distributions.Normal(torch.tensor(0.0, dtype=D64), torch.tensor(alpha, dtype=D64).rsqrt()).log_prob(w)
    log_integrand = log_lik + log_prior
    m = log_integrand.max()
    quad = m + torch.log(torch.trapezoid(torch.exp(log_integrand - m), w))
    assert abs(float(ev.log_evidence_blr(X, y, alpha, noise_var) - quad)) < 1e-8


def test_log_evidence_matches_monte_carlo_in_one_dimension():
    # Brute force: average the likelihood over prior draws (log-mean-exp); standard error bounds the tolerance.
    X, y = _blr_data(5, 1, seed=7)
    alpha, noise_var = 1.5, 0.8
    g = set_seed(1)
    w = torch.randn(400_000, generator=g, dtype=D64) / math.sqrt(alpha)
    log_lik = torch.distributions.Normal(X[:, :1] * w, torch.tensor(noise_var, dtype=D64).sqrt()).log_prob(y[:, None]).sum(0)
    lik = torch.exp(log_lik - log_lik.max())
    mc = log_lik.max() + torch.log(lik.mean())
    rel_se = float(lik.std() / lik.mean() / math.sqrt(lik.numel()))
    assert abs(float(ev.log_evidence_blr(X, y, alpha, noise_var) - mc)) < 4 * rel_se + 1e-12


def test_posterior_matches_gaussian_conditioning():
    # Independent route: condition the joint Gaussian (w, y): m = A⁻¹Xᵀ C⁻¹ y, S = A⁻¹ − A⁻¹Xᵀ C⁻¹ X A⁻¹.
    X, y = _blr_data(7, 4, seed=11)
    alpha = torch.tensor([0.3, 1.0, 2.0, 5.0], dtype=D64)
    noise_var = 0.2
    Ainv = torch.diag(1 / alpha)
    C = noise_var * torch.eye(7, dtype=D64) + X @ Ainv @ X.T
    K = Ainv @ X.T @ torch.linalg.inv(C)
    mean, cov = ev.posterior_blr(X, y, alpha, noise_var)
    assert torch.allclose(mean, K @ y, atol=1e-10)
    assert torch.allclose(cov, Ainv - K @ X @ Ainv, atol=1e-10)


@pytest.mark.parametrize("bad", [
    dict(X=torch.zeros(3), y=torch.zeros(3)),
    dict(y=torch.zeros(4)),
    dict(alpha=torch.ones(3)),
    dict(alpha=-1.0),
    dict(noise_var=0.0),
])
def test_bad_input_raises_clear_error(bad):
    X, y = _blr_data(5, 2)
    args = dict(X=X, y=y, alpha=1.0, noise_var=1.0) | bad
    with pytest.raises(ValueError, match=r"(?s).+\n.*[а-я]"):
        ev.log_evidence_blr(**args)
