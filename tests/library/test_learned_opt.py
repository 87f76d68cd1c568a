"""The coordinate-wise LSTM optimizer (metaopt_lib.learned_opt) against independent ground truths:
torch.nn.LSTMCell, the paper's preprocessing formula, the closed-form gradient of a quadratic, explicit
SGD/Adam recursions, and finite differences of the meta-objective."""

import math

import pytest
import torch

from metaopt_lib import learned_opt as lo


def test_lstm_cell_equals_torch_lstmcell():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(2, 5)
    x, h, c = torch.randn(7, 2), torch.randn(7, 5), torch.randn(7, 5)
    h_ref, c_ref = cell(x, (h, c))
    h1, c1 = lo.lstm_cell(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih + cell.bias_hh)
    torch.testing.assert_close(h1, h_ref)
    torch.testing.assert_close(c1, c_ref)


def test_preprocessing_is_the_papers_formula():
    p = 10.0
    g = torch.tensor([3.0, -0.5, 1e-6, -2e-5, 0.0], dtype=torch.float64)
    out = lo.preprocess_gradient(g, p)
    # e^-10 = 4.54e-5: 1e-6 and 2e-5 are "small" gradients, 3 and 0.5 "large" ones
    expected = [[math.log(3.0) / p, 1.0], [math.log(0.5) / p, -1.0], [-1.0, math.exp(p) * 1e-6],
                [-1.0, math.exp(p) * -2e-5], [-1.0, 0.0]]
    torch.testing.assert_close(out, torch.tensor(expected, dtype=torch.float64))


def test_quadratic_loss_and_its_gradient_closed_form():
    g = torch.Generator().manual_seed(0)
    W, y = lo.random_quadratics(4, 3, g)
    theta = torch.randn(4, 3, generator=g, requires_grad=True)
    f = lo.quadratic_loss(theta, W, y)
    with torch.no_grad():
        for i in range(4):
            assert f[i].item() == pytest.approx(float(((W[i] @ theta[i] - y[i]) ** 2).sum()), rel=1e-6)
    (grad,) = torch.autograd.grad(f.sum(), theta)
    closed = 2 * torch.einsum("nji,nj->ni", W, torch.einsum("nij,nj->ni", W, theta) - y)
    torch.testing.assert_close(grad, closed.detach())
    with pytest.raises(ValueError, match="shapes do not match"):
        lo.quadratic_loss(theta[:, :2], W, y)


