"""metaopt_lib.pruning against ground truth: exact mask counts, the autograd Hessian, brute-force constrained
minimisation for OBS, OBD = OBS for a diagonal Hessian, Hutchinson and Gauss–Newton against full matrices."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from metaopt_lib import pruning as P
from metaopt_lib import training as T


def _data(n=80, d=5, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, k, (n,), generator=g)
    return X, y, k


@pytest.mark.parametrize("numel", [1, 7, 10, 101])
@pytest.mark.parametrize("fraction", [0.0, 0.13, 0.5, 0.9, 0.99, 1.0])
def test_masks_remove_exactly_the_requested_count(numel, fraction):
    w = torch.randn(numel, generator=torch.Generator().manual_seed(numel))
    k = round(fraction * numel)
    assert (~P.random_mask(w, fraction, torch.Generator().manual_seed(0))).sum() == k
    m = P.magnitude_mask(w, fraction)
    assert (~m).sum() == k
    if 0 < k < numel:  # every removed |w| ≤ every kept |w|
        assert w.abs()[~m].max() <= w.abs()[m].min()


def test_magnitude_ties_are_broken_deterministically():
    w = torch.tensor([[1.0, -1.0, 1.0], [0.5, 1.0, -0.5]])
    m = P.magnitude_mask(w, 0.5)  # remove 3: both 0.5's, then the first 1.0 in flat order
    assert m.tolist() == [[False, True, True], [False, True, False]]


def test_global_and_layerwise_masks():
    params = {"a": torch.tensor([0.1, 5.0, 0.2, 4.0]), "b": torch.tensor([[3.0, 0.05], [2.0, 1.0]])}
    glob = P.global_magnitude_masks(params, 0.5)
    assert glob["a"].tolist() == [False, True, False, True]
    assert glob["b"].tolist() == [[True, False], [True, False]]
    lay = P.layerwise_magnitude_masks(params, 0.5)
    assert [(~m).sum().item() for m in lay.values()] == [2, 2]
    assert lay["b"].tolist() == [[True, False], [True, False]]
    with pytest.raises(ValueError, match="fraction"):
        P.magnitude_mask(params["a"], 1.5)


def test_logreg_hessian_diag_equals_autograd_hessian():
    X, y, k = _data()
    g = torch.Generator().manual_seed(1)
    W = torch.randn(k, X.shape[1], generator=g, dtype=torch.float64)
    b = torch.randn(k, generator=g, dtype=torch.float64)
    H = torch.autograd.functional.hessian(lambda w: T.logreg_loss(w.reshape(W.shape), b, X, y), W.reshape(-1))
    assert torch.allclose(P.logreg_hessian_diag(W, b, X).reshape(-1), torch.diagonal(H), atol=1e-12)


def test_obd_saliency_is_the_loss_increase_of_a_quadratic():
    # for a quadratic loss with a diagonal Hessian, deleting w_i raises it by exactly h_ii w_i² / 2
    h = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    w = torch.tensor([1.0, -0.3, 0.7], dtype=torch.float64)
    loss = lambda v: 0.5 * (h * (v - w) ** 2).sum()
    for i in range(3):
        v = w.clone(); v[i] = 0
        assert torch.isclose(loss(v), P.obd_saliency(w, h)[i])


def test_obs_equals_obd_for_a_diagonal_hessian():
    h = torch.tensor([0.5, 2.0, 3.0, 0.1], dtype=torch.float64)
    w = torch.tensor([1.0, -0.3, 0.7, 2.0], dtype=torch.float64)
    assert torch.allclose(P.obs_saliency(w, torch.diag(1 / h)), P.obd_saliency(w, h))
    # and the OBS update then moves no other weight
    new = P.obs_prune(w, torch.diag(1 / h), 2)
    assert torch.equal(new, torch.tensor([1.0, -0.3, 0.0, 2.0], dtype=torch.float64))


def _spd(u, seed):
    A = torch.randn(u, u, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return A @ A.T + 0.5 * torch.eye(u, dtype=torch.float64)


def test_obs_matches_brute_force_constrained_minimum():
    u = 5
    H = _spd(u, 0)
    w = torch.randn(u, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    H_inv = torch.linalg.inv(H)
    for q in range(u):
        # ground truth: minimise ½ δwᵀ H δw over the free coordinates with δw_q = −w_q (a linear solve)
        free = [i for i in range(u) if i != q]
        d = torch.zeros(u, dtype=torch.float64); d[q] = -w[q]
        d[free] = torch.linalg.solve(H[free][:, free], -H[free, q] * d[q])
        assert torch.allclose(P.obs_prune(w, H_inv, q), w + d, atol=1e-10)
        assert torch.isclose(P.obs_saliency(w, H_inv)[q], 0.5 * d @ H @ d)


def test_obs_prune_many_keeps_removed_weights_zero_and_is_optimal_for_its_set():
    u = 6
    H = _spd(u, 2)
    w = torch.randn(u, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    new, removed = P.obs_prune_many(w, H, 3)
    assert len(set(removed)) == 3 and (new[removed] == 0).all()
    free = [i for i in range(u) if i not in removed]
    d = torch.zeros(u, dtype=torch.float64); d[removed] = -w[removed]
    d[free] = torch.linalg.solve(H[free][:, free], -H[free][:, removed] @ d[removed])
    assert torch.allclose(new, w + d, atol=1e-10)
    # the first choice is the best single removal by exhaustive search
    costs = [P.obs_saliency(w, torch.linalg.inv(H))[q] for q in range(u)]
    assert removed[0] == min(range(u), key=lambda q: costs[q])


def test_hutchinson_estimate_converges_to_the_hessian_diagonal():
    X, y, _ = _data(n=60, d=4, k=3)
    X = X.float()
    params = T.init_mlp((4, 5, 3), seed=0)
    loss = lambda p: T.mlp_loss(p, X, y)
    flat, unravel = _flatten(params)
    H = torch.autograd.functional.hessian(lambda v: loss(unravel(v)), flat)
    est = P.hutchinson_hessian_diag(loss, params, n_samples=100, generator=torch.Generator().manual_seed(0))
    est_flat = torch.cat([est[k].reshape(-1) for k in params])
    # the estimator's std per entry is ≤ sqrt(Σ_{j≠i} H_ij² / m); allow 4 standard errors
    off = (H ** 2).sum(1) - torch.diagonal(H) ** 2
    tol = 4 * torch.sqrt(off / 100) + 1e-5
    assert ((est_flat - torch.diagonal(H)).abs() <= tol).all()


def test_gauss_newton_diag_matches_full_gauss_newton_matrix():
    X, _, _ = _data(n=30, d=4, k=3)
    X = X.float()
    params = T.init_mlp((4, 5, 3), seed=1)
    flat, unravel = _flatten(params)
    J = torch.autograd.functional.jacobian(lambda v: T.mlp_forward(unravel(v), X), flat)  # [n, K, P]
    p = torch.softmax(T.mlp_forward(params, X), 1)
    Hout = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    G = torch.einsum("nkp,nkl,nlq->pq", J, Hout, J) / X.shape[0]
    gn = P.gauss_newton_diag_mlp(params, X, chunk=7)
    assert torch.allclose(torch.cat([gn[k].reshape(-1) for k in params]), torch.diagonal(G), atol=1e-6)


def _flatten(params):
    shapes = {k: v.shape for k, v in params.items()}
    flat = torch.cat([v.reshape(-1) for v in params.values()])

    def unravel(v):
        out, i = {}, 0
        for k, s in shapes.items():
            n = s.numel(); out[k] = v[i:i + n].reshape(s); i += n
        return out
    return flat, unravel


def test_prune_logreg_methods():
    X, y, k = _data(n=150, d=8, k=3)
    W, b = T.train_logreg(X, y, k, l2=1e-3, epochs=100)
    for method in ["random", "magnitude", "obd", "magnitude_retrain", "obd_retrain", "random_retrain_random_init"]:
        Wp, _ = P.prune_logreg(method, 0.5, W=W, b=b, X_train=X, y_train=y, n_classes=k, l2=1e-3,
                               retrain_epochs=20)
        assert (Wp == 0).sum() >= 12, method
    # no retraining: pruning keeps the surviving weights as they were
    Wp, _ = P.prune_logreg("magnitude", 0.25, W=W, b=b, X_train=X, y_train=y, n_classes=k)
    assert torch.equal(Wp, W * P.magnitude_mask(W, 0.25))
    # retraining from the previous optimum never ends with a higher training loss than not retraining
    Wr, br = P.prune_logreg("magnitude_retrain", 0.75, W=W, b=b, X_train=X, y_train=y, n_classes=k, l2=1e-3)
    Wn, bn = P.prune_logreg("magnitude", 0.75, W=W, b=b, X_train=X, y_train=y, n_classes=k)
    assert T.logreg_loss(Wr, br, X, y, l2=1e-3) <= T.logreg_loss(Wn, bn, X, y, l2=1e-3)
    accs = P.prune_curve("magnitude", [0.0, 1.0], W=W, b=b, X_train=X, y_train=y, X_test=X, y_test=y,
                         n_classes=k)
    assert accs[0] == T.accuracy(W, b, X, y)
    assert accs[1] == T.accuracy(torch.zeros_like(W), b, X, y)
    assert len(P.PRUNE_METHODS) == 12 and "saliency_retrain" in P.PRUNE_METHODS
    with pytest.raises(ValueError, match="unknown method"):
        P.prune_logreg("magnitude_retrainx", 0.5, W=W, b=b, X_train=X, y_train=y, n_classes=k)
    with pytest.raises(ValueError, match="unknown method"):
        P.prune_logreg("magnitud", 0.5, W=W, b=b, X_train=X, y_train=y, n_classes=k)


def test_bayesian_compression_group_criteria():
    mu = torch.tensor([1.0, 0.01, -2.0])
    sigma = torch.tensor([0.1, 0.5, 30.0])
    # log σ − log|μ|: [log 0.1, log 50, log 15]
    assert torch.allclose(P.group_log_dropout(mu, sigma), torch.log(torch.tensor([0.1, 50.0, 15.0])))
    assert P.jeffreys_group_mask(mu, sigma, threshold=1.5).tolist() == [True, False, False]
    assert P.jeffreys_group_mask(mu, sigma, threshold=3.0).tolist() == [True, False, True]
    # model 2: log(s z_i) ~ N(μ_s + μ_i, σ_s² + σ_i²) under log-normal q; check the mean by sampling
    g = torch.Generator().manual_seed(0)
    mu_s, mu_z = torch.tensor(-1.0), torch.tensor([0.5, -3.0])
    s = torch.exp(mu_s + 0.3 * torch.randn(20000, 1, generator=g))
    z = torch.exp(mu_z + 0.2 * torch.randn(20000, 2, generator=g))
    assert torch.allclose(torch.log(s * z).mean(0), P.horseshoe_group_log_scale(mu_s, mu_z), atol=0.02)
    assert P.horseshoe_group_mask(mu_s, mu_z, threshold=-2.0).tolist() == [True, False]


def test_horseshoe_prior_draws_are_half_cauchy_scale_mixtures():
    g = torch.Generator().manual_seed(0)
    w = P.sample_horseshoe_weights(20000, 1, global_scale=1.0, generator=g).reshape(-1)
    # w = s z ŵ: median of |w| against a Monte-Carlo of the same product built with torch.distributions
    hc = torch.distributions.HalfCauchy(1.0)
    torch.manual_seed(1)
    ref = (hc.sample((1,)) * hc.sample((20000,)) * torch.randn(20000)).abs()
    # both are conditionally on s the same law; compare the shape with s factored out
    ratio = (w.abs() / w.abs().median()).quantile(torch.tensor([0.25, 0.75]))
    ratio_ref = (ref / ref.median()).quantile(torch.tensor([0.25, 0.75]))
    assert torch.allclose(ratio, ratio_ref, rtol=0.08)


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_obd_with_l2_uses_the_hessian_of_the_penalised_loss_h_plus_2_l2():
    """prune_logreg("obd", l2 > 0) ranks by diag ∇²(CE + l2ΣW²)·W²/2, the diagonal from autograd's full Hessian."""
    X, y, k = _data(seed=3, d=8)
    X = X * torch.linspace(0.2, 3, 8, dtype=torch.float64)  # features of different scales: h varies
    l2 = 0.1
    W, b = T.train_logreg(X, y, k, l2=l2, epochs=300)
    H = torch.autograd.functional.hessian(lambda v: T.logreg_loss(v.reshape(W.shape), b, X, y, l2=l2),
                                          W.reshape(-1))
    sal = torch.diagonal(H).reshape(W.shape) * W ** 2 / 2
    sal_wrong = (P.logreg_hessian_diag(W, b, X) + l2) * W ** 2 / 2  # h + l2 (a dropped factor 2)
    differs = False
    for fraction in (0.2, 0.4, 0.6, 0.8):
        Wp, _ = P.prune_logreg("obd", fraction, W=W, b=b, X_train=X, y_train=y, n_classes=k, l2=l2)
        assert torch.equal(Wp != 0, P.saliency_mask(sal, fraction))
        differs |= not torch.equal(P.saliency_mask(sal, fraction), P.saliency_mask(sal_wrong, fraction))
    assert differs  # the test can tell h + 2·l2 from h + l2


