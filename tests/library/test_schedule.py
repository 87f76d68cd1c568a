"""metaopt_lib.schedule against independent ground truths: full-matrix gradient descent in a random basis, finite
differences of the meta-loss, the closed-form Chebyshev and constant-step residuals, and the exact optimum of a
two-eigenvalue problem."""

import math

import numpy as np
import pytest
import torch

from metaopt_lib import schedule as sc

D64 = torch.float64


def test_gd_losses_match_full_matrix_gradient_descent_in_a_random_basis():
    g = torch.Generator().manual_seed(0)
    eig, e0 = sc.spectral_quadratics(3, 5, 0.1, 2.0, g)
    steps = torch.tensor([0.3, 1.2, 0.7, 0.05], dtype=D64)
    ours = sc.gd_losses(steps, eig, e0)
    for k in range(3):
        Q, _ = np.linalg.qr(np.random.default_rng(k).standard_normal((5, 5)))
        A = Q @ np.diag(eig[k].numpy()) @ Q.T
        x_star = np.random.default_rng(10 + k).standard_normal(5)
        x = x_star + Q @ e0[k].numpy()
        ref = [0.5 * (x - x_star) @ A @ (x - x_star)]
        for eta in steps.numpy():
            x = x - eta * (A @ (x - x_star))  # plain gradient descent on f(x) = ½(x − x*)ᵀA(x − x*)
            ref.append(0.5 * (x - x_star) @ A @ (x - x_star))
        np.testing.assert_allclose(ours[:, k].numpy(), ref, rtol=1e-10)


def test_spectral_quadratics_include_both_ends_of_the_spectrum():
    eig, e0 = sc.spectral_quadratics(50, 6, 0.01, 1.0, torch.Generator().manual_seed(1))
    assert torch.all(eig[:, 0] == 0.01) and torch.all(eig[:, -1] == 1.0)
    assert torch.all((eig >= 0.01) & (eig <= 1.0)) and e0.shape == (50, 6)