def _problem(dtype=torch.float64, n=3, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    W, y = lo.random_quadratics(n, d, g)
    return lo.quadratic_problems(W.to(dtype), y.to(dtype)), torch.zeros(n, d, dtype=dtype)


def _random_phi(seed=0):
    g = torch.Generator().manual_seed(seed)
    phi = {k: v.double() for k, v in lo.init_lstm_optimizer(hidden=4, generator=g).items()}
    phi["out.weight"] = torch.randn(1, 4, generator=g, dtype=torch.float64)
    phi["out.bias"] = torch.randn(1, generator=g, dtype=torch.float64) * 0.1
    return phi


def test_meta_gradient_reaches_every_parameter_and_equals_finite_differences():
    """Exact meta-gradient (second_order=True) against central differences of Σ_t mean_i f_i(θ_t)."""
    loss_fn, theta0 = _problem()
    phi = _random_phi()

    def objective(ph, second_order=True):
        losses, _, _ = lo.unroll(ph, loss_fn, theta0.clone(), 5, second_order=second_order)
        return losses.sum(0).mean()

    leaf = {k: v.clone().requires_grad_(True) for k, v in phi.items()}
    grads = dict(zip(leaf, torch.autograd.grad(objective(leaf), list(leaf.values()))))
    for k, v in grads.items():
        assert v.abs().sum() > 0, f"no gradient reaches {k}"
    eps = 1e-6
    for k in phi:
        for idx in [(0,) * phi[k].dim(), tuple(s - 1 for s in phi[k].shape)]:
            plus = {**phi, k: phi[k].clone()}
            minus = {**phi, k: phi[k].clone()}
            plus[k][idx] += eps
            minus[k][idx] -= eps
            fd = (objective(plus) - objective(minus)) / (2 * eps)
            assert grads[k][idx].item() == pytest.approx(fd.item(), rel=1e-5, abs=1e-8), (k, idx)


def test_first_order_meta_gradient_drops_the_gradient_path():
    """With ∂∇f/∂φ = 0 (the paper's choice) the meta-gradient differs from the exact one but both reach φ."""
    loss_fn, theta0 = _problem()
    phi = {k: v.requires_grad_(True) for k, v in _random_phi(1).items()}
    g1 = torch.autograd.grad(lo.unroll(phi, loss_fn, theta0.clone(), 5)[0].sum(), list(phi.values()))
    g2 = torch.autograd.grad(lo.unroll(phi, loss_fn, theta0.clone(), 5, second_order=True)[0].sum(),
                             list(phi.values()))
    assert all(a.abs().sum() > 0 for a in g1)
    assert max((a - b).abs().max().item() for a, b in zip(g1, g2)) > 1e-6


def test_untrained_optimizer_makes_no_step_and_curves_start_at_f_theta0():
    loss_fn, theta0 = _problem(torch.float32)
    phi = lo.init_lstm_optimizer()
    curve = lo.lstm_curve(phi, loss_fn, theta0, 7)
    assert curve.shape == (8, 3)
    torch.testing.assert_close(curve, loss_fn(theta0).expand(8, 3))


def test_sgd_and_adam_baselines_follow_their_recursions():
    loss_fn, theta0 = _problem(torch.float64)
    lr, steps = 0.01, 6
    sgd = lo.hand_optimizer_curve("sgd", lr, loss_fn, theta0, steps)
    adam = lo.hand_optimizer_curve("adam", lr, loss_fn, theta0, steps)
    t_sgd, t_adam = theta0.clone(), theta0.clone()
    m = torch.zeros_like(theta0)
    v = torch.zeros_like(theta0)
    for t in range(1, steps + 1):
        torch.testing.assert_close(sgd[t - 1], loss_fn(t_sgd))
        torch.testing.assert_close(adam[t - 1], loss_fn(t_adam))
        x = t_sgd.clone().requires_grad_(True)
        t_sgd = t_sgd - lr * torch.autograd.grad(loss_fn(x).sum(), x)[0]
        x = t_adam.clone().requires_grad_(True)
        g = torch.autograd.grad(loss_fn(x).sum(), x)[0]
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        t_adam = t_adam - lr * (m / (1 - 0.9 ** t)) / ((v / (1 - 0.999 ** t)).sqrt() + 1e-8)
    torch.testing.assert_close(sgd[-1], loss_fn(t_sgd))
    torch.testing.assert_close(adam[-1], loss_fn(t_adam))


def test_learning_rate_grid_picks_the_best_and_survives_divergence():
    loss_fn, theta0 = _problem(torch.float32, n=8, d=5)
    lrs = [1e-4, 1e-3, 1e-2, 1e-1, 10.0]
    best, finals = lo.tune_learning_rate("sgd", lrs, loss_fn, theta0, 20)
    assert torch.isinf(finals[-1])  # SGD with step 10 diverges on these quadratics
    expected = [lo.hand_optimizer_curve("sgd", lr, loss_fn, theta0, 20)[-1].mean() for lr in lrs[:-1]]
    assert best == lrs[int(torch.stack(expected).argmin())]
    with pytest.raises(ValueError, match="unknown optimizer"):
        lo.tune_learning_rate("rmsprop", lrs, loss_fn, theta0, 2)


def test_meta_training_makes_a_useful_optimizer():
    """A short training (30 iterations) turns the do-nothing initial optimizer into one that lowers held-out
    quadratics well below their starting loss."""
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)

    def sample():
        W, y = lo.random_quadratics(32, generator=g)
        return lo.quadratic_problems(W, y), torch.zeros(32, 10)

    phi, history = lo.meta_train_lstm(lo.init_lstm_optimizer(generator=g), sample, 30, horizon=40,
                                      truncation=20, meta_lr=1e-2)
    W, y = lo.random_quadratics(64, generator=torch.Generator().manual_seed(99))
    curve = lo.lstm_curve(phi, lo.quadratic_problems(W, y), torch.zeros(64, 10), 40)
    assert len(history) == 30
    assert curve[-1].mean() < 0.5 * curve[0].mean(), (curve[0].mean(), curve[-1].mean())
    with pytest.raises(ValueError, match="multiple"):
        lo.meta_train_lstm(phi, sample, 1, horizon=30, truncation=20)


