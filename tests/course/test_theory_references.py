"""The reference solutions of the theory notebooks against independent ground truths.

Under the grading design the reference solution's values ARE the expected values of the hidden checks (the
student's kernel holds no ground truth any more). So the reference itself is verified here, on several random
instances each: against ``torch.distributions`` (log-densities, KL divergences), enumeration of the structures,
closed forms derived independently, numerical quadrature, numerical optimisation and Monte Carlo. The functions are
taken from the solution notebooks themselves (their set-up and answer cells executed), so what is verified is
exactly what the grader runs.
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import torch
from scipy.special import ndtr
from torch.distributions import Bernoulli, Categorical, Dirichlet, MultivariateNormal, Normal, kl_divergence

ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=None)
def _solution(name: str) -> dict:
    """The namespace after the solution notebook's set-up and answer cells (no test cell, no self-check)."""
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    namespace = {"__name__": "__main__"}
    saved = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "1"  # the self-check cell stays quiet
    try:
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
                exec(compile(cell.source, f"<{name}:{meta.get('grade_id')}>", "exec"), namespace)
    finally:
        if saved is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = saved
    return namespace


@pytest.fixture(autouse=True)
def _float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


# ------------------------------------------------------------------------------------------------------------------
# theory 1: the bound with a structure Γ
# ------------------------------------------------------------------------------------------------------------------

def _t1_problem(seed):
    g = torch.Generator().manual_seed(seed)
    n = 6 + seed % 4
    X = torch.randn(n, 2, generator=g) * 1.5
    y = X @ torch.tensor([1.0, -0.5]) + 0.7 * torch.randn(n, generator=g)
    alpha = 0.3 + 3 * torch.rand(2, generator=g)
    s2 = 0.2 + torch.rand(1, generator=g).item()
    pi = 0.15 + 0.7 * torch.rand(2, generator=g)
    qg = torch.rand(4, generator=g) + 0.05
    qg = qg / qg.sum()
    qm = torch.randn(4, 2, generator=g)
    B = torch.randn(4, 2, 2, generator=g)
    qS = B @ B.transpose(1, 2) + 0.1 * torch.eye(2)
    return X, y, alpha, s2, pi, qg, qm, qS


def _t1_posterior(structures, X, y, alpha, s2, pi):
    """Exact posterior by conditioning the joint Gaussian of (w, y) (covariance form) and Bayes over Γ."""
    n = X.shape[0]
    P = torch.diag(1 / alpha)
    log_ev, means, covs = [], [], []
    for gam in structures:
        Xg = X * gam
        C = s2 * torch.eye(n) + Xg @ P @ Xg.T
        log_ev.append(MultivariateNormal(torch.zeros(n), covariance_matrix=C).log_prob(y))
        K = P @ Xg.T @ torch.linalg.inv(C)
        means.append(K @ y)
        cov = P - K @ Xg @ P
        covs.append(0.5 * (cov + cov.T))
    log_ev = torch.stack(log_ev)
    log_prior = torch.stack([Bernoulli(probs=pi).log_prob(gam).sum() for gam in structures])
    log_z = torch.logsumexp(log_prior + log_ev, 0)
    return log_ev, log_z, torch.exp(log_prior + log_ev - log_z), torch.stack(means), torch.stack(covs)


