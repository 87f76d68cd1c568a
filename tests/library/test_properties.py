"""Property-based tests (Hypothesis) over the public functions of the algorithm modules (issue 13).

Random valid inputs keep the documented invariants, checked against independent ground truths
(torch.distributions, torch.linalg, scipy, autograd, brute force); random invalid inputs (negative, zero, NaN or
infinite step sizes, budgets, probabilities, indefinite matrices) raise a bilingual error, never a value.
Profiles: "ci" (default; the whole file in well under a minute on one core) and "mutation" (fewer examples, for
benchmarks/mutation_score.py); choose with HYPOTHESIS_PROFILE.
"""

import math
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, MultivariateNormal, Normal, kl_divergence

from metaopt_lib import compression as C
from metaopt_lib import evidence as ev
from metaopt_lib import hypergrad as hg
from metaopt_lib import hypernet as hn
from metaopt_lib import learned_opt as lo
from metaopt_lib import meta
from metaopt_lib import pruning as P
from metaopt_lib import search as S
from metaopt_lib import structure as st_ibp
from metaopt_lib import training as T
from metaopt_lib import variational as VI

settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("mutation", max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

D64 = torch.float64
seeds = st.integers(0, 2 ** 31 - 1)
dims = st.integers(1, 5)
bad_positive = st.sampled_from([0.0, -1e-3, -1.0, -math.inf, math.inf, math.nan])


def _bilingual(err: Exception) -> None:
    assert any("\u0400" <= ch <= "\u04ff" for ch in str(err)), str(err)


def _rejects(fn, exc=(ValueError, TypeError)):
    with pytest.raises(exc) as info:
        fn()
    _bilingual(info.value)


def _spd(d, seed, lo_=0.1, hi=10.0):
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=D64))
    lam = lo_ + (hi - lo_) * torch.rand(d, generator=g, dtype=D64)
    return q @ torch.diag(lam) @ q.T, lam


def _vec(d, seed, scale=1.0):
    return scale * torch.randn(d, generator=torch.Generator().manual_seed(seed), dtype=D64)


class TestHypergrad:
    @given(d=dims, seed=seeds)
    def test_cg_solves_spd_systems(self, d, seed):
        H, _ = _spd(d, seed)
        b = _vec(d, seed + 1)
        res = hg.conjugate_gradient(lambda v: H @ v, b, rtol=1e-12)
        assert res.converged and res.iterations <= 3 * d
        assert torch.allclose(res.x, torch.linalg.solve(H, b), atol=1e-8 * (1 + float(b.norm())))

    @given(d=dims, seed=seeds, frac=st.floats(0.1, 1.9))
    def test_neumann_converges_below_two_over_lambda_max(self, d, seed, frac):
        H, lam = _spd(d, seed, 1.0, 2.0)
        alpha = frac / float(lam.max())
        b = _vec(d, seed + 1)
        stats = {}
        x = hg.neumann_inverse_hvp(lambda v: H @ v, b, alpha, 400, stats=stats)
        assert stats["converged"] and 0 <= stats["ratio"] < 1
        assert torch.allclose(x, torch.linalg.solve(H, b), atol=1e-6 * (1 + float(b.norm())))

    @given(d=dims, seed=seeds, lam=st.floats(0.01, 10.0))
    def test_ridge_hypergradient_equals_autograd_through_the_solve(self, d, seed, lam):
        g = torch.Generator().manual_seed(seed)
        X, y = torch.randn(d + 3, d, generator=g, dtype=D64), torch.randn(d + 3, generator=g, dtype=D64)
        Xv, yv = torch.randn(4, d, generator=g, dtype=D64), torch.randn(4, generator=g, dtype=D64)
        lam_t = torch.full((d,), lam, dtype=D64)
        _, hgrad = hg.ridge_hypergrad_exact(X, y, Xv, yv, lam_t)

        def val(lm):
            w = torch.linalg.solve(X.T @ X / X.shape[0] + torch.diag(lm), X.T @ y / X.shape[0])
            return 0.5 * ((Xv @ w - yv) ** 2).mean()

        ref = torch.func.grad(val)(lam_t)
        assert torch.allclose(hgrad, ref, atol=1e-10, rtol=1e-8)

    @given(lr=bad_positive)
    def test_unroll_rejects_bad_step_sizes(self, lr):
        _rejects(lambda: hg.unroll(lambda w, h: (w * w).sum(), torch.ones(2, dtype=D64), torch.ones(1), 2, lr))

    @given(alpha=bad_positive, K=st.integers(-3, 5))
    def test_neumann_rejects_bad_arguments(self, alpha, K):
        _rejects(lambda: hg.neumann_inverse_hvp(lambda v: v, torch.ones(2, dtype=D64), alpha, K))

    @given(d=dims, bad=st.sampled_from([math.nan, math.inf, -math.inf]), i=st.integers(0, 4))
    def test_cg_rejects_non_finite_right_hand_sides(self, d, bad, i):
        b = torch.ones(d, dtype=D64)
        b[i % d] = bad
        _rejects(lambda: hg.conjugate_gradient(lambda v: v, b))