@pytest.mark.parametrize("shapes", [((3,), (2,), (4, 3)), ((2, 3), (2,), (3,)), ((2, 3), (2,), (4, 2)),
                                    ((2, 3), (3,), (4, 3)), ((2, 3), (2, 1), (4, 3))])
def test_logreg_hessian_diag_checks_every_shape(shapes):
    W, b, X = (torch.zeros(s, dtype=torch.float64) for s in shapes)
    with pytest.raises(ValueError, match=r"(?s)W \[K, d\].*\n.*[а-я]"):
        P.logreg_hessian_diag(W, b, X)


@pytest.mark.parametrize("q", [-1, 4, 9])
def test_obs_prune_rejects_an_index_out_of_range(q):
    with pytest.raises(ValueError, match=r"(?s)q = .*\n.*[а-я]"):
        P.obs_prune(torch.ones(4, dtype=torch.float64), torch.eye(4, dtype=torch.float64), q)


def test_horseshoe_draws_against_a_hand_written_sampler():
    """w_ij = s z_i ŵ_ij with s = λ₀|N₁/N₂|, z_i = |N/N| and ŵ ~ N(0, 1), drawn in this order from one stream."""
    out = P.sample_horseshoe_weights(4, 3, global_scale=0.7, generator=torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    s = 0.7 * (torch.randn(1, generator=g) / torch.randn(1, generator=g)).abs()
    z = (torch.randn(4, 1, generator=g) / torch.randn(4, 1, generator=g)).abs()
    assert torch.equal(out, s * z * torch.randn(4, 3, generator=g))


@pytest.mark.parametrize("w_shape, h_shape", [((3,), (2,)), ((2,), (3,)), ((2, 3), (3, 2))])
def test_obd_saliency_rejects_mismatched_shapes_either_way(w_shape, h_shape):
    with pytest.raises(ValueError, match=r"(?s)same shape.*\n.*[а-я]"):
        P.obd_saliency(torch.ones(w_shape), torch.ones(h_shape))


@pytest.mark.parametrize("shape", [(3, 3), (1, 3), (2, 2)])
def test_prune_logreg_saliency_must_be_shaped_like_w(shape):
    X, y, k = _data(k=2)
    W, b = torch.ones(2, 5, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="saliency"):
        P.prune_logreg("saliency", 0.5, W=W, b=b, X_train=X, y_train=y, n_classes=k,
                       saliency=torch.ones(shape, dtype=torch.float64))


@pytest.mark.parametrize("n", [-1, 4, 10])
def test_obs_prune_many_rejects_a_count_out_of_range(n):
    with pytest.raises(ValueError, match=r"(?s)n = .*\n.*[а-я]"):
        P.obs_prune_many(torch.ones(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64), n)


def test_prune_curve_takes_the_data_by_keyword_only():
    """W, b and the data after the fractions are keyword-only (a swapped positional X_train/X_test cannot slip by)."""
    W, b, X, y = torch.zeros(2, 3), torch.zeros(2), torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
    with pytest.raises(TypeError):
        P.prune_curve("magnitude", [0.5], W, b, X, y, X, y, 2)


def test_prune_logreg_retrains_for_100_epochs_by_default():
    """"magnitude_retrain" without retrain_epochs = the magnitude mask, then train_logreg for 100 epochs from the
    previous optimum with that mask (what the signature documents), called by hand."""
    g = torch.Generator().manual_seed(2)
    X = torch.randn(12, 4, generator=g, dtype=torch.float64)
    y = torch.arange(12) % 3
    W, b = torch.randn(3, 4, generator=g, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    keep = W.abs() >= W.abs().flatten().sort().values[6]  # the 6 smallest of 12 removed
    expected = T.train_logreg(X, y, 3, l2=0.01, epochs=100, lr=0.5, mask=keep, init=(W, b))
    got = P.prune_logreg("magnitude_retrain", 0.5, W=W, b=b, X_train=X, y_train=y, n_classes=3, l2=0.01)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    fewer = T.train_logreg(X, y, 3, l2=0.01, epochs=99, lr=0.5, mask=keep, init=(W, b))
    assert not torch.equal(fewer[0], expected[0])  # 99 epochs would be told apart


def test_hutchinson_with_zero_probes_is_refused_not_nan():
    """0 probes would be the mean of nothing (0/0 = NaN): a bilingual error naming n_samples and its bound."""
    with pytest.raises(ValueError) as err:
        P.hutchinson_hessian_diag(lambda p: (p["w"] ** 2).sum(), {"w": torch.ones(3, dtype=torch.float64)},
                                  n_samples=0)
    assert "argument n_samples = 0 must be" in str(err.value)
    assert "аргумент n_samples = 0 должен быть" in str(err.value)


def test_horseshoe_draws_a_single_group_and_refuses_none():
    """n_groups = 1 is a valid prior (one group of weights sharing z_1): shape [1, 3], w = s·z_1·ŵ with every
    |w_1j| / |ŵ_1j| equal; n_groups = 0 is refused in both languages."""
    w = P.sample_horseshoe_weights(1, 3, generator=torch.Generator().manual_seed(0))
    assert w.shape == (1, 3) and bool(torch.isfinite(w).all())
    with pytest.raises(ValueError) as err:
        P.sample_horseshoe_weights(0, 3)
    assert "n_groups" in str(err.value) and "должны быть положительны" in str(err.value)
