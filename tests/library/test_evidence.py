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


# ------------------------------------------------------------------------------------- evidence by gradient descent
def _spd(d, seed, lo=0.1, hi=5.0):
    g = set_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=D64))
    lam = torch.linspace(lo, hi, d, dtype=D64)
    return (Q * lam) @ Q.T, lam


def test_entropy_change_equals_gaussian_entropy_difference():
    # A step of gradient descent on a quadratic maps N(m, S) to N(m', J S Jᵀ), J = I − βH.
    H, lam = _spd(6, 0, lo=-1.0, hi=4.0)
    beta = 0.2
    S = _spd(6, 1, lo=0.3, hi=2.0)[0]
    J = torch.eye(6, dtype=D64) - beta * H
    before = MultivariateNormal(torch.zeros(6, dtype=D64), covariance_matrix=S).entropy()
    after = MultivariateNormal(torch.zeros(6, dtype=D64), covariance_matrix=J @ S @ J.T).entropy()
    assert torch.allclose(ev.entropy_change_exact(H, beta), after - before, atol=1e-10)
    assert torch.allclose(ev.gaussian_entropy(S), before, atol=1e-12)


@pytest.mark.parametrize("radius", [0.05, 0.3, 0.6, ev.BOUND_RADIUS])
def test_trace_bound_is_below_exact_entropy_change(radius):
    H, lam = _spd(8, 2, lo=-2.0, hi=3.0)  # an indefinite Hessian too
    beta = radius / float(lam.max())
    bound = ev.entropy_change_bound(torch.trace(H), torch.trace(H @ H), beta)
    exact = ev.entropy_change_exact(H, beta)
    assert bound <= exact
    assert exact - bound <= beta ** 2 * float(torch.trace(H @ H))  # log(1 − x) ≤ −x: the gap is at most β² Tr H²


def test_trace_bound_fails_beyond_its_radius():
    # log(1 − x) ≥ −x − x² stops holding just above x = 0.6838: the bound needs β·λmax ≤ 0.68.
    H = torch.tensor([[1.0]], dtype=D64)
    assert ev.entropy_change_bound(1.0, 1.0, 0.68) <= ev.entropy_change_exact(H, 0.68)
    assert ev.entropy_change_bound(1.0, 1.0, 0.70) > ev.entropy_change_exact(H, 0.70)


def _logistic_log_joint(seed=0, n=30, d=5):
    g = set_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=D64)
    t = (torch.rand(n, generator=g, dtype=D64) < 0.5).to(D64)

    def log_joint(w):
        z = X @ w
        return (t * z - torch.nn.functional.softplus(z)).sum() - 0.5 * (w * w).sum()

    return log_joint, torch.randn(d, generator=g, dtype=D64)


def test_hessian_traces_exact_matches_autograd_hessian():
    log_joint, w = _logistic_log_joint()
    neg = lambda v: -log_joint(v)  # noqa: E731
    H = torch.autograd.functional.hessian(neg, w)
    trH, trH2 = ev.hessian_traces(neg, w)
    assert torch.allclose(trH, torch.trace(H), atol=1e-10)
    assert torch.allclose(trH2, torch.trace(H @ H), atol=1e-10)


def test_hutchinson_trace_converges_to_exact_trace():
    M, _ = _spd(20, 3, lo=-1.0, hi=6.0)
    exact = torch.trace(M)
    sd1 = math.sqrt(2 * float((M * M).sum() - (torch.diagonal(M) ** 2).sum()))  # std of one Rademacher probe
    errors = []
    for m in (4, 64, 4096):
        est = ev.hutchinson_trace(lambda V: V @ M, 20, n_probes=m, generator=torch.Generator().manual_seed(m))
        assert abs(float(est - exact)) < 4 * sd1 / math.sqrt(m)
        errors.append(abs(float(est - exact)))
    assert errors[-1] < 0.05 * sd1


def test_hutchinson_hessian_traces_converge():
    log_joint, w = _logistic_log_joint(seed=1)
    neg = lambda v: -log_joint(v)  # noqa: E731
    H = torch.autograd.functional.hessian(neg, w)
    trH, trH2 = ev.hessian_traces(neg, w, n_probes=20_000, generator=torch.Generator().manual_seed(0))
    assert abs(float(trH - torch.trace(H))) < 0.02 * float(torch.trace(H))
    assert abs(float(trH2 - torch.trace(H @ H))) < 0.03 * float(torch.trace(H @ H))