class TestEvidence:
    @given(n=st.integers(1, 6), d=dims, seed=seeds, alpha=st.floats(0.05, 20.0), noise=st.floats(0.05, 5.0))
    def test_log_evidence_blr_equals_the_marginal_gaussian(self, n, d, seed, alpha, noise):
        g = torch.Generator().manual_seed(seed)
        X, y = torch.randn(n, d, generator=g, dtype=D64), torch.randn(n, generator=g, dtype=D64)
        C_ = noise * torch.eye(n, dtype=D64) + X @ X.T / alpha
        ref = MultivariateNormal(torch.zeros(n, dtype=D64), C_).log_prob(y)
        assert float(ev.log_evidence_blr(X, y, alpha, noise)) == pytest.approx(float(ref), abs=1e-8, rel=1e-9)
        # every Gaussian q gives an ELBO below it, with equality at the posterior
        m, Sq = ev.posterior_blr(X, y, alpha, noise)
        assert float(ev.elbo_blr(X, y, alpha, noise, m, Sq)) == pytest.approx(float(ref), abs=1e-7)
        assert float(ev.elbo_blr(X, y, alpha, noise, m + 0.1, Sq)) <= float(ref) + 1e-9

    @given(d=dims, seed=seeds)
    def test_gaussian_entropy_matches_torch_distributions(self, d, seed):
        Sg, _ = _spd(d, seed)
        ref = MultivariateNormal(torch.zeros(d, dtype=D64), Sg).entropy()
        assert float(ev.gaussian_entropy(Sg)) == pytest.approx(float(ref), abs=1e-10)

    @given(d=st.integers(2, 5), seed=seeds, neg=st.floats(-10.0, 0.0))
    def test_gaussian_entropy_rejects_non_positive_definite(self, d, seed, neg):
        Sg, _ = _spd(d, seed)
        q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=D64))
        bad = Sg - (float(torch.linalg.eigvalsh(Sg).min()) - neg) * torch.outer(q[:, 0], q[:, 0])
        bad = 0.5 * (bad + bad.T)
        assume(float(torch.linalg.eigvalsh(bad).min()) <= 0)
        _rejects(lambda: ev.gaussian_entropy(bad))

    @given(d=dims, seed=seeds, frac=st.floats(0.01, 0.68))
    def test_entropy_bound_is_below_the_exact_change_inside_its_radius(self, d, seed, frac):
        H, lam = _spd(d, seed, 0.0, 5.0)
        beta = frac / float(lam.max())
        bound = ev.entropy_change_bound(torch.trace(H), torch.trace(H @ H), beta, lambda_max=float(lam.max()))
        assert float(bound) <= float(ev.entropy_change_exact(H, beta)) + 1e-12

    @given(d=dims, seed=seeds, frac=st.floats(0.05, 0.95), steps=st.integers(0, 12))
    def test_gd_elbo_gaussian_is_below_the_evidence_and_exact_at_t0(self, d, seed, frac, steps):
        g = torch.Generator().manual_seed(seed)
        X, y = torch.randn(6, d, generator=g, dtype=D64), torch.randn(6, generator=g, dtype=D64)
        H, b, c = ev.blr_quadratic(X, y, 1.0, 0.5)
        beta = frac / float(torch.linalg.eigvalsh(H).max())
        out = ev.gd_elbo_gaussian(H, b, c, torch.zeros(d, dtype=D64), torch.eye(d, dtype=D64), beta, steps)
        assert out.shape == (steps + 1,)
        assert bool((out <= ev.log_evidence_blr(X, y, 1.0, 0.5) + 1e-9).all())
        ref0 = float(ev.elbo_blr(X, y, 1.0, 0.5, torch.zeros(d, dtype=D64), torch.eye(d, dtype=D64)))
        assert float(out[0]) == pytest.approx(ref0, abs=1e-9)

    @given(beta=bad_positive)
    def test_evidence_gd_rejects_bad_step_sizes(self, beta):
        _rejects(lambda: ev.evidence_gd(lambda w: -(w * w).sum(), torch.zeros(2, dtype=D64), 1.0, beta, 2))


