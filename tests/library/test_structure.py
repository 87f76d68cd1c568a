"""metaopt_lib.structure against ground truth: the IBP's closed-form moments (K₊ ~ Poisson with mean
α Σ β/(β+j−1); each customer takes Poisson(α) dishes)."""

import math

import pytest
import torch

from metaopt_lib import structure as S


def test_expected_dishes_formula():
    # β = 1: α H_N (the one-parameter IBP); hand values
    assert S.ibp_expected_dishes(3, 2.0, 1.0) == pytest.approx(2 * (1 + 1 / 2 + 1 / 3))
    assert S.ibp_expected_dishes(2, 1.0, 2.0) == pytest.approx(1 + 2 / 3)
    with pytest.raises(ValueError, match="positive"):
        S.ibp_expected_dishes(5, -1.0)


@pytest.mark.parametrize("alpha,beta", S.SLIDE_SETTINGS)
def test_ibp_moments_match_the_closed_forms(alpha, beta):
    g = torch.Generator().manual_seed(0)
    N, R = 20, 1500
    draws = [S.sample_ibp(N, alpha, beta, g) for _ in range(R)]
    K = torch.tensor([float(Z.shape[1]) for Z in draws])
    mean = S.ibp_expected_dishes(N, alpha, beta)
    # K₊ is Poisson: its standard error is sqrt(mean / R); its variance equals its mean
    assert abs(K.mean() - mean) < 4 * math.sqrt(mean / R)
    assert abs(K.var() / mean - 1) < 4 * math.sqrt(2 / R) + 0.05
    # every customer (first and last alike: exchangeability) takes Poisson(α) dishes
    first = torch.tensor([Z[0].sum().item() for Z in draws])
    last = torch.tensor([Z[-1].sum().item() for Z in draws])
    for rows in (first, last):
        assert abs(rows.mean() - alpha) < 4 * math.sqrt(alpha / R)


def test_ibp_matrix_is_binary_and_every_dish_is_taken():
    Z = S.sample_ibp(30, 2.0, 1.0, torch.Generator().manual_seed(1))
    assert set(Z.unique().tolist()) <= {0.0, 1.0}
    assert (Z.sum(0) >= 1).all()
    # in order of first appearance: the first row's dishes come first
    first_taker = [int(torch.nonzero(Z[:, k])[0]) for k in range(Z.shape[1])]
    assert first_taker == sorted(first_taker)


def test_left_ordered_form():
    Z = torch.tensor([[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=torch.float32)
    L = S.left_ordered(Z)
    assert L.tolist() == [[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1]]
    assert torch.equal(S.left_ordered(L), L)  # idempotent
    assert torch.equal(S.left_ordered(Z[:, [3, 0, 2, 1]]), L)  # invariant to column permutations


def test_plot_ibp_draws_one_panel_per_setting_with_its_draw():
    """One 3.2 × 3.6-inch panel per (α, β); each panel shows the draw ``sample_ibp`` gives for the same generator
    sequence, and its title states α, β, K₊ of that draw and the closed-form E K₊."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = ((1.0, 1.0), (2.0, 0.5))
    axes = S.plot_ibp(settings, n_customers=12, seed=4)
    try:
        assert len(axes) == 2
        assert tuple(axes[0].figure.get_size_inches()) == pytest.approx((3.2 * 2, 3.6))
        g = torch.Generator().manual_seed(4)
        for ax, (alpha, beta) in zip(axes, settings):
            Z = S.sample_ibp(12, alpha, beta, g)
            assert f"α = {alpha:g}, β = {beta:g}" in ax.get_title()
            assert f"K₊ = {Z.shape[1]}, E K₊ = {S.ibp_expected_dishes(12, alpha, beta):.1f}" in ax.get_title()
            shown = ax.images[0].get_array()
            assert shown.shape == (12, max(Z.shape[1], 1))
            if Z.shape[1]:
                assert (shown == Z.numpy()).all()
    finally:
        plt.close("all")


def test_expected_dishes_default_is_the_one_parameter_ibp():
    """Without β: the one-parameter IBP (β = 1), E K₊ = α H_N with H_N the harmonic number (hand values)."""
    assert S.ibp_expected_dishes(4, 1.5) == pytest.approx(1.5 * (1 + 1 / 2 + 1 / 3 + 1 / 4), rel=1e-15)


def test_plot_ibp_draws_with_seed_zero_by_default():
    """Without ``seed``: the panels show the draws of ``sample_ibp`` from a generator seeded with 0."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = ((3.0, 1.0), (2.0, 2.0))
    axes = S.plot_ibp(settings, n_customers=10)
    try:
        g = torch.Generator().manual_seed(0)
        for ax, (alpha, beta) in zip(axes, settings):
            Z = S.sample_ibp(10, alpha, beta, g)
            assert f"K₊ = {Z.shape[1]}," in ax.get_title()
            assert ax.images[0].get_array().shape == (10, Z.shape[1]) and (ax.images[0].get_array() == Z.numpy()).all()
    finally:
        plt.close("all")


def test_slide_settings_are_the_five_panels_of_the_lecture_slide():
    """The (α, β) of panels (a)–(e) of the MIPT lecture slide on the Indian buffet process, written out by hand:
    (1, 1), (1, 1/2), (1/2, 1), (1, 2), (3/2, 1)."""
    assert S.SLIDE_SETTINGS == ((1.0, 1.0), (1.0, 0.5), (0.5, 1.0), (1.0, 2.0), (1.5, 1.0))