def test_meta_train_lstm_history_holds_the_mean_loss_over_the_horizon_by_value():
    """History by value (not only its length): iteration i's entry is the mean of f over all problems and all
    `horizon` steps, with an Adam step on Σ_{t in window} mean_i f_i(θ_t) after each truncation window."""
    def problems(seed):
        W, y = lo.random_quadratics(3, 2, torch.Generator().manual_seed(seed))
        return lo.quadratic_problems(W, y), torch.zeros(3, 2)

    seeds = iter(range(10, 13))
    phi0 = lo.init_lstm_optimizer(hidden=4, layers=1, generator=torch.Generator().manual_seed(0))
    phi0["out.weight"] = torch.full((1, 4), 0.5)
    phi, history = lo.meta_train_lstm(phi0, lambda: problems(next(seeds)), 3, horizon=4, truncation=2,
                                      meta_lr=1e-2)
    ref = {k: v.detach().clone().requires_grad_(True) for k, v in phi0.items()}
    opt = torch.optim.Adam(ref.values(), lr=1e-2)
    expected = []
    for seed in range(10, 13):
        loss_fn, theta = problems(seed)
        state, seen = None, []
        for _ in range(2):
            losses, theta, state = lo.unroll(ref, loss_fn, theta, 2, state)
            opt.zero_grad()
            losses.sum(0).mean().backward()
            opt.step()
            seen.append(losses.detach())
            theta, state = theta.detach(), tuple(s.detach() for s in state)
        expected.append(float(torch.cat(seen).mean()))
    assert history == pytest.approx(expected, rel=1e-6)
    assert all(torch.allclose(phi[k], ref[k].detach()) for k in phi)
    assert len(set(round(h, 6) for h in history)) == 3  # the problems differ: a constant history would be a bug


def test_init_draws_like_torch_lstmcell_from_the_same_generator():
    """Every LSTM weight and bias is U[−1/√h, 1/√h] (torch.nn.LSTMCell's initialisation), drawn in the order
    weight_ih, weight_hh, bias per layer — torch.nn.init.uniform_ with the same generator gives the same numbers;
    the output layer is zero."""
    h = 7
    phi = lo.init_lstm_optimizer(hidden=h, layers=2, generator=torch.Generator().manual_seed(11))
    g = torch.Generator().manual_seed(11)
    b = 1 / math.sqrt(h)
    for layer, n_in in ((0, 2), (1, h)):
        for name, shape in (("weight_ih", (4 * h, n_in)), ("weight_hh", (4 * h, h)), ("bias", (4 * h,))):
            ref = torch.nn.init.uniform_(torch.empty(shape), -b, b, generator=g)
            torch.testing.assert_close(phi[f"lstm{layer}.{name}"], ref, rtol=1e-6, atol=1e-7)
            w = phi[f"lstm{layer}.{name}"]
            assert w.min() >= -b and w.max() <= b
    assert torch.count_nonzero(phi["out.weight"]) == 0


@pytest.mark.parametrize("layers", [1, 3])
def test_initial_state_holds_a_zero_h_and_c_per_layer(layers):
    """(h_0, c_0, …, h_{L−1}, c_{L−1}): 2L zero tensors [n_coords, hidden], for any number of layers L."""
    phi = lo.init_lstm_optimizer(hidden=4, layers=layers, generator=torch.Generator().manual_seed(0))
    state = lo.initial_state(phi, 5)
    assert len(state) == 2 * layers
    assert all(s.shape == (5, 4) and torch.count_nonzero(s) == 0 for s in state)


def test_meta_train_lstm_is_silent_unless_asked_for_progress(capsys):
    """No progress bar by default: nothing is printed (the autograder's and notebooks' logs stay clean)."""
    W, y = lo.random_quadratics(2, 2, torch.Generator().manual_seed(0))
    phi = lo.init_lstm_optimizer(hidden=3, layers=1, generator=torch.Generator().manual_seed(0))
    lo.meta_train_lstm(phi, lambda: (lo.quadratic_problems(W, y), torch.zeros(2, 2)), 1, horizon=2, truncation=2)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_default_lstm_optimizer_is_two_layers_of_20_units():
    """Andrychowicz et al. (2016): a two-layer LSTM of 20 hidden units. The defaults equal hidden=20, layers=2
    drawn from the same generator, and the first layer's weights are [4·20, 2] and [4·20, 20]."""
    default = lo.init_lstm_optimizer(generator=torch.Generator().manual_seed(3))
    explicit = lo.init_lstm_optimizer(hidden=20, layers=2, generator=torch.Generator().manual_seed(3))
    assert default.keys() == explicit.keys()
    for k in explicit:
        torch.testing.assert_close(default[k], explicit[k])
    assert default["lstm0.weight_ih"].shape == (80, 2)
    assert default["lstm0.weight_hh"].shape == (80, 20)
