"""metaopt_lib.bayesopt against independent ground truths: scikit-learn's GaussianProcessRegressor (fixed kernel)
and KernelRidge, a Monte-Carlo estimate of the expected improvement, brute-force nearest neighbours (scipy) and a
numpy computation of the meta-features; BO against random search on the Forrester function."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.kernel_ridge import KernelRidge

from metaopt_lib import bayesopt as bo

D64 = torch.float64


def _data(n=12, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, d))
    y = np.sin(6 * X[:, 0]) + X[:, -1] ** 2 + 0.05 * rng.standard_normal(n)
    return X, y


def _sklearn_gp(X, y, ell, s2, noise):
    kernel = ConstantKernel(s2, constant_value_bounds="fixed") * RBF(ell, length_scale_bounds="fixed")
    return GaussianProcessRegressor(kernel, alpha=noise, optimizer=None, normalize_y=False).fit(X, y)


@pytest.mark.parametrize("ell, s2, noise, mean", [(0.3, 1.0, 1e-6, 0.0), (0.15, 2.5, 1e-2, 0.7)])
def test_gp_posterior_matches_sklearn(ell, s2, noise, mean):
    X, y = _data()
    X_new = np.random.default_rng(1).uniform(size=(30, 2))
    gp = _sklearn_gp(X, y - mean, ell, s2, noise)
    mu_ref, sd_ref = gp.predict(X_new, return_std=True)
    mu, sd = bo.gp_posterior(torch.tensor(X), torch.tensor(y), torch.tensor(X_new), ell, s2, noise, mean)
    np.testing.assert_allclose(mu.numpy(), mu_ref + mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sd.numpy(), sd_ref, rtol=1e-5, atol=1e-6)
    lml = bo.gp_log_marginal_likelihood(torch.tensor(X), torch.tensor(y), ell, s2, noise, mean)
    assert lml == pytest.approx(gp.log_marginal_likelihood_value_, rel=1e-8)


def test_rbf_kernel_matches_sklearn():
    X, _ = _data(n=7, d=3)
    Y = np.random.default_rng(2).uniform(size=(5, 3))
    ref = 1.7 * RBF(0.4)(X, Y)
    np.testing.assert_allclose(bo.rbf_kernel(torch.tensor(X), torch.tensor(Y), 0.4, 1.7).numpy(), ref, rtol=1e-12)


def test_posterior_interpolates_noise_free_data_and_reverts_to_the_prior_far_away():
    X = torch.tensor([[0.1], [0.5], [0.9]], dtype=D64)
    y = torch.tensor([1.0, -2.0, 0.5], dtype=D64)
    mu, sd = bo.gp_posterior(X, y, X, 0.2, 1.0, 1e-10)
    torch.testing.assert_close(mu, y, atol=1e-6, rtol=0)
    assert float(sd.max()) < 1e-3
    mu_far, sd_far = bo.gp_posterior(X, y, torch.tensor([[50.0]], dtype=D64), 0.2, 1.0, 1e-10, mean=0.3)
    assert float(mu_far) == pytest.approx(0.3) and float(sd_far) == pytest.approx(1.0)


def test_fit_lengthscale_recovers_the_lengthscale_of_a_gp_sample():
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(60, 1, generator=gen, dtype=D64)
    K = bo.rbf_kernel(X, X, 0.2) + 1e-8 * torch.eye(60, dtype=D64)
    y = torch.linalg.cholesky(K) @ torch.randn(60, generator=gen, dtype=D64)
    assert 0.1 < bo.fit_lengthscale(X, y) < 0.4


@pytest.mark.parametrize("mean, std, best, xi", [(0.0, 1.0, 0.0, 0.0), (1.0, 0.5, 0.2, 0.0), (-0.3, 2.0, 0.5, 0.1),
                                                  (0.4, 0.1, 1.0, 0.05)])
def test_expected_improvement_matches_monte_carlo(mean, std, best, xi):
    f = torch.distributions.Normal(mean, std).sample((400_000,), ).to(D64)
    gain = (best - xi - f).clamp_min(0)
    mc, se = float(gain.mean()), float(gain.std()) / math.sqrt(f.numel())
    ei = float(bo.expected_improvement(torch.tensor([mean], dtype=D64), torch.tensor([std], dtype=D64), best, xi))
    assert abs(ei - mc) < 4 * se + 1e-12, (ei, mc, se)


def test_expected_improvement_without_uncertainty_is_the_plain_improvement():
    ei = bo.expected_improvement(torch.tensor([0.0, 2.0], dtype=D64), torch.zeros(2, dtype=D64), 1.0)
    torch.testing.assert_close(ei, torch.tensor([1.0, 0.0], dtype=D64))


def _forrester(x):
    return float((6 * x[0] - 2) ** 2 * torch.sin(12 * x[0] - 4))


def test_bo_finds_the_minimum_of_a_1d_function_faster_than_random_search():
    """Forrester et al. (2008)'s function on [0, 1]: global minimum −6.0207 at x ≈ 0.7572, a local one near 0.14.
    Ten evaluations each (BO: 3 random + 7 by expected improvement), 12 seeds."""
    f_min = min(_forrester(torch.tensor([float(v)])) for v in torch.linspace(0, 1, 20001, dtype=D64))
    assert f_min == pytest.approx(-6.0207, abs=1e-4)
    bounds = torch.tensor([[0.0, 1.0]], dtype=D64)
    regret_bo = [float(bo.bayes_opt(_forrester, bounds, 7, n_init=3, seed=s).y.min()) - f_min for s in range(12)]
    regret_rs = [float(bo.random_search_box(_forrester, bounds, 10, seed=100 + s).y.min()) - f_min
                 for s in range(12)]
    assert np.mean(regret_bo) < 0.5 * np.mean(regret_rs), (np.mean(regret_bo), np.mean(regret_rs))
    assert np.median(regret_bo) < 0.01


def test_bo_starts_from_the_warm_start_design():
    bounds = torch.tensor([[0.0, 1.0]], dtype=D64)
    init = torch.tensor([[0.75], [0.2]], dtype=D64)
    res = bo.bayes_opt(_forrester, bounds, 2, init=init)
    torch.testing.assert_close(res.X[:2], init)
    assert res.X.shape == (4, 1) and res.y[0] == pytest.approx(_forrester(init[0]))


def test_kernel_ridge_objective_matches_sklearn():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(40, 1))
    y = np.sin(8 * X[:, 0]) + 0.1 * rng.standard_normal(40)
    lam, ell = 1e-2, 0.15
    ref = KernelRidge(alpha=lam, kernel="rbf", gamma=1 / (2 * ell ** 2)).fit(X[:25], y[:25])
    mse = float(np.mean((ref.predict(X[25:]) - y[25:]) ** 2))
    t = lambda a: torch.tensor(a, dtype=D64)  # noqa: E731
    f = bo.kernel_ridge_objective(t(X[:25]), t(y[:25]), t(X[25:]), t(y[25:]))
    assert f(torch.tensor([math.log10(lam), math.log10(ell)])) == pytest.approx(mse, rel=1e-8)


def test_meta_features_by_hand():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 2))
    y = rng.standard_normal(30)
    ys = y[np.argsort(X[:, 0])]
    sd = y.std(ddof=1)
    ref = [np.log(30), np.log(15), np.log(sd), np.abs(np.diff(ys)).mean() / sd]
    np.testing.assert_allclose(bo.regression_meta_features(torch.tensor(X), torch.tensor(y)).numpy(), ref,
                               rtol=1e-12)


def test_roughness_separates_smooth_targets_from_noise():
    x = torch.rand(400, 1, generator=torch.Generator().manual_seed(0), dtype=D64)
    smooth = bo.regression_meta_features(x, torch.sin(3 * x[:, 0]))[3]
    noise = bo.regression_meta_features(x, torch.randn(400, generator=torch.Generator().manual_seed(1),
                                                       dtype=D64))[3]
    assert float(smooth) < 0.05 and abs(float(noise) - 2 / math.sqrt(math.pi)) < 0.12


def test_nearest_datasets_match_brute_force_l1():
    rng = np.random.default_rng(5)
    past = rng.standard_normal((20, 4)) * np.array([1.0, 10.0, 0.1, 3.0])
    new = rng.standard_normal(4)
    scaled = cdist(new[None] / past.std(0, ddof=1), past / past.std(0, ddof=1), metric="cityblock")[0]
    idx = bo.nearest_datasets(torch.tensor(new), torch.tensor(past), 5)
    assert idx.tolist() == list(np.argsort(scaled, kind="stable")[:5])
    best = torch.tensor(rng.uniform(size=(20, 2)))
    torch.testing.assert_close(bo.warm_start_configs(torch.tensor(new), torch.tensor(past), best, 5), best[idx])


@pytest.mark.parametrize("call, fragment", [
    (lambda: bo.bayes_opt(_forrester, torch.tensor([[1.0, 0.0]], dtype=D64), 2), "bounds"),
    (lambda: bo.bayes_opt(_forrester, torch.tensor([[0.0, 1.0]], dtype=D64), -1), "n_iter"),
    (lambda: bo.bayes_opt(lambda x: float("nan"), torch.tensor([[0.0, 1.0]], dtype=D64), 1), "NaN|nan"),
    (lambda: bo.nearest_datasets(torch.zeros(3, dtype=D64), torch.zeros(2, 3, dtype=D64), 5), "k = 5"),
    (lambda: bo.gp_posterior(torch.zeros(3, 1, dtype=D64), torch.zeros(2, dtype=D64), torch.zeros(1, 1, dtype=D64),
                             0.1), "X"),
    (lambda: bo.rbf_kernel(torch.zeros(2, 1, dtype=D64), torch.zeros(2, 1, dtype=D64), 0.0), "lengthscale"),
    (lambda: bo.expected_improvement(torch.zeros(2, dtype=D64), -torch.ones(2, dtype=D64), 0.0), "std"),
])
def test_bad_input_gets_a_bilingual_message(call, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        call()
    assert any("а" <= ch <= "я" for ch in str(err.value.args[0]).lower())


def test_nearest_datasets_with_k_equal_to_all_past_datasets_sorts_them_all():
    rng = np.random.default_rng(6)
    past = rng.standard_normal((6, 3))
    new = rng.standard_normal(3)
    scaled = cdist(new[None] / past.std(0, ddof=1), past / past.std(0, ddof=1), metric="cityblock")[0]
    assert bo.nearest_datasets(torch.tensor(new), torch.tensor(past), 6).tolist() == list(np.argsort(scaled,
                                                                                                       kind="stable"))


@pytest.mark.parametrize("rows", [3, 5])
def test_warm_start_refuses_a_best_configuration_count_other_than_the_past_datasets(rows):
    past = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=D64)
    with pytest.raises(ValueError) as err:
        bo.warm_start_configs(past[0], past, torch.zeros(rows, 2, dtype=D64), 2)
    assert f"4 past meta-feature rows but {rows} best configurations" in str(err.value)
    assert f"строк метапризнаков 4, а лучших конфигураций {rows}" in str(err.value)


def test_xi_is_in_units_of_the_losses_standard_deviation_by_a_hand_written_step():
    """One BO step in 1-D by hand: the GP surrogate on the fixed grid, EI over the best loss with margin ξ·s, where
    s is the standard deviation of the losses so far; the next point is its argmax (and ξ = 0 would pick another)."""
    bounds = torch.tensor([[0.0, 1.0]], dtype=D64)
    init = torch.tensor([[0.0], [0.3], [0.8], [1.0]], dtype=D64)
    xi = 1.0
    res = bo.bayes_opt(_forrester, bounds, 1, init=init, xi=xi, candidates=201)
    y = torch.tensor([_forrester(x) for x in init], dtype=D64)
    grid = torch.linspace(0, 1, 201, dtype=D64).unsqueeze(1)
    mu, sd, _ = bo.fit_surrogate(init, y, grid, 1e-6)
    pick = lambda margin: grid[int(torch.argmax(bo.expected_improvement(mu, sd, float(y.min()), margin)))]  # noqa
    torch.testing.assert_close(res.X[-1], pick(xi * float(y.std())))
    assert not torch.equal(pick(xi * float(y.std())), pick(0.0))  # the margin matters here
    assert not torch.equal(pick(xi * float(y.std())), pick(xi / float(y.std())))


@pytest.mark.parametrize("bad", [[[0.0, 1.0]], torch.tensor([[0, 1]])])
def test_bounds_that_are_not_a_float_tensor_get_a_bilingual_type_error(bad):
    """A list or an integer tensor is refused by name in both languages (not a raw AttributeError or dtype error)."""
    with pytest.raises(TypeError) as err:
        bo.random_search_box(_forrester, bad, 3)
    assert "must be a floating-point tensor" in str(err.value) and "вещественным тензором" in str(err.value)


def test_bayes_opt_needs_at_least_one_initial_point():
    with pytest.raises(ValueError) as err:
        bo.bayes_opt(_forrester, torch.tensor([[0.0, 1.0]], dtype=D64), 2, n_init=0)
    assert "n_init must be an integer >= 1, got 0" in str(err.value) and "числом >= 1" in str(err.value)


def test_every_recorded_loss_is_the_objective_at_its_recorded_point():
    """BOResult's y[i] = f(X[i]) for the initial design and every proposal, in a box that is not [0, 1]."""
    bounds = torch.tensor([[2.0, 5.0]], dtype=D64)
    res = bo.bayes_opt(lambda x: float((x[0] - 3.3) ** 2), bounds, 3, n_init=2, candidates=64)
    assert bool(((res.X >= 2.0) & (res.X <= 5.0)).all())
    for x, y in zip(res.X, res.y):
        assert float(y) == pytest.approx(float((x[0] - 3.3) ** 2), rel=1e-12, abs=1e-15)