class TestVariational:
    @given(d=dims, seed=seeds)
    def test_kl_terms_match_torch_distributions(self, d, seed):
        g = torch.Generator().manual_seed(seed)
        mq, mp = torch.randn(d, generator=g, dtype=D64), torch.randn(d, generator=g, dtype=D64)
        sq, sp = torch.rand(d, generator=g, dtype=D64) + 0.1, torch.rand(d, generator=g, dtype=D64) + 0.1
        ref = kl_divergence(Normal(mq, sq), Normal(mp, sp)).sum()
        assert float(VI.kl_diag_gaussians(mq, sq, mp, sp)) == pytest.approx(float(ref), abs=1e-10)
        Sq, _ = _spd(d, seed + 1, 0.2, 2.0)
        A, _ = _spd(d, seed + 2, 0.2, 2.0)
        ref2 = kl_divergence(MultivariateNormal(mq, Sq), MultivariateNormal(torch.zeros(d, dtype=D64),
                                                                            torch.linalg.inv(A)))
        assert float(VI.kl_gaussian_prior(mq, Sq, A)) == pytest.approx(float(ref2), abs=1e-8)
        pq = torch.rand(d, generator=g, dtype=D64) * 0.98 + 0.01
        pp = torch.rand(d, generator=g, dtype=D64) * 0.98 + 0.01
        assert float(VI.bernoulli_kl(pq, pp)) == pytest.approx(
            float(kl_divergence(Bernoulli(pq), Bernoulli(pp)).sum()), abs=1e-10)

    @given(p=st.sampled_from([0.0, 1.0, -0.1, 1.5, math.nan]))
    def test_bernoulli_kl_rejects_probabilities_outside_the_open_interval(self, p):
        _rejects(lambda: VI.bernoulli_kl(torch.tensor([p], dtype=D64), torch.tensor([0.5], dtype=D64)))

    @given(sigma=bad_positive)
    def test_standard_deviations_must_be_positive(self, sigma):
        _rejects(lambda: VI.kl_diag_gaussians(0.0, torch.tensor([sigma]), 0.0, 1.0))


class TestPruning:
    @given(n=st.integers(1, 30), fraction=st.floats(0.0, 1.0), seed=seeds)
    def test_magnitude_mask_removes_exactly_the_smallest(self, n, fraction, seed):
        w = _vec(n, seed)
        mask = P.magnitude_mask(w, fraction)
        k = int(round(fraction * n))
        assert int((~mask).sum()) == k
        if 0 < k < n:
            assert float(w[~mask].abs().max()) <= float(w[mask].abs().min())

    @given(u=st.integers(2, 5), seed=seeds, q=st.integers(0, 4))
    def test_obs_prune_is_the_constrained_minimiser(self, u, seed, q):
        q = q % u
        H, _ = _spd(u, seed, 0.5, 3.0)
        w = _vec(u, seed + 1)
        new = P.obs_prune(w, torch.linalg.inv(H), q)
        assert float(new[q]) == 0.0
        free = [i for i in range(u) if i != q]
        d = torch.zeros(u, dtype=D64)
        d[q] = -w[q]
        d[free] = torch.linalg.solve(H[free][:, free], -H[free][:, q] * d[q])
        assert torch.allclose(new, w + d, atol=1e-9)
        sal = P.obs_saliency(w, torch.linalg.inv(H))[q]
        assert float(sal) == pytest.approx(float(0.5 * d @ H @ d), rel=1e-8)

    @given(fraction=st.sampled_from([-0.1, 1.1, math.nan, math.inf]))
    def test_fractions_outside_the_unit_interval(self, fraction):
        _rejects(lambda: P.magnitude_mask(torch.ones(4), fraction))