def test_theory_1_log_evidence_matches_multivariate_normal_and_the_library():
    from metaopt_lib.evidence import log_evidence_blr

    ns = _solution("theory_1")
    for seed in range(5):
        X, y, alpha, s2, pi, *_ = _t1_problem(seed)
        log_ev = _t1_posterior(ns["STRUCTURES"], X, y, alpha, s2, pi)[0]
        got = ns["log_evidence_structures"](X, y, alpha, s2)
        torch.testing.assert_close(got, log_ev, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(got[3], torch.as_tensor(log_evidence_blr(X, y, alpha, s2)), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ns["log_evidence_structures"](ns["X0"], ns["y0"], ns["alpha0"], ns["noise0"]),
                               ns["log_ev0"], rtol=1e-12, atol=1e-12)  # the literal in the set-up cell


def test_theory_1_bound_is_evidence_minus_kl_to_the_posterior_and_matches_monte_carlo():
    ns = _solution("theory_1")
    S = ns["STRUCTURES"]
    for seed in range(5):
        X, y, alpha, s2, pi, qg, qm, qS = _t1_problem(seed)
        _, log_z, pg, pm, pS = _t1_posterior(S, X, y, alpha, s2, pi)
        for q in (qg, qg * torch.tensor([0.0, 1.0, 0.0, 1.0]) / (qg[1] + qg[3])):
            kl = torch.sum(torch.xlogy(q, q) - torch.xlogy(q, pg))
            for k in range(4):
                if float(q[k]) > 0:
                    kl = kl + q[k] * kl_divergence(MultivariateNormal(qm[k], covariance_matrix=qS[k]),
                                                   MultivariateNormal(pm[k], covariance_matrix=pS[k]))
            torch.testing.assert_close(ns["structured_bound"](X, y, alpha, s2, pi, q, qm, qS), log_z - kl,
                                       rtol=1e-9, atol=1e-9)
        torch.testing.assert_close(ns["structured_bound"](X, y, alpha, s2, pi, pg, pm, pS), log_z, rtol=1e-9, atol=1e-9)
    # Monte Carlo: L(q) = E_q [log p(y, w, Γ) − log q(w, Γ)]
    X, y, alpha, s2, pi, qg, qm, qS = _t1_problem(25)
    g = torch.Generator().manual_seed(25)
    N = 200_000
    k = torch.multinomial(qg, N, replacement=True, generator=g)
    L = torch.linalg.cholesky(qS)
    w = qm[k] + torch.einsum("nij,nj->ni", L[k], torch.randn(N, 2, generator=g))
    gam = S[k]
    pred = ((X[None] * gam[:, None, :]) @ w[:, :, None])[..., 0]
    terms = (Normal(pred, math.sqrt(s2)).log_prob(y[None]).sum(1) + Normal(0.0, 1 / torch.sqrt(alpha)).log_prob(w).sum(1)
             + Bernoulli(probs=pi).log_prob(gam).sum(1) - torch.log(qg[k])
             - MultivariateNormal(qm[k], scale_tril=L[k]).log_prob(w))
    got = float(ns["structured_bound"](X, y, alpha, s2, pi, qg, qm, qS))
    assert abs(got - float(terms.mean())) < 5 * float(terms.std()) / math.sqrt(N)


def test_theory_1_posterior_matches_gaussian_conditioning():
    ns = _solution("theory_1")
    for seed in range(5):
        X, y, alpha, s2, pi, *_ = _t1_problem(seed)
        log_ev, log_z, pg, pm, pS = _t1_posterior(ns["STRUCTURES"], X, y, alpha, s2, pi)
        got = ns["structured_posterior"](X, y, alpha, s2, pi, log_ev)
        for a, b in zip(got, (pg, pm, pS)):
            torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)
        # Statement 1, equality case: the bound at the posterior is the log evidence
        torch.testing.assert_close(ns["structured_bound"](X, y, alpha, s2, pi, *got), log_z, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------------------------------------------------
# theory 2: |E ρ⁻¹ − 1| ≤ C ∬ |w| |q − p| q_Γ
# ------------------------------------------------------------------------------------------------------------------

def _crossings(A, B, C):
    """Real roots of A x² + B x + C = 0 where two Gaussian densities cross (stable when A is tiny: no cancellation)."""
    if A == 0.0:
        return [] if B == 0.0 else [-C / B]
    disc = B * B - 4 * A * C
    if disc < 0:
        return []
    q = -0.5 * (B + math.copysign(math.sqrt(disc), B))
    return [q / A, C / q] if q != 0.0 else [0.0]


def _abs_w_l1(mu, sig, m, s):
    """∫|w||N(mu,sig²) − N(m,s²)|dw in closed form: split at 0 and the crossing points, partial first moments."""
    A = 1 / (2 * s ** 2) - 1 / (2 * sig ** 2)
    B = mu / sig ** 2 - m / s ** 2
    C = -mu ** 2 / (2 * sig ** 2) + m ** 2 / (2 * s ** 2) + math.log(s / sig)
    edges = [-math.inf] + sorted(set([0.0] + _crossings(A, B, C))) + [math.inf]

    def phi(x):
        return 0.0 if math.isinf(x) else math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    def first_moment(a, b, mean, std):  # ∫_a^b w N(w|mean,std²) dw
        al, be = (a - mean) / std, (b - mean) / std
        return mean * (ndtr(be) - ndtr(al)) - std * (phi(be) - phi(al))

    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        mid = (a + b) / 2 if math.isfinite(a) and math.isfinite(b) else (b - 1 if math.isfinite(b) else a + 1)
        log_ratio = A * mid * mid + B * mid + C  # log N(mid|mu,sig²) − log N(mid|m,s²): no underflow far out
        total += math.copysign(1.0, mid) * math.copysign(1.0, log_ratio) * (first_moment(a, b, mu, sig)
                                                                            - first_moment(a, b, m, s))
    return total


def _t2_instance(seed):
    g = torch.Generator().manual_seed(seed)
    K = 2 + seed % 3
    qg = torch.rand(K, generator=g) + 0.05
    qg = qg / qg.sum()
    return (qg, 2 * torch.randn(K, generator=g), 0.4 + 2 * torch.rand(K, generator=g), float(torch.randn(1, generator=g)),
            0.3 + 2 * torch.rand(K, generator=g))


def test_theory_2_expected_rho_inverse_from_the_densities():
    ns = _solution("theory_2")
    for seed in range(5):
        qg, mu, sig, m, _ = _t2_instance(seed)
        q = Normal(mu, sig)
        grid = mu[:, None] + sig[:, None] * torch.linspace(-3, 3, 60001)[None, :]
        mode = grid[torch.arange(len(mu)), q.log_prob(grid.T).T.argmax(1)]  # the mode found on a grid
        ref = torch.sum(qg * torch.exp(q.log_prob(mode) - q.log_prob(torch.full_like(mu, m))))
        torch.testing.assert_close(ns["expected_rho_inverse"](qg, mu, sig, m), ref, rtol=1e-6, atol=1e-9)


def test_theory_2_weighted_l1_matches_its_closed_form():
    ns = _solution("theory_2")
    for seed in range(5):
        qg, mu, sig, m, s = _t2_instance(seed)
        ref = sum(float(qg[k]) * _abs_w_l1(float(mu[k]), float(sig[k]), m, float(s[k])) for k in range(len(qg)))
        assert float(ns["weighted_l1_rhs"](qg, mu, sig, m, s)) == pytest.approx(ref, rel=1e-8, abs=1e-10)
    for mu, sig, m, s in [(0.7, 1.3, 0.0, 1.3), (6.0, 0.5, -1.0, 2.0)]:
        got = ns["weighted_l1_rhs"](torch.tensor([1.0]), torch.tensor([mu]), torch.tensor([sig]), m, torch.tensor([s]))
        assert float(got) == pytest.approx(_abs_w_l1(mu, sig, m, s), rel=1e-8, abs=1e-10)


def test_theory_2_constant_is_brute_force_lipschitz_over_q_inf_and_the_inequality_holds():
    ns = _solution("theory_2")
    w = torch.linspace(-12, 12, 400001)
    for seed in range(4):
        qg, mu, sig, m, s = _t2_instance(seed)
        dens = torch.exp(Normal(mu[:, None], sig[:, None]).log_prob(w[None, :]))
        lip = (torch.diff(dens, dim=1).abs() / (w[1] - w[0])).max()
        q_inf = torch.exp(Normal(mu, sig).log_prob(torch.full_like(mu, m))).min()
        C = float(ns["bound_constant"](mu, sig, m))
        assert C == pytest.approx(float(lip / q_inf), rel=1e-4)
        lhs = abs(float(ns["expected_rho_inverse"](qg, mu, sig, m)) - 1)
        assert lhs <= C * float(ns["weighted_l1_rhs"](qg, mu, sig, m, s))  # Statement 2 on this instance


# ------------------------------------------------------------------------------------------------------------------
# theory 3: TV, KL, parametric complexity
# ------------------------------------------------------------------------------------------------------------------

def _tv_closed(mu1, s1, mu2, s2):
    A = 1 / (2 * s2 ** 2) - 1 / (2 * s1 ** 2)
    B = mu1 / s1 ** 2 - mu2 / s2 ** 2
    C = -mu1 ** 2 / (2 * s1 ** 2) + mu2 ** 2 / (2 * s2 ** 2) + math.log(s2 / s1)
    edges = [-math.inf] + sorted(_crossings(A, B, C)) + [math.inf]
    return 0.5 * sum(abs((ndtr((b - mu1) / s1) - ndtr((a - mu1) / s1)) - (ndtr((b - mu2) / s2) - ndtr((a - mu2) / s2)))
                     for a, b in zip(edges[:-1], edges[1:]))


def test_theory_3_tv_kl_and_pinsker():
    ns = _solution("theory_3")
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        m1, m2 = 2 * torch.randn(2, 5, generator=g)
        s1, s2 = 0.3 + 2 * torch.rand(2, 5, generator=g)
        kl = ns["kl_normal"](m1, s1, m2, s2)
        torch.testing.assert_close(kl, kl_divergence(Normal(m1, s1), Normal(m2, s2)), rtol=1e-12, atol=1e-12)
        x = m1[0] + s1[0] * torch.randn(400_000, generator=g)
        terms = Normal(m1[0], s1[0]).log_prob(x) - Normal(m2[0], s2[0]).log_prob(x)
        assert abs(float(kl[0]) - float(terms.mean())) < 5 * float(terms.std()) / math.sqrt(400_000)
        for k in range(5):
            tv = ns["tv_normal"](float(m1[k]), float(s1[k]), float(m2[k]), float(s2[k]))
            assert tv == pytest.approx(_tv_closed(float(m1[k]), float(s1[k]), float(m2[k]), float(s2[k])), rel=1e-8, abs=1e-11)
            assert tv <= math.sqrt(float(kl[k]) / 2) + 1e-12  # Pinsker
    assert ns["tv_normal"](-5.0, 0.5, 5.0, 0.7) == pytest.approx(_tv_closed(-5.0, 0.5, 5.0, 0.7), rel=1e-8)


def test_theory_3_parametric_complexity_is_the_numerical_minimum_and_pinsker_holds_along_a_sequence():
    ns = _solution("theory_3")

    def kl_joint(qg, mu, sig, pg, v):
        return float(kl_divergence(Categorical(probs=qg), Categorical(probs=pg))
                     + torch.sum(qg * kl_divergence(Normal(mu, sig), Normal(torch.zeros_like(mu), math.sqrt(v) * torch.ones_like(mu)))))

    for seed in range(6):
        g = torch.Generator().manual_seed(seed)
        K = 2 + seed % 3
        qg = torch.softmax(torch.randn(K, generator=g), 0)
        pg = torch.softmax(torch.randn(K, generator=g), 0)
        mu, sig = torch.randn(K, generator=g), 0.3 + 1.5 * torch.rand(K, generator=g)
        m2 = float(torch.sum(qg * (sig ** 2 + mu ** 2)))
        lo, hi = [(0.1, 10.0), (0.05, 0.5 * m2), (1.5 * m2, 1.5 * m2 + 5.0)][seed % 3]
        res = scipy.optimize.minimize_scalar(lambda v: kl_joint(qg, mu, sig, pg, v), bounds=(lo, hi), method="bounded",
                                             options={"xatol": 1e-10})
        grid = min(kl_joint(qg, mu, sig, pg, v) for v in np.linspace(lo, hi, 1001))
        c, v = ns["parametric_complexity"](qg, mu, sig, pg, lo, hi)
        assert float(c) == pytest.approx(min(res.fun, grid), rel=1e-7, abs=1e-9)
        assert float(v) == pytest.approx(res.x, rel=1e-5, abs=1e-6)
    pg = torch.tensor([0.2, 0.5, 0.3])
    w = torch.linspace(-15, 15, 300001)
    cps, l1s = [], []
    for i in (1, 3, 10, 30, 100, 1000):
        qg = pg + torch.tensor([0.1, -0.05, -0.05]) / i
        mu = torch.tensor([1.0, -0.5, 2.0]) / i
        sig = torch.sqrt(1.7 * (1 + torch.tensor([0.3, -0.2, 0.5]) / i))
        c, v = ns["parametric_complexity"](qg, mu, sig, pg, 0.1, 10.0)
        l1 = sum(float(qg[k]) * float(torch.trapezoid((Normal(mu[k], sig[k]).log_prob(w).exp()
                                                        - Normal(0.0, math.sqrt(float(v))).log_prob(w).exp()).abs(), w))
                 for k in range(3))
        assert l1 <= math.sqrt(2 * float(c)) + 1e-9  # Statement 3's bound
        cps.append(float(c))
        l1s.append(l1)
    assert cps[-1] < 1e-5 and all(a > b for a, b in zip(cps, cps[1:]))
    assert l1s[-1] < 5e-3 and l1s[-1] < l1s[0] / 50


# ------------------------------------------------------------------------------------------------------------------
# theory 4: E ρ⁻¹ for a Gaussian gate
# ------------------------------------------------------------------------------------------------------------------

def test_theory_4_closed_form_against_quadrature_threshold_and_limit():
    ns = _solution("theory_4")
    f = ns["rho_inverse_closed"]
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        mu, sig = float(0.2 + 1.5 * torch.rand(1, generator=g)), float(0.5 + torch.rand(1, generator=g))
        gm, gs = float(torch.randn(1, generator=g)), float(0.9 * sig / mu * torch.rand(1, generator=g))
        c = mu ** 2 / (2 * sig ** 2)
        ref, _ = scipy.integrate.quad(lambda x: math.exp(c * x * x - 0.5 * ((x - gm) / gs) ** 2) / (gs * math.sqrt(2 * math.pi)),
                                      -math.inf, math.inf, epsabs=0, epsrel=1e-12, limit=400)
        assert f(mu, sig, gm, gs) == pytest.approx(ref, rel=1e-7)
        assert f(mu, mu, gm, 1.0) == math.inf and f(mu, sig, gm, 1.001 * sig / mu) == math.inf
        seq = [f(mu / i, math.sqrt(sig ** 2 * (1 + 1 / i)), gm, gs) for i in (1, 2, 5, 20, 100, 1000, 10000)]
        assert all(a >= b for a, b in zip(seq, seq[1:])) and abs(seq[-1] - 1) < 1e-6  # Statement 4 on θ[i]
        x = gm + gs * torch.randn(100_000, generator=g)
        mc = torch.exp(x ** 2 * (mu / 10) ** 2 / (2 * sig ** 2))
        assert abs(f(mu / 10, sig, gm, gs) - float(mc.mean())) < 5 * float(mc.std()) / math.sqrt(100_000)


def test_theory_4_monte_carlo_within_its_standard_error_of_the_closed_form():
    ns = _solution("theory_4")
    for seed in range(4):
        g = torch.Generator().manual_seed(seed)
        mu, sig = float(0.3 + torch.rand(1, generator=g)), float(0.8 + torch.rand(1, generator=g))
        gm, gs = float(torch.randn(1, generator=g)), float(0.1 + 0.3 * torch.rand(1, generator=g))
        c = mu ** 2 / (2 * sig ** 2)
        d1, d2 = 1 - 2 * c * gs ** 2, 1 - 4 * c * gs ** 2
        mean = math.exp(c * gm ** 2 / d1) / math.sqrt(d1)
        sd = math.sqrt(math.exp(2 * c * gm ** 2 / d2) / math.sqrt(d2) - mean ** 2)
        n = 200_000
        est, se = ns["rho_inverse_mc"](mu, sig, gm, gs, n, torch.Generator().manual_seed(100 + seed))
        assert abs(est - mean) < 5 * sd / math.sqrt(n)
        assert se == pytest.approx(sd / math.sqrt(n), rel=0.1)


# ------------------------------------------------------------------------------------------------------------------
# theory 5: the tempered structure prior
# ------------------------------------------------------------------------------------------------------------------

def test_theory_5_tempered_prior_by_enumeration():
    ns = _solution("theory_5")
    S, tp = ns["STRUCTURES"], ns["tempered_prior"]
    torch.testing.assert_close(tp(ns["pi0"], 1.0), ns["prior0"], rtol=1e-12, atol=1e-12)
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        pi, lam = 0.05 + 0.9 * torch.rand(2, generator=g), float(0.1 + 4 * torch.rand(1, generator=g))
        log_p = torch.stack([Bernoulli(probs=pi).log_prob(s).sum() for s in S])
        w = torch.exp(log_p / lam)
        torch.testing.assert_close(tp(pi, lam), w / w.sum(), rtol=1e-10, atol=1e-12)
        onehot = torch.nn.functional.one_hot(log_p.argmax(), 4).double()
        torch.testing.assert_close(tp(pi, 1e-3), onehot, rtol=0, atol=1e-6)
        assert float((tp(pi, lam) - tp(pi, 1.3 * lam)).abs().max()) > 1e-6  # assumption 3
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="(?s)temperature.*температура"):
            tp(torch.tensor([0.3, 0.6]), bad)


