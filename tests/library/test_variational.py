"""metaopt_lib.variational against ground truth: torch.distributions KLs, the exact evidence of Bayesian linear
regression, exact ELBOs, enumeration over structures, grid minimisation."""

import itertools
import math

import pytest
import torch
from torch.distributions import Bernoulli, MultivariateNormal, Normal, kl_divergence

from metaopt_lib import variational as V


def _linreg(n=30, u=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, u, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([1.5, 0.0, -2.0, 0.3], dtype=torch.float64)[:u] + 0.5 * torch.randn(n, generator=g,
                                                                                          dtype=torch.float64)
    A = torch.diag(torch.tensor([0.5, 2.0, 1.0, 4.0], dtype=torch.float64)[:u])
    return X, y, 0.5, A


def test_kl_diag_gaussians_equals_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mq, mp = torch.randn(7, generator=g), torch.randn(7, generator=g)
    sq, sp = torch.rand(7, generator=g) + 0.1, torch.rand(7, generator=g) + 0.1
    ref = kl_divergence(Normal(mq, sq), Normal(mp, sp)).sum()
    assert torch.isclose(V.kl_diag_gaussians(mq, sq, mp, sp), ref, atol=1e-6)
    assert V.kl_diag_gaussians(mq, sq, mq, sq).abs() < 1e-6
    with pytest.raises(ValueError, match="positive"):
        V.kl_diag_gaussians(mq, -sq, mp, sp)


def test_kl_gaussian_prior_equals_torch_distributions():
    g = torch.Generator().manual_seed(1)
    B = torch.randn(4, 4, generator=g, dtype=torch.float64)
    S = B @ B.T + 0.3 * torch.eye(4, dtype=torch.float64)
    A = torch.diag(torch.tensor([0.5, 2.0, 1.0, 4.0], dtype=torch.float64))
    mu = torch.randn(4, generator=g, dtype=torch.float64)
    ref = kl_divergence(MultivariateNormal(mu, S), MultivariateNormal(torch.zeros(4, dtype=torch.float64),
                                                                       torch.linalg.inv(A)))
    assert torch.isclose(V.kl_gaussian_prior(mu, S, A), ref)


def test_elbo_plus_kl_to_posterior_is_the_log_evidence():
    X, y, s, A = _linreg()
    m, S = V.linreg_posterior(X, y, s, A)
    ev = V.linreg_log_evidence(X, y, s, A)
    # a hand-made evidence: N(y | 0, s²I + X A⁻¹ Xᵀ) by the Gaussian density formula
    C = s ** 2 * torch.eye(len(y), dtype=X.dtype) + X @ torch.linalg.inv(A) @ X.T
    hand = -0.5 * (len(y) * math.log(2 * math.pi) + torch.logdet(C) + y @ torch.linalg.solve(C, y))
    assert torch.isclose(ev, hand)
    assert torch.isclose(V.elbo_linreg(X, y, s, m, S, A), ev)  # q = posterior: the bound is tight
    # any other (here: mean-field) q: log p(D|h) = ELBO + KL(q ‖ p(w|D, h)), with KL from torch.distributions
    mu = m + 0.1
    var = 1 / torch.diagonal(torch.linalg.inv(S))
    kl = kl_divergence(MultivariateNormal(mu, torch.diag(var)), MultivariateNormal(m, S))
    assert torch.isclose(V.elbo_linreg(X, y, s, mu, var, A) + kl, ev)
    assert V.elbo_linreg(X, y, s, mu, var, A) < ev


def test_monte_carlo_elbo_converges_to_the_exact_one():
    X, y, s, A = _linreg()
    mu = torch.tensor([1.0, 0.2, -1.5, 0.0], dtype=torch.float64)
    sigma = torch.tensor([0.1, 0.3, 0.2, 0.5], dtype=torch.float64)
    prior_sigma = 1 / torch.sqrt(torch.diagonal(A))
    exact = V.elbo_linreg(X, y, s, mu, sigma ** 2, A)
    log_lik = lambda w: Normal(X @ w, s).log_prob(y).sum()
    g = torch.Generator().manual_seed(0)
    errs = []
    for n in (10, 4000):
        draws = torch.stack([V.elbo_mc(log_lik, mu, sigma, 0.0, prior_sigma, 1, g) for _ in range(n)])
        se = draws.std() / math.sqrt(n)
        errs.append(abs(draws.mean() - exact).item())
        assert abs(draws.mean() - exact) < 4 * se
    assert errs[1] < 0.2 * draws.std()  # 4000 draws: within a fifth of one draw's spread


def test_relative_density_and_graves_mask():
    mu = torch.tensor([0.0, 1.0, 3.0, -0.5])
    sigma = torch.tensor([1.0, 1.0, 1.0, 0.1])
    q = Normal(mu, sigma)
    assert torch.allclose(V.relative_density(mu, sigma), torch.exp(q.log_prob(torch.zeros(4)) - q.log_prob(mu)))
    # prune the largest relative densities: |μ|/σ = [0, 1, 3, 5] → remove indices 0 and 1
    assert V.graves_mask(mu, sigma, 0.5).tolist() == [False, False, True, True]


def test_graves_loss_is_minus_elbo_and_training_fits():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(90, 5, generator=g, dtype=torch.float64)
    y = (X[:, 0] > X[:, 1]).long() + (X[:, 2] > 0.7).long()
    mu, sigma, b = torch.randn(3, 5, dtype=torch.float64), torch.rand(3, 5, dtype=torch.float64) + 0.1, torch.zeros(3, dtype=torch.float64)
    # with σ → 0 the loss tends to NLL/n + KL/n at the mean
    tiny = torch.full_like(sigma, 1e-6)
    expected = (torch.nn.functional.cross_entropy(X @ mu.T + b, y, reduction="sum")
                + kl_divergence(Normal(mu, tiny), Normal(0.0, 2.0)).sum()) / 90
    assert torch.isclose(V.graves_logreg_loss(mu, tiny, b, X, y, 2.0, 1, g), expected, rtol=1e-6)
    res = V.graves_logreg(X, y, 3, prior_sigma=1.0, epochs=150, lr=0.05, n_samples=2)
    mu_W, sigma_W, mu_b = res
    assert mu_W.shape == (3, 5) and (sigma_W > 0).all() and mu_b.shape == (3,)
    start = V.graves_logreg_loss(torch.zeros_like(mu_W), torch.full_like(mu_W, 1e-2), torch.zeros(3, dtype=X.dtype),
                                 X, y, 1.0, 200, g)
    end = V.graves_logreg_loss(mu_W, sigma_W, mu_b, X, y, 1.0, 200, g)
    assert end < start - 0.1
    # the documented default seed is 0: the same run with seed=0 spelled out gives the same posterior
    again = V.graves_logreg(X, y, 3, prior_sigma=1.0, epochs=150, lr=0.05, n_samples=2, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(res, again))
    # and the documented defaults (prior_sigma 1, lr 0.05, one sample, σ₀ = 0.01) are the ones used
    short = V.graves_logreg(X, y, 3, epochs=5)
    spelled = V.graves_logreg(X, y, 3, prior_sigma=1.0, epochs=5, lr=0.05, n_samples=1, seed=0, init_sigma=1e-2)
    assert all(torch.equal(a, b) for a, b in zip(short, spelled))


def test_parametric_complexity_is_the_minimum_over_the_prior_variance():
    mu = torch.tensor([0.5, -1.0, 0.0, 2.0], dtype=torch.float64)
    sigma = torch.tensor([0.3, 0.2, 1.0, 0.5], dtype=torch.float64)
    cp, h = V.parametric_complexity(mu, sigma)
    grid = torch.linspace(0.01, 5, 20001, dtype=torch.float64)
    kls = torch.stack([kl_divergence(Normal(mu, sigma), Normal(0.0, math.sqrt(v))).sum() for v in grid[::20]])
    assert cp <= kls.min() + 1e-9 and abs(cp - kls.min()) < 1e-3
    cp_w, h_w = V.parametric_complexity(mu, sigma, per_weight=True)
    assert cp_w <= cp and torch.allclose(h_w, mu ** 2 + sigma ** 2)
    # C_p = 0 exactly when q belongs to the prior family
    assert V.parametric_complexity(torch.zeros(3), torch.full((3,), 0.7))[0].abs() < 1e-6
    rho = V.relative_variational_density(mu, sigma)
    assert torch.allclose(rho, V.relative_density(mu, sigma))
    q = Normal(mu, sigma)  # log ρ = log q(0) − log q(μ)
    assert torch.allclose(V.log_relative_variational_density(mu, sigma), q.log_prob(torch.zeros(4)) - q.log_prob(mu))
    assert torch.isfinite(V.log_relative_variational_density(torch.tensor([100.0]), torch.tensor([0.1]))).all()


def test_relaxed_bernoulli_and_gumbel_softmax_against_exact_probabilities():
    g = torch.Generator().manual_seed(0)
    pi = torch.tensor([0.1, 0.5, 0.8], dtype=torch.float64)
    draws = V.relaxed_bernoulli_sample(torch.log(pi / (1 - pi)), 0.7, 40000, g)
    se = torch.sqrt(pi * (1 - pi) / 40000)
    assert ((draws > 0.5).double().mean(0) - pi).abs().le(4 * se).all()  # P(Γ̃ > ½) = π at any τ
    ref = torch.distributions.RelaxedBernoulli(torch.tensor(0.7, dtype=torch.float64), probs=pi)
    torch.manual_seed(0)
    ref_draws = ref.sample((40000,))
    assert torch.allclose(draws.mean(0), ref_draws.mean(0), atol=0.01)
    p = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    gs = V.gumbel_softmax_sample(torch.log(p), 0.5, 40000, g)
    assert torch.allclose(gs.sum(-1), torch.ones(40000, dtype=torch.float64))
    freq = torch.bincount(gs.argmax(-1), minlength=3).double() / 40000
    assert ((freq - p).abs() <= 4 * torch.sqrt(p * (1 - p) / 40000)).all()


def test_bernoulli_kl_equals_torch_distributions():
    q, p = torch.tensor([0.2, 0.9]), torch.tensor([0.5, 0.3])
    assert torch.isclose(V.bernoulli_kl(q, p), kl_divergence(Bernoulli(q), Bernoulli(p)).sum())


def _structure_problem():
    g = torch.Generator().manual_seed(2)
    X = torch.randn(25, 4, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([2.0, 0.0, -1.0, 0.0], dtype=torch.float64) + 0.3 * torch.randn(25, generator=g, dtype=torch.float64)
    mu = torch.tensor([1.8, 0.1, -0.9, 0.05], dtype=torch.float64)
    sigma = torch.tensor([0.1, 0.5, 0.1, 0.4], dtype=torch.float64)
    terms = V.gated_linreg_terms(X, y, 0.3, mu, sigma, prior_sigma=1.0)
    return X, y, mu, sigma, terms


def test_exact_structure_bound_against_brute_force_monte_carlo_and_the_evidence():
    X, y, mu, sigma, terms = _structure_problem()
    pi_q = torch.tensor([0.9, 0.3, 0.7, 0.2], dtype=torch.float64)
    pi_p = torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64)
    exact = V.structure_bound_exact(terms, pi_q, pi_p)
    # brute force: sample Γ ~ q, w ~ q(w|Γ) and average log p(y|w,Γ) − log q(w,Γ) + log p(w,Γ)
    torch.manual_seed(0)
    S = 200000
    G = Bernoulli(pi_q).sample((S,))
    w_on = Normal(mu, sigma).sample((S,))
    w_off = Normal(0.0, 1.0).sample((S, 4)).double()
    w = torch.where(G.bool(), w_on, w_off)
    ll = Normal((G * w) @ X.T, 0.3).log_prob(y).sum(-1)
    logq = Bernoulli(pi_q).log_prob(G).sum(-1) + torch.where(G.bool(), Normal(mu, sigma).log_prob(w),
                                                            Normal(0.0, 1.0).log_prob(w)).sum(-1)
    logp = Bernoulli(pi_p).log_prob(G).sum(-1) + Normal(0.0, 1.0).log_prob(w).sum(-1)
    vals = ll - logq + logp
    assert abs(vals.mean() - exact) < 4 * vals.std() / math.sqrt(S)
    # a lower bound of log Σ_Γ p(Γ) p(y | Γ) (each p(y|Γ) Gaussian: y ~ N(0, s²I + X diag(Γ) Xᵀ))
    Gall = V.all_structures(4)
    logev = torch.stack([MultivariateNormal(torch.zeros(25, dtype=torch.float64),
                                            0.09 * torch.eye(25, dtype=torch.float64) + (X * gm) @ X.T).log_prob(y)
                         for gm in Gall])
    logprior = Bernoulli(pi_p).log_prob(Gall).sum(-1)
    assert exact < torch.logsumexp(logev + logprior, 0)


def test_relaxed_bound_approaches_the_enumerated_one_as_temperature_falls():
    *_, terms = _structure_problem()
    pi_q = torch.tensor([0.9, 0.3, 0.7, 0.2], dtype=torch.float64)
    pi_p = torch.full((4,), 0.5, dtype=torch.float64)
    exact = V.structure_bound_exact(terms, pi_q, pi_p)
    gaps = []
    for tau in (2.0, 0.5, 0.1, 0.02):
        est = V.structure_bound_relaxed(terms, pi_q, pi_p, tau, 40000, torch.Generator().manual_seed(1))
        gaps.append(abs(est - exact).item())
    # the Monte-Carlo standard error of the same estimator with hard Bernoulli draws
    G = Bernoulli(pi_q).sample((40000,))
    ell, kl_w = terms(G)
    se = ((ell - kl_w).std() / math.sqrt(40000)).item()
    assert gaps[0] > 10 * se and gaps[0] > gaps[1] > gaps[2]  # a real bias at high temperature, shrinking
    assert gaps[3] < 4 * se                                   # at τ = 0.02 only Monte-Carlo noise is left
    # coupled draws: with the same uniforms, relaxed draws tend to the hard ones 1[logit + logistic noise > 0]
    logits = torch.log(pi_q) - torch.log1p(-pi_q)
    soft = V.relaxed_bernoulli_sample(logits, 1e-4, 5000, torch.Generator().manual_seed(3))
    hard = (V.relaxed_bernoulli_sample(logits, 1.0, 5000, torch.Generator().manual_seed(3)) > 0.5).double()
    assert (soft - hard).abs().max() < 1e-3 or ((soft - hard).abs() > 1e-3).double().mean() < 1e-3


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_bernoulli_kl_against_torch_distributions_in_both_directions():
    pq = torch.tensor([0.9, 0.3, 0.05], dtype=torch.float64)
    pp = torch.tensor([0.4, 0.6, 0.5], dtype=torch.float64)
    ref = kl_divergence(Bernoulli(pq), Bernoulli(pp)).sum()
    assert float(V.bernoulli_kl(pq, pp)) == pytest.approx(float(ref), abs=1e-12)
    rev = kl_divergence(Bernoulli(pp), Bernoulli(pq)).sum()
    assert abs(float(ref) - float(rev)) > 0.1  # the direction matters at these values


def test_gated_terms_for_relaxed_gates_match_the_gaussian_of_gamma_times_w():
    """For Γ ∈ (0, 1), Γ ⊙ w with w ~ N(μ, diag σ²) is N(Γ⊙μ, diag(Γ²σ²)): the expected log-likelihood is the
    closed form of linear regression with that mean and covariance (γ², not γ), and the KL is Σ Γ_i KL_i."""
    X, y, mu, sigma, terms = _structure_problem()
    gamma = torch.tensor([[0.3, 0.8, 0.5, 0.1], [1.0, 0.0, 0.25, 0.9]], dtype=torch.float64)
    ell, kl = terms(gamma)
    for s in range(2):
        gm = gamma[s]
        ref = V.linreg_expected_loglik(X, y, 0.3, gm * mu, gm ** 2 * sigma ** 2)
        # independent: E log N(y | Xv, s²I) for v ~ N(m, D) is Σ_n [log N(y_n | x_nᵀm, s²) − x_nᵀDx_n/(2s²)]
        m, D = gm * mu, torch.diag(gm ** 2 * sigma ** 2)
        direct = (Normal(X @ m, 0.3).log_prob(y) - torch.einsum("ni,ij,nj->n", X, D, X) / (2 * 0.09)).sum()
        assert float(ell[s]) == pytest.approx(float(direct), abs=1e-10)
        assert float(ref) == pytest.approx(float(direct), abs=1e-10)
        kl_i = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0))
        assert float(kl[s]) == pytest.approx(float((gm * kl_i).sum()), abs=1e-12)