def test_gd_elbo_gaussian_is_a_lower_bound_and_tight_at_the_posterior():
    X, y = _blr_data(25, 4, seed=4, noise=0.5)
    alpha, noise_var = 0.5, 0.25
    H, b, c = ev.blr_quadratic(X, y, alpha, noise_var)
    exact = ev.log_evidence_blr(X, y, alpha, noise_var)
    beta = 0.5 / float(torch.linalg.eigvalsh(H).max())
    prior = ev.gd_elbo_gaussian(H, b, c, torch.zeros(4, dtype=D64), torch.eye(4, dtype=D64) / alpha, beta, 200)
    assert bool((prior <= exact + 1e-9).all())
    mean, cov = ev.posterior_blr(X, y, alpha, noise_var)
    at_posterior = ev.gd_elbo_gaussian(H, b, c, mean, cov, beta, 0)
    assert torch.allclose(at_posterior[0], exact, atol=1e-9)  # KL(q‖posterior) = 0


def test_evidence_gd_matches_the_exact_gaussian_elbo():
    X, y = _blr_data(25, 4, seed=4, noise=0.5)
    alpha, noise_var = 0.5, 0.25
    H, b, c = ev.blr_quadratic(X, y, alpha, noise_var)
    beta, steps = 0.4 / float(torch.linalg.eigvalsh(H).max()), 15
    log_joint = ev.log_joint_blr(X, y, alpha, noise_var)
    init = torch.zeros(4, dtype=D64)
    exact = ev.gd_elbo_gaussian(H, b, c, init, torch.eye(4, dtype=D64) / alpha, beta, steps)
    r = 4000
    est = ev.evidence_gd(log_joint, init, alpha ** -0.5, beta, steps, n_runs=r, exact_logdet=True,
                         generator=torch.Generator().manual_seed(0))
    # the entropy part is exact: S(q⁰) + t log|I − βH|
    t = torch.arange(steps + 1, dtype=D64)
    assert torch.allclose(est.entropy, ev.gaussian_entropy(torch.full((4,), 1 / alpha, dtype=D64))
                          + t * ev.entropy_change_exact(H, beta), atol=1e-9)
    # the energy part is a Monte Carlo mean over r runs: compare within 5 standard errors at the final step
    lp = torch.func.vmap(log_joint)(est.weights)
    se = float(lp.std() / math.sqrt(r))
    assert abs(float(est.log_evidence[-1] - exact[-1])) < 5 * se
    assert abs(float(est.log_evidence[0] - exact[0])) < 5 * float(torch.func.vmap(log_joint)(
        init + alpha ** -0.5 * torch.randn(r, 4, generator=torch.Generator().manual_seed(0), dtype=D64)).std()
        / math.sqrt(r))


def test_trace_estimate_lies_below_the_logdet_estimate():
    # Same draws, same trajectory: the trace bound under-estimates every entropy change (β·λmax = 0.5 ≤ 0.68).
    X, y = _blr_data(25, 4, seed=4, noise=0.5)
    log_joint = ev.log_joint_blr(X, y, 0.5, 0.25)
    H, _, _ = ev.blr_quadratic(X, y, 0.5, 0.25)
    beta = 0.5 / float(torch.linalg.eigvalsh(H).max())
    kw = dict(init_mean=torch.zeros(4, dtype=D64), init_std=2 ** 0.5, beta=beta, steps=10, n_runs=3)
    exact = ev.evidence_gd(log_joint, generator=torch.Generator().manual_seed(5), exact_logdet=True, **kw)
    bound = ev.evidence_gd(log_joint, generator=torch.Generator().manual_seed(5), **kw)
    assert torch.allclose(exact.energy, bound.energy)
    assert bool((bound.log_evidence[1:] < exact.log_evidence[1:]).all())


def test_evidence_gd_ranks_prior_precisions_like_the_exact_evidence():
    g = set_seed(0)
    X = torch.randn(40, 8, generator=g, dtype=D64)
    y = X @ torch.randn(8, generator=g, dtype=D64) + 0.5 * torch.randn(40, generator=g, dtype=D64)
    alphas, noise_var = [1e-3, 1e-1, 1.0, 100.0], 0.25
    exact, est = [], []
    for a in alphas:
        H, _, _ = ev.blr_quadratic(X, y, a, noise_var)
        beta = 0.5 / float(torch.linalg.eigvalsh(H).max())
        run = ev.evidence_gd(ev.log_joint_blr(X, y, a, noise_var), torch.zeros(8, dtype=D64), a ** -0.5, beta, 50,
                             n_runs=10, generator=torch.Generator().manual_seed(1))
        exact.append(float(ev.log_evidence_blr(X, y, a, noise_var)))
        est.append(float(run.log_evidence.max()))
        assert est[-1] < exact[-1]  # a lower bound
    assert sorted(range(4), key=exact.__getitem__) == sorted(range(4), key=est.__getitem__)
    assert len(set(sorted(range(4), key=exact.__getitem__))) == 4 and exact[2] == max(exact)  # a non-trivial order