def test_surrogate_scales_with_the_losses():
    """Scale equivariance: losses c·y give mean c·μ and deviation c·σ (the lengthscale fit standardises y), also for
    c = 0.05 where the losses' standard deviation is below 1."""
    X, y = _data(n=10, d=1, seed=8)
    X, y = torch.tensor(X), torch.tensor(y) * 3.0
    grid = torch.linspace(0, 1, 7, dtype=D64).unsqueeze(1)
    mu, sd, _ = bo.fit_surrogate(X, y, grid)
    for c in (0.05, 4.0):
        mu_c, sd_c, _ = bo.fit_surrogate(X, c * y, grid)
        torch.testing.assert_close(mu_c, c * mu, rtol=1e-7, atol=1e-9)
        torch.testing.assert_close(sd_c, c * sd, rtol=1e-7, atol=1e-9)


def test_nearest_datasets_names_both_meta_feature_counts_in_both_languages():
    """3 meta-features in the past, 2 in the new dataset: the message states the two counts, EN and RU."""
    past = torch.zeros(4, 3, dtype=D64)
    with pytest.raises(ValueError) as err:
        bo.nearest_datasets(torch.zeros(2, dtype=D64), past, 1)
    assert "past has 3 meta-features, new has 2" in str(err.value)
    assert "у past 3 метапризнаков, у new — 2" in str(err.value)