def test_structure_bound_exact_against_hand_enumeration_to_1e_10():
    X, y, mu, sigma, terms = _structure_problem()
    pi_q = torch.tensor([0.9, 0.3, 0.7, 0.2], dtype=torch.float64)
    pi_p = torch.tensor([0.6, 0.5, 0.4, 0.3], dtype=torch.float64)
    total = 0.0
    kl_w = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0))
    for bits in itertools.product((0, 1), repeat=4):
        G = torch.tensor(bits, dtype=torch.float64)
        q = float(torch.prod(torch.where(G.bool(), pi_q, 1 - pi_q)))
        ell = (Normal(X @ (G * mu), 0.3).log_prob(y) - (X ** 2 @ (G * sigma ** 2)) / (2 * 0.09)).sum()
        total += q * (float(ell) - float((G * kl_w).sum()))
    total -= float(kl_divergence(Bernoulli(pi_q), Bernoulli(pi_p)).sum())
    assert float(V.structure_bound_exact(terms, pi_q, pi_p)) == pytest.approx(total, abs=1e-10)


@pytest.mark.parametrize("bad", ["Sigma_q", "A"])
def test_kl_gaussian_prior_refuses_a_wrongly_shaped_sigma_q_or_a(bad):
    """μ of length 2 with a 3×3 Σ_q (or A) is refused naming both shapes, in both languages."""
    mu = torch.zeros(2, dtype=torch.float64)
    mats = {"Sigma_q": torch.eye(2, dtype=torch.float64), "A": torch.eye(2, dtype=torch.float64)}
    mats[bad] = torch.eye(3, dtype=torch.float64)
    with pytest.raises(ValueError) as err:
        V.kl_gaussian_prior(mu, mats["Sigma_q"], mats["A"])
    assert "Sigma_q and A must be [2, 2]" in str(err.value) and "Sigma_q и A должны быть [2, 2]" in str(err.value)


def test_a_probability_outside_the_open_interval_is_named_by_its_value():
    """The message quotes the offending probability (1.5), not the first one (0.5), in both languages."""
    with pytest.raises(ValueError) as err:
        V.bernoulli_kl(torch.tensor([0.5, 1.5]), torch.tensor([0.5, 0.5]))
    assert "pi_q must lie strictly inside (0, 1), found 1.5" in str(err.value)
    assert "pi_q должны лежать строго в (0, 1), найдено 1.5" in str(err.value)


def test_log_evidence_at_a_noise_scale_other_than_one_half_equals_torch_distributions():
    # at s = 0.5, s² = s/2: the other tests cannot tell the noise variance from s/2
    X, y, _, A = _linreg()
    s = 0.3
    ref = MultivariateNormal(torch.zeros(len(y), dtype=X.dtype),
                             s * s * torch.eye(len(y), dtype=X.dtype) + X @ torch.linalg.inv(A) @ X.T).log_prob(y)
    assert torch.isclose(V.linreg_log_evidence(X, y, s, A), ref)