def test_evidence_gd_rejects_bad_input():
    log_joint = ev.log_joint_blr(*_blr_data(5, 2), 1.0, 1.0)
    with pytest.raises(ValueError, match="beta"):
        ev.evidence_gd(log_joint, torch.zeros(2, dtype=D64), 1.0, beta=-0.1, steps=3)
    with pytest.raises(ValueError, match="bijection"):
        ev.evidence_gd(log_joint, torch.zeros(2, dtype=D64), 1.0, beta=10.0, steps=3, exact_logdet=True)


def test_elbo_blr_identity_and_monte_carlo():
    """log p(y) = ELBO(q) + KL(q || posterior) for any Gaussian q; the closed-form ELBO matches Monte Carlo."""
    from torch.distributions import MultivariateNormal, Normal, kl_divergence

    gen = torch.Generator().manual_seed(3)
    X = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.3 * torch.randn(40, generator=gen,
                                                                                     dtype=torch.float64)
    alpha, noise = torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64), 0.2
    log_ev = ev.log_evidence_blr(X, y, alpha, noise)
    m_N, S_N = ev.posterior_blr(X, y, alpha, noise)
    assert torch.allclose(ev.elbo_blr(X, y, alpha, noise, m_N, S_N), log_ev, atol=1e-9)
    L = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    q_mean, q_cov = m_N + 0.3 * torch.randn(3, generator=gen, dtype=torch.float64), L @ L.T / 3 + 0.01 * torch.eye(3)
    q = MultivariateNormal(q_mean, q_cov)
    elbo = ev.elbo_blr(X, y, alpha, noise, q_mean, q_cov)
    assert elbo < log_ev
    assert torch.allclose(elbo + kl_divergence(q, MultivariateNormal(m_N, S_N)), log_ev, atol=1e-8)
    w = q.sample((200_000,))
    ell = Normal(w @ X.T, noise ** 0.5).log_prob(y).sum(-1)
    prior = MultivariateNormal(torch.zeros(3, dtype=torch.float64), torch.diag(1 / alpha))
    mc = ell.mean() - kl_divergence(q, prior)
    assert abs(float(mc - elbo)) < 4 * float(ell.std()) / 200_000 ** 0.5


def test_evidence_gd_with_hutchinson_probes_approaches_exact_traces():
    X, y = _blr_data(25, 4, seed=4, noise=0.5)
    log_joint = ev.log_joint_blr(X, y, 0.5, 0.25)
    H, _, _ = ev.blr_quadratic(X, y, 0.5, 0.25)
    beta = 0.3 / float(torch.linalg.eigvalsh(H).max())
    kw = dict(init_mean=torch.zeros(4, dtype=D64), init_std=2 ** 0.5, beta=beta, steps=4, n_runs=2)
    exact = ev.evidence_gd(log_joint, generator=torch.Generator().manual_seed(5), **kw)
    hutch = ev.evidence_gd(log_joint, n_probes=3000, generator=torch.Generator().manual_seed(5), **kw)
    assert torch.allclose(exact.energy[0], hutch.energy[0])  # same starting draws
    drop_exact = exact.entropy[-1] - exact.entropy[0]
    drop_hutch = hutch.entropy[-1] - hutch.entropy[0]
    assert abs(float(drop_hutch - drop_exact)) < 0.03 * abs(float(drop_exact))
    assert torch.allclose(drop_exact, 4 * ev.entropy_change_bound(torch.trace(H), torch.trace(H @ H), beta))


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_evidence_gd_on_a_non_quadratic_log_joint_matches_a_hand_written_loop():
    """A log joint whose Hessian changes with w (logistic likelihood + Gaussian prior): the entropy change of step t
    must use the Hessian at w_t, before the step (using it after the step, or at the mean, changes the numbers)."""
    g = torch.Generator().manual_seed(3)
    X = torch.randn(25, 3, generator=g, dtype=D64)
    t = (X[:, 0] - X[:, 1] > 0).to(D64)

    def log_joint(w):
        z = X @ w
        return (t * z - torch.nn.functional.softplus(z)).sum() - 0.5 * (w @ w)

    beta, steps, r = 0.05, 6, 4
    mean, std = torch.tensor([0.3, -0.2, 0.1], dtype=D64), 0.8
    out = ev.evidence_gd(log_joint, mean, std, beta, steps, n_runs=r, generator=torch.Generator().manual_seed(9))
    eps = torch.randn(r, 3, generator=torch.Generator().manual_seed(9), dtype=D64)
    W = mean + std * eps
    S = 0.5 * 3 * (1 + math.log(2 * math.pi)) + 3 * math.log(std)
    energies, entropies = [], []
    for step in range(steps + 1):
        energies.append(sum(float(log_joint(w)) for w in W) / r)
        entropies.append(S)
        if step == steps:
            break
        dS, new = 0.0, []
        for w in W:
            H = -torch.autograd.functional.hessian(log_joint, w)
            dS += -beta * float(torch.trace(H)) - beta ** 2 * float(torch.trace(H @ H))
            wg = w.clone().requires_grad_(True)
            (gr,) = torch.autograd.grad(log_joint(wg), wg)
            new.append(w + beta * gr)
        S += dS / r
        W = torch.stack(new)
    assert torch.allclose(out.energy, torch.tensor(energies, dtype=D64), atol=1e-10)
    assert torch.allclose(out.entropy, torch.tensor(entropies, dtype=D64), atol=1e-10)
    assert torch.allclose(out.log_evidence, out.energy + out.entropy)
    assert torch.allclose(out.weights, W, atol=1e-12)


