"""metaopt_lib.hypergrad against independent ground truths: full autograd Hessians, explicit matrix series,
torch.linalg.solve, finite differences and the closed-form ridge hypergradient."""

import pytest
import torch
import torch.nn.functional as F

from metaopt_lib import hypergrad as hg
from metaopt_lib.seeding import set_seed
from metaopt_lib.validate import SolverError

D64 = torch.float64


def _ridge(n=60, m=50, d=8, seed=0, corr=0.0):
    g = set_seed(seed)
    Z = torch.randn(n + m, d, generator=g, dtype=D64)
    if corr:  # correlated features make H ill-conditioned
        Z = Z + corr * Z[:, :1]
    w = torch.randn(d, generator=g, dtype=D64)
    y = Z @ w + 0.5 * torch.randn(n + m, generator=g, dtype=D64)
    lam = torch.logspace(-2, 0, d, dtype=D64)
    return Z[:n], y[:n], Z[n:], y[n:], lam


def _logistic(seed=1, n=40, d=5):
    """A non-quadratic inner problem: logistic regression with one weight decay per feature (hparams = log decay)."""
    g = set_seed(seed)
    X = torch.randn(2 * n, d, generator=g, dtype=D64)
    t = (X @ torch.randn(d, generator=g, dtype=D64) + 0.5 * torch.randn(2 * n, generator=g, dtype=D64) > 0).to(D64)
    inner = lambda w, h: F.binary_cross_entropy_with_logits(X[:n] @ w, t[:n]) + 0.5 * (torch.exp(h) * w * w).sum()  # noqa: E731
    outer = lambda w, h: F.binary_cross_entropy_with_logits(X[n:] @ w, t[n:])  # noqa: E731
    return inner, outer, torch.full((d,), -1.0, dtype=D64), 0.1 * torch.randn(d, generator=g, dtype=D64)


# ----------------------------------------------------------------------------------------- second-order products
def test_hvp_matches_autograd_hessian():
    inner, _, h, w = _logistic()
    f = lambda p: inner(p, h)  # noqa: E731
    H = torch.autograd.functional.hessian(f, w)
    v = torch.randn(w.shape, generator=torch.Generator().manual_seed(3), dtype=D64)
    assert torch.allclose(hg.hvp(f, w, v), H @ v, atol=1e-12)
    op = hg.hvp_operator(inner, w, h)
    assert torch.allclose(op(v), H @ v, atol=1e-12)
    assert torch.allclose(op(2 * v), 2 * H @ v, atol=1e-12)  # the operator can be reused


def test_mixed_vjp_matches_jacobian_of_the_gradient():
    inner, _, h, w = _logistic()
    B = torch.autograd.functional.jacobian(lambda hh: torch.autograd.functional.jacobian(lambda p: inner(p, hh), w,
                                                                                           create_graph=True), h)
    u = torch.randn(w.shape, generator=torch.Generator().manual_seed(4), dtype=D64)
    assert torch.allclose(hg.mixed_vjp(inner, w, h, u), B.T @ u, atol=1e-12)  # B[i, j] = ∂²L/∂θ_i∂λ_j


# ------------------------------------------------------------------------------------------------------- solvers
def _spd(d, lo, hi, seed=0):
    g = set_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=D64))
    return (Q * torch.linspace(lo, hi, d, dtype=D64)) @ Q.T


@pytest.mark.parametrize("K", [0, 1, 5, 17])
def test_neumann_scaling_convention(K):
    H = _spd(6, 0.5, 4.0)
    v = torch.randn(6, generator=torch.Generator().manual_seed(K), dtype=D64)
    alpha = 0.2
    M = torch.eye(6, dtype=D64) - alpha * H
    series = alpha * sum(torch.linalg.matrix_power(M, i) for i in range(K + 1)) @ v  # α Σ_{i=0}^{K} (I − αH)^i v
    assert torch.allclose(hg.neumann_inverse_hvp(lambda x: H @ x, v, alpha, K), series, atol=1e-12)
    if K > 0:  # the blog's form Σ_{i=1}^{K} (I − αH)^i v (no α, no i = 0 term) is a different quantity
        blog = sum(torch.linalg.matrix_power(M, i) for i in range(1, K + 1)) @ v
        assert not torch.allclose(hg.neumann_inverse_hvp(lambda x: H @ x, v, alpha, K), blog, atol=1e-3)