def test_theory_5_bound_and_optimum_against_kl_and_numerical_maximisation():
    ns = _solution("theory_5")
    bound, opt = ns["structure_bound"], ns["optimal_structure"]
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        prior = torch.softmax(1.5 * torch.randn(4, generator=g), 0)
        F = -10 + 3 * torch.randn(4, generator=g)
        q = torch.softmax(torch.randn(4, generator=g), 0)
        ref = torch.sum(q * F) - kl_divergence(Categorical(probs=q), Categorical(probs=prior))
        torch.testing.assert_close(bound(q, F, prior), ref, rtol=1e-10, atol=1e-10)
        log_evidence = float(torch.logsumexp(torch.log(prior) + F, 0))
        assert float(bound(q, F, prior)) <= log_evidence + 1e-10
        qs, Q = opt(F, prior)
        res = scipy.optimize.minimize(lambda z: -float(bound(torch.softmax(torch.tensor(z), 0), F, prior)), np.zeros(4),
                                      method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000})
        assert float(Q) == pytest.approx(-res.fun, rel=1e-8, abs=1e-8)
        assert float(Q) == pytest.approx(log_evidence, rel=1e-12)
        torch.testing.assert_close(qs, torch.softmax(torch.tensor(res.x), 0), rtol=0, atol=1e-4)
        samples = Dirichlet(torch.ones(4)).sample((2000,))
        assert max(float(bound(s, F, prior)) for s in samples) <= float(Q) + 1e-10