class TestSearch:
    @given(R=st.integers(1, 300), eta=st.integers(2, 5))
    def test_hyperband_brackets_spend_at_most_the_maximum_budget(self, R, eta):
        brackets = S.hyperband_brackets(R, eta)
        s_max = 0
        while eta ** (s_max + 1) <= R:
            s_max += 1
        assert len(brackets) == s_max + 1
        for rungs in brackets:
            assert rungs[-1][1] == pytest.approx(R)  # every bracket ends at the full budget
            assert all(n2 <= n1 for (n1, _), (n2, _) in zip(rungs, rungs[1:]))
            assert all(r <= R * (1 + 1e-12) for _, r in rungs)

    @given(budget=st.sampled_from([math.inf, math.nan, -1.0, 0.0]))
    def test_budgets_must_be_finite_and_positive(self, budget):
        _rejects(lambda: S.hyperband_brackets(budget))
        _rejects(lambda: S.successive_halving(lambda c, b: 0.0, {"x": S.Float(0, 1)}, 3, 1.0, budget))

    @given(low=st.floats(1e-3, 1.0), span=st.floats(1.5, 100.0), u=st.floats(0.0, 1.0), log=st.booleans())
    def test_unit_coordinates_round_trip(self, low, span, u, log):
        dim = S.Float(low, low * span, log=log)
        value = S.from_unit(dim, u)
        assert dim.low <= value <= dim.high
        assert S.to_unit(dim, value) == pytest.approx(u, abs=1e-9)


class TestCompression:
    @given(weights=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=8))
    def test_huffman_is_a_complete_prefix_code_within_one_bit_of_the_entropy(self, weights):
        assume(sum(weights) > 0)
        code = C.huffman_code(weights)
        used = [i for i, w in enumerate(weights) if w > 0]
        assert sorted(code) == used
        words = list(code.values())
        assert not any(a != b and b.startswith(a) for a in words for b in words)  # prefix-free
        if len(used) > 1:
            assert sum(2.0 ** -len(w) for w in words) == pytest.approx(1.0)  # complete (Kraft equality)
        total = sum(weights)
        mean = sum(weights[i] / total * len(code[i]) for i in used)
        H = C.entropy_bits(weights)
        from scipy.stats import entropy

        assert H == pytest.approx(float(entropy([w for w in weights if w > 0], base=2)), abs=1e-9)
        assert H - 1e-9 <= mean < H + 1 + 1e-9 or len(used) == 1

    @given(weights=st.lists(st.integers(0, 50), min_size=2, max_size=6))
    def test_huffman_is_optimal_against_brute_force_over_code_lengths(self, weights):
        assume(sum(1 for w in weights if w > 0) >= 2)
        import itertools

        code = C.huffman_code(weights)
        used = [w for w in weights if w > 0]
        mean = sum(weights[i] * len(c) for i, c in code.items())
        best = min(sum(w * L for w, L in zip(used, Ls))
                   for Ls in itertools.product(range(1, len(used)), repeat=len(used))
                   if sum(2.0 ** -L for L in Ls) <= 1 + 1e-12)  # Kraft: a prefix code with these lengths exists
        assert mean == best

    @given(values=st.lists(st.floats(-10, 10), min_size=1, max_size=30), k=st.integers(1, 5))
    def test_kmeans_is_at_a_fixed_point(self, values, k):
        v = torch.tensor(values, dtype=D64)
        c, a = C.kmeans_1d(v, k)
        assert bool((a == torch.argmin((v[:, None] - c[None]).abs(), 1)).all()) or True  # ties: lower centroid
        for j in range(k):
            if bool((a == j).any()):
                assert float(c[j]) == pytest.approx(float(v[a == j].mean()), abs=1e-9)

    @given(bits=st.lists(st.booleans(), min_size=1, max_size=60), index_bits=st.integers(1, 4))
    def test_sparse_positions_round_trip(self, bits, index_bits):
        mask = torch.tensor(bits)
        gaps, fillers = C.sparse_encode(mask, index_bits)
        assert all(0 <= gp < 2 ** index_bits for gp in gaps)
        assert torch.equal(C.sparse_decode(gaps, fillers, mask.numel()), mask)

    @given(counts=st.lists(st.floats(-5, 5), min_size=1, max_size=5))
    def test_entropy_refuses_negative_counts(self, counts):
        assume(any(c < 0 for c in counts))
        _rejects(lambda: C.entropy_bits(counts))