def test_neumann_converges_to_the_inverse_below_two_over_lambda_max_and_diverges_above():
    H = _spd(6, 0.5, 4.0)
    v = torch.ones(6, dtype=D64)
    exact = torch.linalg.solve(H, v)
    errors = [float((hg.neumann_inverse_hvp(lambda x: H @ x, v, 1 / 4.0, K) - exact).norm()) for K in (0, 5, 20, 200)]
    assert all(a > b for a, b in zip(errors, errors[1:])) and errors[-1] < 1e-6
    diverging = [float((hg.neumann_inverse_hvp(lambda x: H @ x, v, 2.2 / 4.0, K) - exact).norm()) for K in (5, 20, 80)]
    assert all(a < b for a, b in zip(diverging, diverging[1:]))


@pytest.mark.parametrize("kw", [dict(alpha=0.0, K=3), dict(alpha=0.1, K=-1), dict(alpha=0.1, K=2.5)])
def test_neumann_rejects_bad_arguments(kw):
    with pytest.raises(ValueError, match=r"(?s)\n.*[а-я]"):
        hg.neumann_inverse_hvp(lambda x: x, torch.ones(2, dtype=D64), **kw)


def test_conjugate_gradient_matches_solve():
    H = _spd(30, 0.01, 10.0, seed=2)
    b = torch.randn(30, generator=torch.Generator().manual_seed(0), dtype=D64)
    res = hg.conjugate_gradient(lambda x: H @ x, b, rtol=1e-12)
    exact = torch.linalg.solve(H, b)
    assert res.residual <= 1e-12
    assert float((res.x - exact).norm() / exact.norm()) < 1e-8
    assert res.iterations <= 60  # ≤ dim in exact arithmetic; a little slack for rounding
    with pytest.raises(ValueError, match="curvature"):
        hg.conjugate_gradient(lambda x: -(H @ x), b)


# --------------------------------------------------------------------------------------------------- ridge closed form
def test_ridge_exact_hypergradient_matches_finite_differences_and_autograd():
    Xt, yt, Xv, yv, lam = _ridge()
    outer = hg.ridge_outer_loss(Xv, yv)
    w, hgrad = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    assert torch.allclose(w, torch.linalg.solve(Xt.T @ Xt / len(yt) + torch.diag(lam), Xt.T @ yt / len(yt)))
    val = lambda lm: outer(hg.ridge_solution(Xt, yt, lm), lm)  # noqa: E731
    eps = 1e-6
    fd = torch.stack([(val(lam + eps * e) - val(lam - eps * e)) / (2 * eps) for e in torch.eye(len(lam), dtype=D64)])
    assert torch.allclose(hgrad, fd, rtol=1e-6, atol=1e-10)
    lam_ = lam.clone().requires_grad_()
    w_ = torch.linalg.solve(Xt.T @ Xt / len(yt) + torch.diag(lam_), Xt.T @ yt / len(yt))
    (auto,) = torch.autograd.grad(outer(w_, lam_), lam_)
    assert torch.allclose(hgrad, auto, rtol=1e-10, atol=1e-14)


# -------------------------------------------------------------------------------------------------------------- IFT
def _cos(a, b):
    return float(a @ b / (a.norm() * b.norm()))


def test_ift_conjugate_gradient_at_the_ridge_optimum_equals_the_closed_form():
    Xt, yt, Xv, yv, lam = _ridge(corr=2.0)
    w, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    stats = {}
    got = hg.ift_hypergrad(hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), w, lam, solver="cg",
                           rtol=1e-12, stats=stats)
    assert _cos(got, exact) >= 0.9999
    assert float((got - exact).norm() / exact.norm()) < 1e-8
    assert stats["grads"] == 2 and stats["mixed"] == 1 and 1 <= stats["hvps"] <= 3 * len(lam)


def test_ift_neumann_error_decreases_in_K():
    Xt, yt, Xv, yv, lam = _ridge(corr=2.0)
    w, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    H = Xt.T @ Xt / len(yt) + torch.diag(lam)
    alpha = 1.0 / float(torch.linalg.eigvalsh(H).max())
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    errors = []
    for K in (0, 3, 10, 30, 100, 300, 1000, 3000):
        stats = {}
        got = hg.ift_hypergrad(inner, outer, w, lam, solver="neumann", K=K, alpha=alpha, stats=stats)
        assert stats["hvps"] == K
        errors.append(float((got - exact).norm() / exact.norm()))
    assert all(a > b for a, b in zip(errors, errors[1:])), errors
    assert errors[0] > 0.1 and errors[-1] < 1e-6, errors


def test_ift_rejects_bad_solver_and_missing_alpha():
    Xt, yt, Xv, yv, lam = _ridge()
    w = hg.ridge_solution(Xt, yt, lam)
    args = (hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv), w, lam)
    with pytest.raises(ValueError, match="solver"):
        hg.ift_hypergrad(*args, solver="lu")
    with pytest.raises(ValueError, match="alpha"):
        hg.ift_hypergrad(*args, solver="neumann")


