"""metaopt_lib.learned_blackbox against independent ground truths: the RBF covariance that random Fourier features
approximate, the consistency of a rollout with direct evaluation, and random search as the baseline to beat."""

import math

import pytest
import torch

from metaopt_lib import learned_blackbox as lb


def test_random_fourier_features_have_the_rbf_covariance():
    n, ell = 20000, 0.2
    f = lb.gp_prior_functions(n, ell, features=64, generator=torch.Generator().manual_seed(0))
    for x, x2 in ((0.3, 0.3), (0.3, 0.45), (0.1, 0.6)):
        a, b = f(torch.full((n,), x)), f(torch.full((n,), x2))
        cov = float((a * b).mean())
        assert cov == pytest.approx(math.exp(-(x - x2) ** 2 / (2 * ell ** 2)), abs=0.04), (x, x2, cov)


def test_rollout_queries_lie_in_the_box_and_values_are_the_functions():
    torch.manual_seed(0)
    model = lb.RNNBlackBoxOptimizer(8)
    f = lb.gp_prior_functions(5, generator=torch.Generator().manual_seed(1))
    xs, ys = model.rollout(f, 5, 4)
    assert xs.shape == ys.shape == (4, 5) and bool(((xs > 0) & (xs < 1)).all())
    for t in range(4):
        torch.testing.assert_close(ys[t], f(xs[t]))
    assert lb.grid_minimum(f, 5).shape == (5,)
    assert bool((lb.grid_minimum(f, 5) <= ys.min(0).values + 1e-6).all())


def test_meta_training_beats_random_search_on_new_functions():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = lb.RNNBlackBoxOptimizer(32)
    history = lb.train_rnn_optimizer(model, lambda: lb.gp_prior_functions(64, generator=gen), 150, horizon=8)
    assert sum(history[-20:]) / 20 < sum(history[:20]) / 20
    ge = torch.Generator().manual_seed(7)
    f = lb.gp_prior_functions(400, generator=ge)
    f_min = lb.grid_minimum(f, 400)
    with torch.no_grad():
        _, ys = model.rollout(f, 400, 8)
    rnn = (ys.min(0).values - f_min).median()
    rand = (torch.stack([f(torch.rand(400, generator=ge)) for _ in range(8)]).min(0).values - f_min).median()
    assert float(rnn) < 0.7 * float(rand), (float(rnn), float(rand))