def test_theory_5_statement_numerically_order_kept_while_correspondences_hold():
    ns = _solution("theory_5")
    tp, opt = ns["tempered_prior"], ns["optimal_structure"]
    F = torch.tensor([-11.0, -9.0, -9.3, -7.0])
    pi1, pi2, lam = torch.tensor([0.9, 0.1]), torch.tensor([0.1, 0.8]), 1.0
    p1, p2 = tp(pi1, lam), tp(pi2, lam)
    assert float(kl_divergence(Categorical(probs=p1), Categorical(probs=p2))) > 1
    assert float(kl_divergence(Categorical(probs=p2), Categorical(probs=p1))) > 1  # an admissible pair for K = 1
    (q1, Q1), (q2, Q2) = opt(F, p1), opt(F, p2)
    sign = float(Q1 - Q2) > 0
    preserved, swapped = [], False
    for lp in np.round(np.concatenate([np.linspace(0.05, 5.0, 100), [1.0]]), 10):
        (a, Qa), (b, Qb) = opt(F, tp(pi1, float(lp))), opt(F, tp(pi2, float(lp)))
        swapped |= (float(Qa - Qb) > 0) != sign
        if float((a - q1).abs().max()) < 1e-9 and float((b - q2).abs().max()) < 1e-9:
            preserved.append(float(lp))
            assert (float(Qa - Qb) > 0) == sign
    assert set(preserved) == {1.0}
    assert swapped  # the order does swap for some λ', but only with moved optima