# ---------------------------------------------------------------------------------------------------------- unrolled
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_unrolled_reverse_and_forward_agree_with_each_other_and_finite_differences(momentum):
    inner, outer, h, w0 = _logistic()
    T, lr = 15, 0.5
    rev = hg.unrolled_hypergrad_reverse(inner, outer, w0, h, T, lr, momentum)
    fwd = hg.unrolled_hypergrad_forward(inner, outer, w0, h, T, lr, momentum)
    assert torch.allclose(rev, fwd, atol=1e-6, rtol=0)
    assert torch.allclose(rev, fwd, atol=1e-13, rtol=1e-10)  # in float64 they agree to rounding
    f = lambda hh: outer(hg.unroll(inner, w0, hh, T, lr, momentum), hh)  # noqa: E731
    eps = 1e-5
    fd = torch.stack([(f(h + eps * e) - f(h - eps * e)) / (2 * eps) for e in torch.eye(len(h), dtype=D64)])
    assert torch.allclose(rev, fd, rtol=1e-6, atol=1e-10)


def test_long_unroll_approaches_the_exact_ridge_hypergradient():
    Xt, yt, Xv, yv, lam = _ridge()
    _, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    H = Xt.T @ Xt / len(yt) + torch.diag(lam)
    lr = 1.0 / float(torch.linalg.eigvalsh(H).max())
    inner, outer = hg.ridge_inner_loss(Xt, yt), hg.ridge_outer_loss(Xv, yv)
    w0 = torch.zeros(len(lam), dtype=D64)
    errors = [float((hg.unrolled_hypergrad_reverse(inner, outer, w0, lam, T, lr) - exact).norm() / exact.norm())
              for T in (10, 100, 1000)]
    assert errors[0] > errors[1] > errors[2] and errors[0] > 1e-2 and errors[2] < 1e-6, errors


# ---------------------------------------------------------------------------------------------- dataset distillation
def test_distilled_images_beat_random_real_images_on_digits():
    from metaopt_lib.data import load_digits

    g = set_seed(0)
    Xtr, ytr, Xv, yv = load_digits().split_validation(0.2)
    init = hg.random_images_per_class(Xtr, ytr, 10, g)
    assert torch.equal(torch.stack([(Xtr == row).all(1).any() for row in init]), torch.ones(10, dtype=torch.bool))

    def accuracy(images):
        W = hg.train_softmax_regression(images, torch.arange(10), 10, steps=20, lr=1.0)
        return float(((Xv @ W[:-1] + W[-1]).argmax(1) == yv).float().mean())

    distilled = hg.distill_dataset(Xtr, ytr, 10, outer_steps=40, init=init, generator=g)
    assert distilled.shape == (10, 64)
    assert accuracy(distilled) > accuracy(init) + 0.15


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_momentum_unroll_matches_a_hand_written_heavy_ball_loop():
    """v ← μv + ∇L(θ), θ ← θ − ηv from v = 0, written out with autograd (not torch.func), per step."""
    inner, _, h, w0 = _logistic()
    lr, mu, T = 0.3, 0.7, 9
    theta, v = w0.clone(), torch.zeros_like(w0)
    for _ in range(T):
        p = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(inner(p, h), p)
        v = mu * v + g
        theta = theta - lr * v
    assert torch.allclose(hg.unroll(inner, w0, h, T, lr, momentum=mu), theta, atol=1e-13, rtol=0)
    # momentum matters: plain gradient descent differs
    assert not torch.allclose(hg.unroll(inner, w0, h, T, lr), theta, atol=1e-3)


def test_cg_with_maxiter_stops_exactly_there_and_reports_the_true_residual():
    H = _spd(20, 0.1, 10.0, seed=5)
    b = torch.randn(20, generator=torch.Generator().manual_seed(1), dtype=D64)
    for k in (1, 2, 5):
        with pytest.warns(Warning):
            res = hg.conjugate_gradient(lambda x: H @ x, b, maxiter=k)
        assert res.iterations == k and res.converged is False
        assert res.residual == pytest.approx(float((b - H @ res.x).norm() / b.norm()), rel=1e-9)
        # CG's k-th iterate minimises the H-norm error over the Krylov space span{b, Hb, …, H^{k−1}b}
        K = torch.stack([torch.linalg.matrix_power(H, i) @ b for i in range(k)], 1)
        coef = torch.linalg.solve(K.T @ H @ K, K.T @ b)
        assert torch.allclose(res.x, K @ coef, atol=1e-8)