def test_evidence_gd_needs_a_scalar_log_joint():
    with pytest.raises(ValueError, match=r"(?s)scalar.*\n.*[а-я]"):
        ev.evidence_gd(lambda w: -(w * w), torch.zeros(2, dtype=D64), 1.0, 0.1, 2)


def test_log_joint_blr_matches_torch_distributions_away_from_the_origin():
    """log p(y, w) = log N(y | Xw, σ²I) + log N(w | 0, diag(1/α)) at weights w ≠ 0 (torch.distributions)."""
    from torch.distributions import Normal
    X, y = _blr_data(9, 3, seed=7)
    alpha = torch.tensor([0.5, 2.0, 1.5], dtype=D64)
    noise_var = 0.3
    log_joint = ev.log_joint_blr(X, y, alpha, noise_var)
    for w in (torch.tensor([1.0, -2.0, 0.5], dtype=D64), torch.tensor([-0.3, 0.7, 3.0], dtype=D64)):
        ref = Normal(X @ w, noise_var ** 0.5).log_prob(y).sum() + Normal(0.0, alpha ** -0.5).log_prob(w).sum()
        assert float(log_joint(w)) == pytest.approx(float(ref), rel=1e-12)


def test_radius_message_quotes_beta_times_lambda_max_in_both_languages():
    """β = 0.5, λmax = 2: β·λmax = 1 > 0.68, quoted as 1 in English and in Russian (and 0.68/2 = 0.34 as the limit)."""
    with pytest.raises(ValueError) as err:
        ev.entropy_change_bound(torch.tensor(3.0), torch.tensor(5.0), 0.5, lambda_max=2.0, strict=True)
    en, ru = str(err.value).splitlines()
    assert "β·λmax(H) = 1 > 0.68" in en and "below 0.34" in en
    assert "β·λmax(H) = 1 > 0.68" in ru and "ниже 0.34" in ru


def test_a_three_dimensional_design_matrix_gets_a_bilingual_message():
    X, y = torch.zeros(2, 3, 4, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"X must be a 2-D tensor .*\[2, 3, 4\]") as err:
        ev.log_evidence_blr(X, y, 1.0, 1.0)
    assert "двумерным" in str(err.value)


def test_entropy_bound_with_a_zero_trace_gives_no_radius_warning():
    """Tr H = 0, Tr H² = 2 (eigenvalues ±1): the estimate Tr H²/Tr H of λmax is undefined and not used, so at
    β = 0.1 (β·|λ| = 0.1, inside the radius) no warning; the bound is −β·0 − β²·2 = −0.02 by hand."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = ev.entropy_change_bound(torch.tensor(0.0, dtype=torch.float64),
                                        torch.tensor(2.0, dtype=torch.float64), 0.1)
    assert float(value) == pytest.approx(-0.02, rel=1e-12)