def test_meta_gradient_matches_central_finite_differences():
    eig, e0 = sc.spectral_quadratics(8, 4, 0.05, 1.0, torch.Generator().manual_seed(2))
    log_steps = torch.log(torch.tensor([0.4, 2.0, 1.1], dtype=D64)).requires_grad_(True)
    g, = torch.autograd.grad(sc.schedule_meta_loss(log_steps, eig, e0), log_steps)
    h = 1e-6
    for i in range(3):
        e = torch.zeros(3, dtype=D64)
        e[i] = h
        fd = (sc.schedule_meta_loss(log_steps.detach() + e, eig, e0)
              - sc.schedule_meta_loss(log_steps.detach() - e, eig, e0)) / (2 * h)
        assert float(g[i]) == pytest.approx(float(fd), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("mu, L, T", [(0.01, 1.0, 10), (0.2, 3.0, 5)])
def test_chebyshev_steps_reach_the_closed_form_worst_case(mu, L, T):
    lam = torch.linspace(mu, L, 20001, dtype=D64)
    cheb = sc.residual_polynomial(sc.chebyshev_steps(mu, L, T), lam).abs().max()
    assert float(cheb) == pytest.approx(1 / math.cosh(T * math.acosh((L + mu) / (L - mu))), rel=1e-6)
    const = sc.residual_polynomial(torch.full((T,), 2 / (mu + L), dtype=D64), lam).abs().max()
    kappa = L / mu
    assert float(const) == pytest.approx(((kappa - 1) / (kappa + 1)) ** T, rel=1e-9)
    assert float(cheb) < float(const)


def test_a_constant_start_stays_constant_by_symmetry():
    eig, e0 = sc.spectral_quadratics(16, 5, 0.01, 1.0, torch.Generator().manual_seed(3))
    log_steps = torch.zeros(4, dtype=D64, requires_grad=True)
    g, = torch.autograd.grad(sc.schedule_meta_loss(log_steps, eig, e0), log_steps)
    torch.testing.assert_close(g, g[0].expand(4))


def test_two_steps_on_two_eigenvalues_learn_the_inverse_eigenvalues():
    """With eigenvalues {μ, L} and T = 2, the steps {1/μ, 1/L} annihilate the error exactly: the global optimum."""
    gen = torch.Generator().manual_seed(4)
    steps, history = sc.meta_train_schedule(torch.tensor([0.8, 1.5], dtype=D64),
                                            lambda: sc.spectral_quadratics(16, 2, 0.5, 1.0, gen), 1000, lr=0.01)
    # the log-loss is a funnel towards −∞ at the optimum: Adam circles it, so the tolerance is a few per cent
    torch.testing.assert_close(torch.sort(steps).values, torch.tensor([1.0, 2.0], dtype=D64), rtol=0.05, atol=0)
    assert min(history) < history[0] - 10


def test_learned_schedule_beats_the_best_constant_step_on_new_problems():
    mu, L, T = 0.01, 1.0, 10
    gen = torch.Generator().manual_seed(5)
    steps, _ = sc.meta_train_schedule(torch.linspace(0.5, 3.0, T, dtype=D64),
                                      lambda: sc.spectral_quadratics(64, 10, mu, L, gen), 200)
    eig_tr, e_tr = sc.spectral_quadratics(256, 10, mu, L, gen)
    c = sc.best_constant_step(eig_tr, e_tr, T)
    assert 1.0 < c < 2.0  # below the stability limit 2/L
    eig, e0 = sc.spectral_quadratics(500, 10, mu, L, torch.Generator().manual_seed(6))
    learned = float(sc.schedule_meta_loss(steps.log(), eig, e0))
    constant = float(sc.schedule_meta_loss(torch.full((T,), math.log(c), dtype=D64), eig, e0))
    assert learned < constant - 1.0, (learned, constant)


@pytest.mark.parametrize("call, fragment", [
    (lambda: sc.spectral_quadratics(4, 5, 1.0, 0.5), "mu < L"),
    (lambda: sc.spectral_quadratics(4, 1, 0.1, 0.5), "dim"),
    (lambda: sc.chebyshev_steps(0.0, 1.0, 3), "mu"),
    (lambda: sc.meta_train_schedule(torch.tensor([1.0, -1.0], dtype=D64), lambda: None, 1), "init_steps"),
    (lambda: sc.gd_losses(torch.ones(2, dtype=D64), torch.ones(3, 2, dtype=D64), torch.ones(3, 3, dtype=D64)),
     "eigvals"),
])
def test_bad_input_gets_a_bilingual_message(call, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        call()
    assert any("а" <= ch <= "я" for ch in str(err.value).lower())


def test_best_constant_step_default_grid_is_the_documented_one():
    """The default grid: 400 steps log-spaced in [1e-3, 2.5]/λmax (its docstring). The best step on that grid is
    found here by evaluating the meta-loss of each constant step by hand, as a loop."""
    eig = torch.tensor([[1.0, 0.1, 3.0], [2.0, 0.5, 0.05]], dtype=torch.float64)
    e0 = torch.ones_like(eig)
    T = 7
    grid = torch.logspace(-3, math.log10(2.5), 400, dtype=torch.float64) / float(eig.max())
    losses = []
    for g in grid:  # a constant step g for T steps: each error coordinate shrinks by (1 − gλ) per step, and the
        # meta-loss is the mean over problems of log f(x_T)/f(x_0), f = ½ Σ λ e²
        f_T = (0.5 * eig * e0 ** 2 * (1 - g * eig) ** (2 * T)).sum(dim=1)
        f_0 = (0.5 * eig * e0 ** 2).sum(dim=1)
        losses.append(float(torch.log(f_T / f_0).mean()))
    expected = float(grid[min(range(len(grid)), key=lambda i: losses[i])])
    assert sc.best_constant_step(eig, e0, T) == pytest.approx(expected, rel=1e-12)