def test_bayes_opt_starts_from_a_single_given_point_and_refuses_none():
    """A warm start from one point is valid: it is evaluated first, then BO proposes inside the box; an ``init``
    with no rows gets the bilingual message naming its shape."""
    bounds = torch.tensor([[0.0, 1.0]], dtype=D64)
    res = bo.bayes_opt(_forrester, bounds, 1, init=torch.tensor([[0.25]], dtype=D64))
    assert res.X.shape == (2, 1) and float(res.X[0, 0]) == 0.25
    assert res.y.tolist() == [_forrester(x) for x in res.X]
    with pytest.raises(ValueError) as err:
        bo.bayes_opt(_forrester, bounds, 1, init=torch.zeros(0, 1, dtype=D64))
    assert "init must be [m, 1] with m >= 1, got (0, 1)" in str(err.value)
    assert "init должен иметь форму [m, 1] при m >= 1, получено (0, 1)" in str(err.value)


def test_fit_lengthscale_searches_25_log_spaced_values_in_0_03_to_1_by_default():
    """Without ``grid``: the documented 25 values log-spaced in [0.03, 1], passed explicitly. A GP sample with
    lengthscale 0.2 puts the maximum inside the grid, where a grid of another size has other values."""
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(30, 1, generator=gen, dtype=D64)
    y = torch.linalg.cholesky(bo.rbf_kernel(X, X, 0.2) + 1e-8 * torch.eye(30, dtype=D64)) @ torch.randn(
        30, generator=gen, dtype=D64)
    grid = torch.logspace(math.log10(0.03), 0.0, 25, dtype=D64)
    best = bo.fit_lengthscale(X, y, grid=grid)
    assert 0.03 < best < 1.0
    assert bo.fit_lengthscale(X, y) == best
