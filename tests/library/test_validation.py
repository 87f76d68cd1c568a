"""Misuse fails loudly (issue 13): every numbered item of the issue as a regression test, grouped by module.

Each check asserts the kind of error or warning, that the message names the argument (or the quantity) and the
condition, and that it is bilingual (a Cyrillic line after the English one)."""

import math
import re
import warnings

import pytest
import torch

from metaopt_lib import compression as C
from metaopt_lib import evidence as ev
from metaopt_lib import hypergrad as hg
from metaopt_lib import hypernet as hn
from metaopt_lib import learned_opt as lo
from metaopt_lib import meta
from metaopt_lib import pruning as P
from metaopt_lib import search as S
from metaopt_lib import training as T
from metaopt_lib import validate as V
from metaopt_lib import variational as VI

D64 = torch.float64
NAN = float("nan")


def bilingual(text: str, *needles: str) -> None:
    assert re.search(r"\n.*[а-яА-Я]", text), f"no Russian line in {text!r}"
    for n in needles:
        assert n in text, f"{n!r} not in {text!r}"


def raises(exc, fn, *needles):
    with pytest.raises(exc) as info:
        fn()
    bilingual(str(info.value), *needles)
    return info.value


def warns(category, fn, *needles):
    with pytest.warns(category) as record:
        out = fn()
    bilingual(str(next(r.message for r in record if issubclass(r.category, category))), *needles)
    return out


def _spd(d, lo_, hi, seed=0):
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=D64))
    return q @ torch.diag(torch.linspace(lo_, hi, d, dtype=D64)) @ q.T


class TestValidate:
    def test_number_names_the_argument_the_value_and_the_condition(self):
        raises(ValueError, lambda: V.number("lr", -0.5, gt=0), "lr", "-0.5", "> 0")
        raises(ValueError, lambda: V.number("budget", math.inf, gt=0), "budget", "inf", "finite")
        raises(ValueError, lambda: V.number("x", NAN), "x", "nan")
        raises(TypeError, lambda: V.number("x", "3"), "x", "'3'", "real number")
        raises(TypeError, lambda: V.number("x", True), "x", "True")
        assert V.number("x", 0.5, ge=0, le=1) == 0.5 and V.number("x", torch.tensor(2.0), gt=0) == 2.0
        raises(ValueError, lambda: V.number("p", 1.0, ge=0, lt=1), "p", "< 1")

    def test_integer(self):
        assert V.integer("k", 3.0, ge=0) == 3
        raises(ValueError, lambda: V.integer("k", 2.5), "k", "2.5", "integer")
        raises(ValueError, lambda: V.integer("k", -1, ge=0), "k", "-1", ">= 0")
        raises(ValueError, lambda: V.integer("k", False), "k")

    def test_integer_upper_bound(self):
        assert V.integer("k", 4, le=4) == 4 and V.integer("k", 4.0, ge=4, le=4) == 4
        raises(ValueError, lambda: V.integer("k", 5, le=4), "k", "5", "<= 4")
        raises(ValueError, lambda: V.integer("k", 1000, ge=0, le=999), "k", "1000", "<= 999")

    def test_tensor_same_dtype_and_positive_definite(self):
        raises(ValueError, lambda: V.tensor("X", torch.tensor([1.0, NAN, math.inf])), "X", "1 NaN", "1 ±inf")
        raises(TypeError, lambda: V.tensor("X", torch.tensor([1, 2])), "X", "int64")
        raises(ValueError, lambda: V.tensor("X", torch.zeros(3), ndim=2), "X", "(3,)")
        e = raises(TypeError, lambda: V.same_dtype(a=torch.zeros(1), b=torch.zeros(1, dtype=D64)), "a: float32",
                   "b: float64")
        assert isinstance(e, ValueError)  # ArgumentTypeError is both
        raises(ValueError, lambda: V.positive_definite("S", torch.diag(torch.tensor([1.0, -1.0]))), "S", "-1")
        raises(ValueError, lambda: V.positive_definite("S", torch.tensor([[1.0, 2.0], [0.0, 1.0]])), "symmetric")
        raises(ValueError, lambda: V.positive_definite("v", torch.tensor([1.0, 0.0]), allow_vector=True), "v")
        raises(ValueError, lambda: V.weights("c", [1, -1]), "c", "-1")
        raises(ValueError, lambda: V.weights("c", [0, 0]), "c", "zero")


    def test_symmetry_tolerance_is_relative_to_the_largest_entry(self):
        """Rounding asymmetry of a float32 Hessian (10⁻⁶ of its largest entry, here in an entry that is ~0) passes;
        an asymmetry of 10⁻³ of it does not; a tiny matrix is judged on its own scale, not an absolute 10⁻⁶."""
        M = torch.tensor([[100.0, 5e-5], [0.0, 100.0]])
        assert V.positive_definite("H", M) is M
        raises(ValueError, lambda: V.positive_definite("H", torch.tensor([[100.0, 0.1], [0.0, 100.0]])), "symmetric")
        raises(ValueError, lambda: V.positive_definite("H", torch.tensor([[1e-6, 5e-7], [0.0, 1e-6]], dtype=D64)),
               "symmetric")