def test_softmax_regression_weight_decay_adds_half_wd_times_the_squared_norm():
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(7, 3, generator=g, dtype=D64), torch.tensor([0, 1, 2, 0, 1, 2, 0])
    W = torch.randn(4, 3, generator=g, dtype=D64)
    logits = X @ W[:-1] + W[-1]
    ce = -(logits.log_softmax(1)[torch.arange(7), y]).mean()
    assert float(hg.softmax_regression_loss(W, X, y, weight_decay=0.3)) == pytest.approx(
        float(ce) + 0.15 * float((W ** 2).sum()), abs=1e-13)


@pytest.mark.parametrize("length", [2, 4])
def test_ridge_rejects_a_weight_decay_vector_of_the_wrong_length(length):
    Xt, yt, *_ = _ridge()
    with pytest.raises(ValueError, match=r"(?s)lam.*\n.*[а-я]"):
        hg.ridge_solution(Xt, yt, torch.ones(Xt.shape[1] + length - 3, dtype=D64))


def test_neumann_stats_by_hand_on_a_diagonal_matrix():
    """H = diag(1, 3), α = 0.25, K = 3: (I − αH)^k v = (0.75^k, 0.25^k)·v elementwise, so the stats are K + 1 = 4
    terms, last_term = ‖(I − αH)³v‖/‖v‖, ratio = ‖(I − αH)³v‖/‖(I − αH)²v‖ and the sum α Σ_{k=0}^{3} (I − αH)^k v."""
    H = torch.diag(torch.tensor([1.0, 3.0], dtype=D64))
    v = torch.tensor([1.0, 2.0], dtype=D64)
    stats = {}
    out = hg.neumann_inverse_hvp(lambda x: H @ x, v, 0.25, 3, stats=stats)
    d = torch.tensor([0.75, 0.25], dtype=D64)
    p3, p2 = d ** 3 * v, d ** 2 * v
    torch.testing.assert_close(out, 0.25 * sum(d ** k * v for k in range(4)), rtol=1e-14, atol=0)
    assert stats["terms"] == 4 and stats["converged"] is True
    assert stats["last_term"] == pytest.approx(float(p3.norm() / v.norm()), rel=1e-14)
    assert stats["ratio"] == pytest.approx(float(p3.norm() / p2.norm()), rel=1e-14)


def test_neumann_divergence_warning_states_the_growth_and_the_last_term_in_both_languages():
    """H = 1, α = 3, v = 2: every term is multiplied by 1 − αH = −2, so after K = 3 steps the last term is
    (−2)³·2 = −16: ratio 2, ‖last term‖/‖v‖ = 16/2 = 8 (by hand), stated in English and in Russian."""
    from metaopt_lib.validate import SolverError

    with pytest.raises(SolverError) as err:
        hg.neumann_inverse_hvp(lambda x: x, torch.tensor([2.0], dtype=D64), 3.0, 3, strict=True)
    msg = str(err.value)
    assert "grew by a factor 2 per step (‖last term‖/‖v‖ = 8)" in msg
    assert "растёт в 2 раза за шаг (‖последний член‖/‖v‖ = 8)" in msg
    assert msg.count("α = 3") == 2


def test_a_diverging_neumann_series_names_the_same_growth_in_both_languages():
    """H = [3.5], α = 1, K = 1, v = [2]: the last term is (1 − 3.5)·v, so ‖last term‖/‖v‖ = 2.5 by hand (a
    non-integer ratio); both the English and the Russian message must show 2.5."""
    H = torch.tensor([[3.5]], dtype=torch.float64)
    with pytest.raises(SolverError) as err:
        hg.neumann_inverse_hvp(lambda p: H @ p, torch.tensor([2.0], dtype=torch.float64), 1.0, 1, strict=True)
    msg = str(err.value)
    assert "(‖last term‖/‖v‖ = 2.5)" in msg
    assert "(‖последний член‖/‖v‖ = 2.5)" in msg


def test_conjugate_gradient_solves_a_unit_norm_right_hand_side():
    """‖b‖ = 1 exactly is an ordinary right-hand side: H = diag(2, 4), b = e₁ gives x = [0.5, 0], as
    torch.linalg.solve, after at least one iteration."""
    H = torch.diag(torch.tensor([2.0, 4.0], dtype=torch.float64))
    b = torch.tensor([1.0, 0.0], dtype=torch.float64)
    res = hg.conjugate_gradient(lambda p: H @ p, b)
    torch.testing.assert_close(res.x, torch.linalg.solve(H, b))
    assert res.iterations >= 1