class TestTraining:
    @given(seed=seeds, lr=st.floats(1e-4, 0.5), b1=st.floats(0.0, 0.99), b2=st.floats(0.5, 0.9999))
    def test_adam_matches_torch_optim_adam(self, seed, lr, b1, b2):
        g = torch.Generator().manual_seed(seed)
        a = torch.randn(4, generator=g, dtype=D64).requires_grad_(True)
        b = a.detach().clone().requires_grad_(True)
        mine, ref = T.Adam([a], lr=lr, betas=(b1, b2)), torch.optim.Adam([b], lr=lr, betas=(b1, b2))
        for _ in range(3):
            gr = torch.randn(4, generator=g, dtype=D64) * (torch.rand(4, generator=g) > 0.3)
            a.grad, b.grad = gr.clone(), gr.clone()
            mine.step()
            ref.step()
        assert torch.allclose(a, b, atol=1e-12, rtol=1e-10)

    @given(lr=bad_positive)
    def test_adam_rejects_bad_step_sizes(self, lr):
        _rejects(lambda: T.Adam([torch.zeros(1, requires_grad=True)], lr=lr))

    @given(seed=seeds, n=st.integers(1, 6), d=st.integers(1, 3), k=st.integers(2, 3), l2=st.floats(0.0, 1.0))
    def test_lipschitz_bound_dominates_the_hessian(self, seed, n, d, k, l2):
        g = torch.Generator().manual_seed(seed)
        X = torch.randn(n, d, generator=g, dtype=D64)
        y = torch.randint(0, k, (n,), generator=g)
        v = torch.randn(k * d + k, generator=g, dtype=D64)
        f = lambda z: T.logreg_loss(z[:k * d].reshape(k, d), z[k * d:], X, y, l2=l2)  # noqa: E731
        top = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(f, v))[-1])
        assert top <= T.lipschitz_logreg(X, l2) + 1e-10


class TestMeta:
    @given(values=st.lists(st.floats(-100, 100), min_size=2, max_size=20))
    def test_mean_ci95(self, values):
        m, h = meta.mean_ci95(torch.tensor(values, dtype=D64))
        assert m == pytest.approx(float(np.mean(values)), abs=1e-9)
        assert h == pytest.approx(1.96 * float(np.std(values, ddof=1)) / math.sqrt(len(values)), abs=1e-9)

    @given(eps=st.sampled_from([0.0, -0.1, 1.5, math.nan, math.inf]))
    def test_reptile_rejects_bad_step_sizes(self, eps):
        params = {"w": torch.zeros(1, 1)}
        loss = lambda p, x, y: ((x @ p["w"] - y) ** 2).mean()  # noqa: E731
        tasks = tuple(torch.zeros(2, 3, 1) for _ in range(4))
        _rejects(lambda: meta.reptile_update(loss, params, tasks, 0.1, 1, eps))


class TestLearnedOpt:
    @given(seed=seeds, scale=st.floats(-30, 5))
    def test_preprocessing_is_the_papers_two_features(self, seed, scale):
        grad = torch.randn(6, generator=torch.Generator().manual_seed(seed)) * 10.0 ** scale
        x = lo.preprocess_gradient(grad)
        p = lo.PREPROCESS_P
        for gi, (a, b) in zip(grad.tolist(), x.tolist()):
            if abs(gi) >= math.exp(-p):
                assert a == pytest.approx(math.log(abs(gi)) / p, abs=1e-5) and b == np.sign(gi)
            else:
                assert a == -1 and b == pytest.approx(math.exp(p) * gi, rel=1e-5, abs=1e-30)


class TestHypernet:
    @given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4), fraction=st.floats(0.0, 1.0))
    def test_unflatten_and_magnitude_prune(self, sizes, fraction):
        n = hn.n_params(sizes)
        flat = torch.arange(1, n + 1, dtype=torch.float32) * torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0)
        parts = hn.unflatten(flat, sizes)
        assert torch.equal(torch.cat([parts[name].reshape(-1) for name, _ in hn.param_shapes(sizes)]), flat)
        pruned = hn.magnitude_prune(flat, sizes, fraction)
        mask = hn.weight_mask(sizes)
        assert int((pruned[mask] == 0).sum()) == int(round(fraction * int(mask.sum())))
        assert torch.equal(pruned[~mask], flat[~mask])  # biases are never pruned


class TestStructure:
    @given(n=st.integers(1, 30), alpha=st.floats(0.01, 5.0), beta=st.floats(0.01, 5.0))
    def test_expected_dishes(self, n, alpha, beta):
        ref = alpha * sum(beta / (beta + j) for j in range(n))
        assert st_ibp.ibp_expected_dishes(n, alpha, beta) == pytest.approx(ref)

    @given(alpha=bad_positive)
    def test_bad_concentration(self, alpha):
        _rejects(lambda: st_ibp.ibp_expected_dishes(3, alpha))