class TestHypergrad:
    def _ridge(self):
        g = torch.Generator().manual_seed(0)
        X, y = torch.randn(30, 4, generator=g, dtype=D64), torch.randn(30, generator=g, dtype=D64)
        lam = torch.full((4,), 0.1, dtype=D64)
        return X, y, lam, hg.ridge_solution(X, y, lam)

    def test_item1_nan_validation_gradient_raises_instead_of_a_zero_hypergradient(self):
        X, y, lam, w = self._ridge()
        nan_outer = lambda p, h: (p * NAN).sum()  # noqa: E731
        raises(ValueError, lambda: hg.ift_hypergrad(hg.ridge_inner_loss(X, y), nan_outer, w, lam, "cg"),
               "∇_θ outer_loss", "NaN")
        raises(ValueError, lambda: hg.conjugate_gradient(lambda v: v, torch.tensor([NAN, 1.0], dtype=D64)), "b", "NaN")

    def test_item2_cg_stopped_by_maxiter_warns_and_reports_or_raises_when_strict(self):
        A = torch.diag(torch.linspace(0.01, 10, 50, dtype=D64))
        res = warns(V.SolverWarning, lambda: hg.conjugate_gradient(lambda v: A @ v, torch.ones(50, dtype=D64),
                                                                   maxiter=3), "maxiter = 3", "rtol")
        assert res.iterations == 3 and not res.converged and res.residual > 0.1
        # the residual it reports is the true one
        assert math.isclose(res.residual, float((torch.ones(50, dtype=D64) - A @ res.x).norm() / 50 ** 0.5),
                            rel_tol=1e-8)
        raises(V.SolverError, lambda: hg.conjugate_gradient(lambda v: A @ v, torch.ones(50, dtype=D64), maxiter=3,
                                                            strict=True), "maxiter")
        ok = hg.conjugate_gradient(lambda v: A @ v, torch.ones(50, dtype=D64), rtol=1e-10)
        assert ok.converged and ok.residual <= 1e-10

    @pytest.mark.parametrize("scale", [3.0, -1.0])  # α·λ = 3 (overshoot) and H = −I (a maximum)
    def test_item2_diverging_neumann_series_warns_with_the_growth_factor(self, scale):
        stats = {}
        out = warns(V.SolverWarning, lambda: hg.neumann_inverse_hvp(lambda v: scale * v, torch.ones(3, dtype=D64),
                                                                    1.0, 30, stats=stats), "diverges", "α = 1")
        assert stats["converged"] is False and stats["ratio"] == pytest.approx(abs(1 - scale))
        assert bool(torch.isfinite(out).all())
        raises(V.SolverError, lambda: hg.neumann_inverse_hvp(lambda v: scale * v, torch.ones(3, dtype=D64), 1.0, 30,
                                                             strict=True), "diverges")
        raises(V.SolverError, lambda: hg.neumann_inverse_hvp(lambda v: scale * v, torch.ones(3, dtype=D64), 1.0,
                                                             2000), "non-finite")

    def test_item2_ift_hypergrad_forwards_how_the_solver_ended(self):
        X, y, lam, w = self._ridge()
        args = (hg.ridge_inner_loss(X, y), hg.ridge_outer_loss(X, y), w, lam)
        stats = {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            hg.ift_hypergrad(*args, solver="neumann", K=5, alpha=0.1, stats=stats)
        assert stats["converged"] is True and 0 < stats["ratio"] < 1 and stats["hvps"] == 5
        raises(V.SolverError, lambda: hg.ift_hypergrad(*args, solver="cg", maxiter=1, strict=True), "maxiter = 1")
        with pytest.warns(V.SolverWarning):
            hg.ift_hypergrad(*args, solver="cg", maxiter=1, stats=stats)
        assert stats["converged"] is False and stats["hvps"] == 1

    def test_item3_singular_or_nan_operator_raises_in_cg(self):
        Sg = torch.diag(torch.tensor([1.0, 1.0, 0.0], dtype=D64))
        raises(ValueError, lambda: hg.conjugate_gradient(lambda v: Sg @ v, torch.ones(3, dtype=D64)), "curvature")
        raises(ValueError, lambda: hg.conjugate_gradient(lambda v: v * NAN, torch.ones(3, dtype=D64)), "curvature",
               "nan")

    def test_item8_mixed_dtypes_and_nan_data_in_ridge(self):
        X, y, lam, _ = self._ridge()
        raises(TypeError, lambda: hg.ridge_solution(X, y.float(), lam), "X: float64", "y: float32")
        raises(TypeError, lambda: hg.ridge_solution(X, y, lam.float()), "lam: float32")
        Xn = X.clone()
        Xn[3, 1] = NAN
        raises(ValueError, lambda: hg.ridge_solution(Xn, y, lam), "X", "NaN")
        raises(ValueError, lambda: hg.ridge_hypergrad_exact(X, y, Xn, y, lam), "X", "NaN")

    def test_item9_unroll_rejects_non_positive_step_sizes_and_bad_momentum(self):
        X, y, lam, w = self._ridge()
        inner = hg.ridge_inner_loss(X, y)
        raises(ValueError, lambda: hg.unroll(inner, w, lam, 3, -0.1), "lr", "-0.1", "> 0")
        raises(ValueError, lambda: hg.unroll(inner, w, lam, 3, torch.tensor(0.0, dtype=D64)), "lr")
        raises(ValueError, lambda: hg.unroll(inner, w, lam, 3, 0.1, momentum=1.0), "momentum", "< 1")
        # a step size that is itself a hyperparameter (traced by torch.func) still works
        g = torch.func.grad(lambda lr: hg.ridge_outer_loss(X, y)(hg.unroll(inner, w * 0, lam, 3, lr), lam))
        assert torch.isfinite(g(torch.tensor(0.1, dtype=D64)))


class TestEvidence:
    H = torch.diag(torch.tensor([1.0, 0.5, 0.2], dtype=D64))

    def test_item4_bound_outside_its_radius_warns_and_strict_refuses(self):
        H = self.H
        trH, trH2 = torch.trace(H), torch.trace(H @ H)
        val = warns(V.BoundRadiusWarning, lambda: ev.entropy_change_bound(trH, trH2, 0.95), "0.68", "beta")
        assert float(val) > float(ev.entropy_change_exact(H, 0.95))  # the reason: it is no longer a lower bound
        raises(ValueError, lambda: ev.entropy_change_bound(trH, trH2, 0.95, strict=True), "0.68")
        raises(ValueError, lambda: ev.entropy_change_bound(trH, trH2, 0.9, lambda_max=1.0, strict=True), "= 0.9")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ev.entropy_change_bound(trH, trH2, 0.6)  # inside: silent
            ev.entropy_change_bound(trH, trH2, 0.68, lambda_max=1.0)

    def test_item4_evidence_gd_outside_the_radius_warns_or_raises(self):
        H = self.H
        log_joint = lambda w: -0.5 * w @ H @ w  # noqa: E731
        kw = dict(init_mean=torch.zeros(3, dtype=D64), init_std=1.0, steps=3, n_runs=2,
                  generator=torch.Generator().manual_seed(0))
        warns(V.BoundRadiusWarning, lambda: ev.evidence_gd(log_joint, beta=0.9, **kw), "evidence_gd", "= 0.9")
        raises(ValueError, lambda: ev.evidence_gd(log_joint, beta=0.9, strict=True, **kw), "0.68")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ev.evidence_gd(log_joint, beta=0.6, **kw)

    def test_item4_radius_is_tracked_along_a_run_where_curvature_grows(self):
        # −log p = Σ w⁴/4 + w²/20: curvature 3w² + 0.1 is small at 0 and large where the runs start (std 3)
        log_joint = lambda w: -(w ** 4 / 4 + w ** 2 / 20).sum()  # noqa: E731
        with pytest.warns(V.BoundRadiusWarning, match="along the run"):
            ev.evidence_gd(log_joint, torch.zeros(2, dtype=D64), 3.0, beta=1.0, steps=1, n_runs=4,
                           generator=torch.Generator().manual_seed(0))

    def test_item5_non_positive_definite_covariances(self):
        raises(ValueError, lambda: ev.gaussian_entropy(torch.diag(torch.tensor([1.0, -1.0], dtype=D64))), "cov",
               "-1")
        raises(ValueError, lambda: ev.gaussian_entropy(torch.tensor([1.0, 0.0], dtype=D64)), "cov")
        g = torch.Generator().manual_seed(0)
        X, y = torch.randn(10, 2, generator=g, dtype=D64), torch.randn(10, generator=g, dtype=D64)
        raises(ValueError, lambda: ev.elbo_blr(X, y, 1.0, 1.0, torch.zeros(2, dtype=D64),
                                               torch.diag(torch.tensor([1.0, -0.5], dtype=D64))), "q_cov", "-0.5")

    def test_item8_mixed_dtypes_and_nan_in_evidence(self):
        g = torch.Generator().manual_seed(0)
        X, y = torch.randn(10, 2, generator=g, dtype=D64), torch.randn(10, generator=g, dtype=D64)
        lj = ev.log_joint_blr(X, y, 1.0, 1.0)
        raises(TypeError, lambda: ev.evidence_gd(lj, torch.zeros(2), 1.0, 0.01, 2), "init_mean", "float32")
        raises(TypeError, lambda: ev.evidence_gd(lj, torch.zeros(2, dtype=D64), torch.ones(2), 0.01, 2),
               "init_std: float32")
        Xn = X.clone()
        Xn[0, 0] = NAN
        raises(ValueError, lambda: ev.log_evidence_blr(Xn, y, 1.0, 1.0), "X", "NaN")
        raises(ValueError, lambda: ev.evidence_gd(lj, torch.zeros(2, dtype=D64), 1.0, 0.01, 2.5), "steps")

    def test_item11_gd_elbo_gaussian_is_exact_at_t_30_where_the_propagated_covariance_is_ill_conditioned(self):
        H = _spd(5, 0.05, 20.0, seed=3)
        b = torch.randn(5, generator=torch.Generator().manual_seed(1), dtype=D64)
        c, m0, S0 = 0.7, torch.zeros(5, dtype=D64), torch.eye(5, dtype=D64)
        beta, steps = 0.049, 30  # β·λmax = 0.98: J = I − βH has eigenvalues from 0.02 to 0.9975
        out = ev.gd_elbo_gaussian(H, b, c, m0, S0, beta, steps)
        J = torch.eye(5, dtype=D64) - beta * H
        S_0 = 0.5 * (5 * (1 + math.log(2 * math.pi)))
        logdetJ = float(torch.linalg.slogdet(J)[1])
        m = m0.clone()
        for t in range(steps + 1):
            Jt = torch.linalg.matrix_power(J, t)
            energy = c + b @ m - 0.5 * m @ H @ m - 0.5 * torch.trace(H @ Jt @ S0 @ Jt.T)
            assert float(out[t]) == pytest.approx(float(energy) + S_0 + t * logdetJ, abs=1e-9, rel=0)
            m = m + beta * (b - H @ m)
        # the old recursion Σ ← JΣJᵀ with slogdet drifts here: condition number of Σ_30
        S30 = torch.linalg.matrix_power(J, 30) @ S0 @ torch.linalg.matrix_power(J, 30).T
        assert float(torch.linalg.cond(S30)) > 1e12

    def test_item11_gd_elbo_gaussian_rejects_bad_input(self):
        H = torch.eye(2, dtype=D64)
        z = torch.zeros(2, dtype=D64)
        raises(ValueError, lambda: ev.gd_elbo_gaussian(H, z, 0.0, z, -H, 0.1, 3), "init_cov")
        raises(TypeError, lambda: ev.gd_elbo_gaussian(H, z.float(), 0.0, z, H, 0.1, 3), "b: float32")
        raises(ValueError, lambda: ev.gd_elbo_gaussian(H, z, 0.0, z, H, -0.1, 3), "beta")


class TestVariational:
    def test_item5_negative_kl_is_refused(self):
        I2 = torch.eye(2, dtype=D64)
        raises(ValueError, lambda: VI.kl_gaussian_prior(torch.zeros(2, dtype=D64), I2, -I2), "A", "-1")
        raises(ValueError, lambda: VI.kl_gaussian_prior(torch.zeros(2, dtype=D64), -I2, I2), "Sigma_q", "-1")
        assert float(VI.kl_gaussian_prior(torch.zeros(2, dtype=D64), I2, I2)) == pytest.approx(0.0, abs=1e-14)

    def test_nan_probabilities_and_standard_deviations(self):
        raises(ValueError, lambda: VI.bernoulli_kl(torch.tensor([NAN]), torch.tensor([0.5])), "pi_q", "nan")
        raises(ValueError, lambda: VI.kl_diag_gaussians(0.0, torch.tensor([NAN]), 0.0, 1.0), "sigma_q", "nan")
        raises(ValueError, lambda: VI.relaxed_bernoulli_sample(torch.zeros(2), 0.0, 3), "temperature", "> 0")


class TestPruning:
    def test_item5_obs_prune_many_refuses_an_indefinite_hessian(self):
        H = torch.diag(torch.tensor([1.0, -2.0, 3.0], dtype=D64))
        raises(ValueError, lambda: P.obs_prune_many(torch.ones(3, dtype=D64), H, 1), "H", "-2")
        raises(TypeError, lambda: P.obs_prune_many(torch.ones(3), torch.eye(3, dtype=D64), 1), "w: float32")

    def test_item12_hutchinson_is_vectorised_over_probes_and_matches_the_one_probe_loop(self):
        A = _spd(12, 0.5, 3.0, seed=4)
        calls = []

        def loss(p):
            calls.append(1)
            w = p["w"].reshape(-1)
            return 0.5 * w @ A @ w + (w ** 4).sum() / 12

        params = {"w": torch.linspace(-1, 1, 12, dtype=D64).reshape(3, 4)}
        est = P.hutchinson_hessian_diag(loss, params, n_samples=400, generator=torch.Generator().manual_seed(0))
        assert len(calls) <= 4, len(calls)  # traced once per chunk of 256 probes, not once per probe (speed:
        # 400 probes on 12 parameters take 0.04 s of CPU instead of 3.7 s; a timing is no unit test)
        # the same probes one at a time (an independent loop over jvp)
        g = torch.Generator().manual_seed(0)
        Z = (torch.randint(0, 2, (256, 3, 4), generator=g) * 2 - 1).to(D64)
        Z = torch.cat([Z, (torch.randint(0, 2, (144, 3, 4), generator=g) * 2 - 1).to(D64)])
        gl = torch.func.grad(lambda w: loss({"w": w}))
        ref = sum(z * torch.func.jvp(gl, (params["w"],), (z,))[1] for z in Z) / 400
        assert torch.allclose(est["w"], ref, atol=1e-12)
        # and the estimate is near the exact diagonal
        Hx = torch.func.hessian(lambda w: loss({"w": w}))(params["w"]).reshape(12, 12)
        assert torch.allclose(est["w"].reshape(-1), torch.diagonal(Hx), atol=0.5)

    def test_hutchinson_falls_back_to_a_loop_for_a_loss_that_vmap_cannot_trace(self):
        def loss(p):
            w = p["w"]
            if float(w.sum()) > 1e9:  # data-dependent Python control flow: vmap cannot trace it
                return w.sum()
            return (w ** 2).sum()

        est = P.hutchinson_hessian_diag(loss, {"w": torch.ones(3, dtype=D64)}, n_samples=5)
        assert torch.allclose(est["w"], torch.full((3,), 2.0, dtype=D64))


class TestSearch:
    @pytest.mark.parametrize("budget", [math.inf, NAN])
    def test_item6_non_finite_budgets(self, budget):
        space = {"x": S.Float(0.0, 1.0)}
        raises(ValueError, lambda: S.successive_halving(lambda c, b: 0.0, space, 9, 1.0, budget), "max_budget")
        raises(ValueError, lambda: S.hyperband_brackets(budget), "max_budget", "finite")
        raises(ValueError, lambda: S.hyperband_brackets(81, min_budget=budget), "min_budget")

    def test_item10_objective_returns_inf_for_a_diverged_run(self):
        g = torch.Generator().manual_seed(0)
        X = torch.randn(60, 5, generator=g)
        y = (X[:, 0] > 0).long()
        obj = S.logistic_regression_objective(X[:40], y[:40], X[40:], y[40:], max_steps=30)
        assert obj({"lr": 60.0, "weight_decay": 1.0, "momentum": 0.9}) == math.inf
        fine = obj({"lr": 0.5, "weight_decay": 1e-3})
        assert math.isfinite(fine) and fine < math.log(2)
        raises(ValueError, lambda: obj({"lr": -1.0, "weight_decay": 0.0}), "lr")
        raises(ValueError, lambda: obj({"lr": 1.0, "weight_decay": 0.0, "momentum": 1.5}), "momentum")


class TestCompression:
    def test_item7_huffman_uses_probabilities_as_given(self):
        code = C.huffman_code([0.1, 0.2, 0.3, 0.4])
        lengths = sorted(len(code[i]) for i in range(4))
        assert lengths == [1, 2, 3, 3]  # optimal: mean length 1.9 bits (truncation to counts gave 2 bits)
        mean = sum(p * len(code[i]) for i, p in enumerate([0.1, 0.2, 0.3, 0.4]))
        assert mean == pytest.approx(1.9)
        raises(ValueError, lambda: C.huffman_code([0.5, NAN]), "counts", "nan")
        raises(ValueError, lambda: C.huffman_code([0.5, math.inf]), "counts", "inf")

    def test_item7_entropy_of_negative_counts_is_refused(self):
        raises(ValueError, lambda: C.entropy_bits([3, -1]), "counts", "-1")
        raises(ValueError, lambda: C.entropy_bits([0, 0]), "counts", "zero")
        assert C.entropy_bits([0.25, 0.25, 0.5]) == pytest.approx(1.5)

    def test_item8_kmeans_on_nan_raises(self):
        raises(ValueError, lambda: C.kmeans_1d(torch.tensor([1.0, NAN, 2.0]), 2), "values", "NaN")
        raises(ValueError, lambda: C.kmeans_1d(torch.tensor([1.0, 2.0]), 0), "k", ">= 1")


class TestTraining:
    def test_item9_adam_rejects_bad_hyperparameters(self):
        p = [torch.zeros(2, requires_grad=True)]
        raises(ValueError, lambda: T.Adam(p, lr=-1e-3), "lr", "> 0")
        raises(ValueError, lambda: T.Adam(p, betas=(0.9, 1.0)), "betas[1]", "< 1")
        raises(ValueError, lambda: T.Adam(p, eps=0.0), "eps")


class TestMeta:
    def _setup(self, dtype=torch.float32):
        params = {"w": torch.zeros(2, 1), "b": torch.zeros(1)}
        loss = lambda p, x, y: ((x @ p["w"] + p["b"] - y) ** 2).mean()  # noqa: E731
        g = torch.Generator().manual_seed(0)
        tasks = tuple(torch.randn(3, 4, k, generator=g, dtype=dtype) for k in (2, 1, 2, 1))
        return loss, params, tasks

    def test_item8_mixed_dtypes_in_maml(self):
        loss, params, tasks = self._setup(D64)
        raises(TypeError, lambda: meta.maml_grad(loss, params, tasks, 0.1), "params['w']: float32", "tasks.xs: float64")

    def test_item9_reptile_step_size(self):
        loss, params, tasks = self._setup()
        for eps in (0.0, -0.5, 1.5, NAN):
            raises(ValueError, lambda: meta.reptile_update(loss, params, tasks, 0.1, 1, eps), "epsilon")
        raises(ValueError, lambda: meta.maml_grad(loss, params, tasks, NAN), "lr")


class TestLearnedOpt:
    def test_item10_unroll_leaves_the_callers_tensor_alone(self):
        phi = lo.init_lstm_optimizer(hidden=4, layers=1, generator=torch.Generator().manual_seed(0))
        W, y = lo.random_quadratics(2, 3, torch.Generator().manual_seed(1))
        theta = torch.zeros(2, 3)
        before = theta.clone()
        lo.unroll(phi, lo.quadratic_problems(W, y), theta, 2)
        assert theta.requires_grad is False and torch.equal(theta, before)

    def test_truncation_is_checked(self):
        phi = lo.init_lstm_optimizer(hidden=4, layers=1)
        raises(ValueError, lambda: lo.meta_train_lstm(phi, lambda: None, 1, horizon=10, truncation=0), "truncation")


class TestHypernet:
    def test_item8_mixed_dtypes_in_train_hypernet(self):
        X = torch.randn(8, 3, dtype=D64)
        y = torch.randint(0, 2, (8,))
        raises(TypeError, lambda: hn.train_hypernet(X, y, (3, 2), (0.1, 1.0), steps=1), "X: float64",
               "float32")
        raises(ValueError, lambda: hn.train_hypernet(X.float(), y, (3, 2), (0.1, 1.0), steps=1, lr=-1.0), "lr")


def test_positive_definite_refuses_a_non_square_matrix_in_both_languages():
    """A 2×3 matrix is not square: the bilingual message, not torch's size mismatch of the symmetry check."""
    with pytest.raises(ValueError) as err:
        V.positive_definite("H", torch.zeros(2, 3))
    msg = str(err.value)
    assert "argument H must be a square matrix, got shape (2, 3)" in msg
    assert "аргумент H должен быть квадратной матрицей, получена форма (2, 3)" in msg