@pytest.mark.parametrize("call, fragment", [
    (lambda: lb.gp_prior_functions(0), "n must"),
    (lambda: lb.gp_prior_functions(3, lengthscale=-1.0), "lengthscale"),
    (lambda: lb.gp_prior_functions(3)(torch.zeros(2)), "one point"),
    (lambda: lb.RNNBlackBoxOptimizer(4).rollout(lb.gp_prior_functions(2), 2, 0), "horizon"),
])
def test_bad_input_gets_a_bilingual_message(call, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        call()
    assert any("а" <= ch <= "я" for ch in str(err.value).lower())


def test_random_fourier_features_are_stationary_near_the_origin():
    """The covariance depends on x − x' only, also where x + x' is small (a phase not uniform over a whole period
    would add E cos(ω(x + x') + 2φ), which is large only there): Var f(0) = 1 and Cov(f(0), f(0.1)) = exp(−0.1²/2ℓ²)."""
    n, ell = 20000, 0.2
    f = lb.gp_prior_functions(n, ell, features=64, generator=torch.Generator().manual_seed(1))
    for x, x2 in ((0.0, 0.0), (0.0, 0.1), (0.02, 0.05)):
        cov = float((f(torch.full((n,), x)) * f(torch.full((n,), x2))).mean())
        assert cov == pytest.approx(math.exp(-(x - x2) ** 2 / (2 * ell ** 2)), abs=0.05), (x, x2, cov)


def test_grid_minimum_uses_2001_points_by_default():
    """The default grid is 0, 0.0005, …, 1 (2001 points): the minima of |x − 0.4995| and |x − 0.5005| lie on it
    (a grid of 2000 points would miss them by 0.00025)."""
    c = torch.tensor([0.4995, 0.5005])

    def f(x):
        return (x - c).abs()
    assert float(lb.grid_minimum(f, 2).max()) < 1e-6
    assert float(lb.grid_minimum(f, 2, points=2000).min()) > 1e-4


def test_a_one_unit_optimizer_is_allowed_and_zero_units_refused():
    model = lb.RNNBlackBoxOptimizer(1)
    xs, ys = model.rollout(lb.gp_prior_functions(3, generator=torch.Generator().manual_seed(0)), 3, 2)
    assert xs.shape == ys.shape == (2, 3)
    with pytest.raises(ValueError, match="hidden"):
        lb.RNNBlackBoxOptimizer(0)


def test_training_rolls_out_ten_queries_by_default():
    """Without ``horizon`` each meta-iteration queries every function 10 times and its loss is the mean over
    t = 1..10 of the best value so far, recomputed here from the recorded queries."""
    torch.manual_seed(0)
    model = lb.RNNBlackBoxOptimizer(4)
    base = lb.gp_prior_functions(3, generator=torch.Generator().manual_seed(2))
    seen = []

    def f(x):
        seen.append(base(x.detach()))
        return base(x)
    f.n = 3
    history = lb.train_rnn_optimizer(model, lambda: f, 1)
    assert len(seen) == 10
    assert history[0] == pytest.approx(float(torch.cummin(torch.stack(seen), 0).values.mean()), rel=1e-6)


def test_default_optimizer_has_32_gru_units_like_torch_modules_built_by_hand():
    """Without ``hidden``: a GRUCell(3, 32) and a Linear(32, 1) — the same tensors as torch's own modules built
    from the same global seed — and a zero learned initial state of 32 units."""
    torch.manual_seed(11)
    model = lb.RNNBlackBoxOptimizer()
    torch.manual_seed(11)
    cell, readout = torch.nn.GRUCell(3, 32), torch.nn.Linear(32, 1)
    for mine, ref in ((model.cell, cell), (model.readout, readout)):
        assert [n for n, _ in mine.named_parameters()] == [n for n, _ in ref.named_parameters()]
        assert all(torch.equal(a, r) for a, r in zip(mine.parameters(), ref.parameters()))
    assert torch.equal(model.h0.detach(), torch.zeros(1, 32))


@pytest.mark.parametrize("lengthscale", [0, 0.0, -0.5])
def test_a_lengthscale_of_zero_or_below_is_refused_in_both_languages(lengthscale):
    """ℓ = 0 would give infinite frequencies (NaN functions), ℓ < 0 is not a length: refused, naming the value."""
    with pytest.raises(ValueError) as err:
        lb.gp_prior_functions(2, lengthscale=lengthscale)
    assert f"lengthscale must be > 0, got {lengthscale!r}" in str(err.value)
    assert f"должен быть > 0, получено {lengthscale!r}" in str(err.value)


def test_a_negative_number_of_training_steps_is_refused_in_both_languages():
    sample = lambda: lb.gp_prior_functions(2, generator=torch.Generator().manual_seed(0))  # noqa: E731
    assert lb.train_rnn_optimizer(lb.RNNBlackBoxOptimizer(4), sample, 0) == []  # zero steps: allowed, no history
    with pytest.raises(ValueError, match="n_iters must be an integer >= 0, got -1") as err:
        lb.train_rnn_optimizer(lb.RNNBlackBoxOptimizer(4), sample, -1)
    assert "n_iters должно быть целым числом >= 0" in str(err.value)


def test_grid_minimum_refuses_a_one_point_grid_in_both_languages():
    """One grid point would return f(0) as the 'minimum' of [0, 1]: refused, in English and Russian."""
    f = lambda x: (x - 0.5) ** 2  # noqa: E731
    with pytest.raises(ValueError) as err:
        lb.grid_minimum(f, 1, points=1)
    msg = str(err.value)
    assert "points must be an integer >= 2, got 1" in msg
    assert "points должно быть целым числом >= 2, получено 1" in msg
