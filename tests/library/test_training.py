"""metaopt_lib.training against ground truth: the loss against a hand formula, FISTA against the optimality
conditions (gradient / subgradient), masks and warm starts."""

import math

import pytest
import torch
import torch.nn.functional as F

from metaopt_lib import training as T


def _data(n=120, d=6, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64)
    Wt = torch.randn(k, d, generator=g, dtype=torch.float64) * 3
    y = (X @ Wt.T + 0.3 * torch.randn(n, k, generator=g, dtype=torch.float64)).argmax(1)
    return X, y, k


def test_logreg_loss_matches_hand_formula():
    X, y, k = _data()
    g = torch.Generator().manual_seed(1)
    W = torch.randn(k, X.shape[1], generator=g, dtype=torch.float64)
    b = torch.randn(k, generator=g, dtype=torch.float64)
    logits = X @ W.T + b
    nll = -(logits[torch.arange(len(y)), y] - torch.logsumexp(logits, 1)).mean()
    expected = nll + 0.1 * W.abs().sum() + 0.2 * (W ** 2).sum()
    assert torch.allclose(T.logreg_loss(W, b, X, y, l1=0.1, l2=0.2), expected)
    # the biases are not regularised
    assert torch.allclose(T.logreg_loss(W, b + 5, X, y, 0.0, 1.0) - T.logreg_loss(W, b + 5, X, y),
                          (W ** 2).sum())


def test_lipschitz_bound_dominates_the_hessian():
    X, y, k = _data(n=40, d=3)
    W = torch.randn(k, 3, dtype=torch.float64)
    b = torch.randn(k, dtype=torch.float64)
    flat = torch.cat([W.reshape(-1), b])

    def f(v):
        return T.logreg_loss(v[:k * 3].reshape(k, 3), v[k * 3:], X, y, l2=0.3)

    H = torch.autograd.functional.hessian(f, flat)
    assert torch.linalg.eigvalsh(H)[-1] <= T.lipschitz_logreg(X, l2=0.3) + 1e-9


def test_train_logreg_reaches_the_l2_optimum():
    X, y, k = _data()
    W, b = T.train_logreg(X, y, k, l2=0.01, epochs=3000, lr=1.0)
    gW, gb = torch.func.grad(lambda W_, b_: T.logreg_loss(W_, b_, X, y, l2=0.01), argnums=(0, 1))(W, b)
    assert gW.abs().max() < 1e-6 and gb.abs().max() < 1e-6


def test_train_logreg_l1_satisfies_subgradient_conditions():
    X, y, k = _data()
    l1 = 0.01
    W, b = T.train_logreg(X, y, k, l1=l1, epochs=4000, lr=1.0)
    gW, gb = torch.func.grad(lambda W_, b_: T.logreg_loss(W_, b_, X, y), argnums=(0, 1))(W, b)
    nz = W != 0
    assert (~nz).any(), "L1 should give exact zeros at this strength"
    assert torch.allclose(gW[nz], -l1 * torch.sign(W[nz]), atol=1e-5)  # ∇L + l1·sign(W) = 0
    assert (gW[~nz].abs() <= l1 + 1e-5).all()                          # |∇L| ≤ l1 where W = 0
    assert gb.abs().max() < 1e-5


def test_mask_keeps_pruned_weights_zero_and_warm_start_is_used():
    X, y, k = _data()
    W0, b0 = T.train_logreg(X, y, k, epochs=50)
    mask = torch.rand(W0.shape, generator=torch.Generator().manual_seed(3)) > 0.5
    W1, _ = T.train_logreg(X, y, k, epochs=30, mask=mask, init=(W0, b0))
    assert (W1[~mask] == 0).all() and (W1[mask] != 0).any()
    # zero epochs from a warm start return the (masked) start exactly
    W2, b2 = T.train_logreg(X, y, k, epochs=0, mask=mask, init=(W0, b0))
    assert torch.equal(W2, W0 * mask) and torch.equal(b2, b0)
    # determinism
    assert torch.equal(T.train_logreg(X, y, k, epochs=20, seed=5)[0], T.train_logreg(X, y, k, epochs=20, seed=5)[0])


def test_accuracy_counts_argmax_hits():
    X = torch.eye(3)
    W, b = torch.eye(3), torch.zeros(3)
    assert T.accuracy(W, b, X, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)


def test_bad_input_messages():
    X, y, k = _data()
    with pytest.raises(ValueError, match="labels"):
        T.train_logreg(X, y, 2)
    with pytest.raises(ValueError, match="mask"):
        T.train_logreg(X, y, k, mask=torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="2-D"):
        T.train_logreg(X[0], y, k)
    with pytest.raises(ValueError, match="shapes"):
        T.logreg_loss(torch.zeros(k, 2), torch.zeros(k), X, y)


def test_mlp_forward_matches_torch_modules_and_trains():
    X, y, k = _data(n=200, d=5, k=3)
    X = X.float()
    params = T.init_mlp((5, 7, 3), seed=0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    with torch.no_grad():
        net[0].weight.copy_(params["W1"]); net[0].bias.copy_(params["b1"])
        net[2].weight.copy_(params["W2"]); net[2].bias.copy_(params["b2"])
    assert torch.allclose(T.mlp_forward(params, X), net(X), atol=1e-6)
    assert torch.allclose(T.mlp_loss(params, X, y), F.cross_entropy(net(X), y), atol=1e-6)
    trained = T.train_mlp(X, y, k, hidden=(16,), epochs=200, lr=0.02)
    assert T.mlp_loss(trained, X, y) < T.mlp_loss(T.init_mlp((5, 16, 3), seed=0), X, y)
    assert T.mlp_accuracy(trained, X, y) > 1 / k + 0.3
    masks = {"W1": torch.rand(16, 5, generator=torch.Generator().manual_seed(0)) > 0.5}
    retrained = T.train_mlp(X, y, k, epochs=20, masks=masks, init=trained)
    assert (retrained["W1"][~masks["W1"]] == 0).all()
    assert math.isfinite(T.mlp_accuracy(retrained, X, y))


def test_adam_matches_torch_optim_adam():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 3, generator=g, dtype=torch.float64)
    p1 = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    p2 = p1.detach().clone().requires_grad_(True)
    ours, ref = T.Adam([p1], lr=0.05), torch.optim.Adam([p2], lr=0.05)
    for _ in range(25):
        for p, opt in ((p1, ours), (p2, ref)):
            opt.zero_grad()
            ((A @ p) ** 4).sum().backward()
            opt.step()
    assert torch.allclose(p1, p2, atol=1e-12)


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_lipschitz_bound_is_attained_for_two_classes_at_zero():
    """At W = 0, b = 0 with two classes, p = (½, ½) and diag p − ppᵀ has eigenvalue exactly ½, so the largest
    eigenvalue of the autograd Hessian equals Böhning's bound: the bound is exact, not just an upper bound."""
    g = torch.Generator().manual_seed(0)
    for n, d in ((1, 1), (3, 2), (5, 3)):
        X = torch.randn(n, d, generator=g, dtype=torch.float64)
        y = torch.randint(0, 2, (n,), generator=g)
        f = lambda v: T.logreg_loss(v[:2 * d].reshape(2, d), v[2 * d:], X, y)  # noqa: E731
        H = torch.autograd.functional.hessian(f, torch.zeros(2 * d + 2, dtype=torch.float64))
        assert float(torch.linalg.eigvalsh(H)[-1]) == pytest.approx(T.lipschitz_logreg(X), rel=1e-12)
        # with l2 the penalty's Hessian 2·l2·I on W lifts it by at most 2·l2
        fl = lambda v: T.logreg_loss(v[:2 * d].reshape(2, d), v[2 * d:], X, y, l2=0.2)  # noqa: E731
        Hl = torch.autograd.functional.hessian(fl, torch.zeros(2 * d + 2, dtype=torch.float64))
        top = float(torch.linalg.eigvalsh(Hl)[-1])
        assert top <= T.lipschitz_logreg(X, l2=0.2) + 1e-12
        assert T.lipschitz_logreg(X, l2=0.2) == pytest.approx(T.lipschitz_logreg(X) + 0.4, rel=1e-12)


def test_adam_with_a_zero_gradient_coordinate_matches_torch_optim_adam():
    grads = [torch.tensor([1.0, 0.0, -2.0]), torch.tensor([0.5, 0.0, 0.0]), torch.tensor([0.0, 0.0, 3.0]),
             torch.tensor([-1.0, 0.0, 0.0])]
    a = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    mine, ref = T.Adam([a], lr=0.01, betas=(0.8, 0.95), eps=1e-6), torch.optim.Adam([b], lr=0.01, betas=(0.8, 0.95),
                                                                                    eps=1e-6)
    for gr in grads:
        a.grad, b.grad = gr.double().clone(), gr.double().clone()
        mine.step()
        ref.step()
        assert torch.allclose(a, b, atol=1e-15, rtol=0)
    assert float(a[1]) == 0.2  # a coordinate that never had a gradient does not move
    assert float(a[2]) != 0.3


def test_mlp_loss_l2_term_and_train_logreg_step_size_by_hand():
    params = T.init_mlp((3, 4, 2), seed=1, dtype=torch.float64)
    X = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1])
    ce = F.cross_entropy(T.mlp_forward(params, X), y)
    expected = ce + 0.3 * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    assert float(T.mlp_loss(params, X, y, l2=0.3)) == pytest.approx(float(expected), abs=1e-13)
    for lr in (0.0, -0.5, float("nan")):
        with pytest.raises(ValueError, match="lr"):
            T.train_logreg(X, y, 2, lr=lr, epochs=1)


def test_init_mlp_is_kaiming_uniform_for_relu():
    """W_l ~ U(−√(6/n_in), √(6/n_in)) drawn in layer order from one generator — what torch.nn.init.kaiming_uniform_
    (gain √2 for ReLU) draws from the same generator; biases are zero."""
    sizes = (5, 40, 3)
    params = T.init_mlp(sizes, seed=7, dtype=torch.float64)
    g = torch.Generator().manual_seed(7)
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        ref = torch.nn.init.kaiming_uniform_(torch.empty(n_out, n_in, dtype=torch.float64), nonlinearity="relu",
                                             generator=g)
        torch.testing.assert_close(params[f"W{i}"], ref, rtol=1e-12, atol=1e-12)
        bound = math.sqrt(6.0 / n_in)
        W = params[f"W{i}"]
        assert W.min() >= -bound and W.max() <= bound and W.min() < -0.5 * bound and W.max() > 0.5 * bound
        assert torch.equal(params[f"b{i}"], torch.zeros(n_out, dtype=torch.float64))


@pytest.mark.parametrize("epochs", [1, 2, 3, 6])
def test_train_logreg_follows_a_hand_written_fista_loop_iterate_by_iterate(epochs):
    """FISTA as Beck & Teboulle (2009) write it: t₁ = 1, y₁ = x₀; x_k = prox(y_k − ∇f(y_k)/L),
    t_{k+1} = (1 + √(1 + 4t_k²))/2, y_{k+1} = x_k + (t_k − 1)/t_{k+1}·(x_k − x_{k−1}). The gradient by autograd of
    the mean cross-entropy + l2·ΣW², the prox soft thresholding, L from the eigenvalues of [X, 1]ᵀ[X, 1]/n with
    numpy (½λmax + 2·l2), the step lr/L. The first iterates differ if t₁ ≠ 1, which the optimum would not show."""
    import numpy as np

    g = torch.Generator().manual_seed(5)
    X = torch.randn(9, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 1])
    W0, b0 = torch.randn(3, 3, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    l1, l2, lr = 0.02, 0.05, 0.9
    Xt = np.hstack([X.numpy(), np.ones((9, 1))])
    step = lr / (0.5 * np.linalg.eigvalsh(Xt.T @ Xt / 9)[-1] + 2 * l2)
    x_prev, y_k, t = (W0, b0), (W0, b0), 1.0
    for _ in range(epochs):
        W, b = (v.clone().requires_grad_(True) for v in y_k)
        (F.cross_entropy(X @ W.T + b, y) + l2 * (W ** 2).sum()).backward()
        W_new, b_new = (W - step * W.grad).detach(), (b - step * b.grad).detach()
        W_new = torch.sign(W_new) * torch.clamp(W_new.abs() - step * l1, min=0)
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        y_k = tuple(new + (t - 1) / t_next * (new - old) for new, old in zip((W_new, b_new), x_prev))
        x_prev, t = (W_new, b_new), t_next
    W, b = T.train_logreg(X, y, 3, l1=l1, l2=l2, epochs=epochs, lr=lr, init=(W0, b0))
    assert torch.allclose(W, x_prev[0], rtol=0, atol=1e-12) and torch.allclose(b, x_prev[1], rtol=0, atol=1e-12)


def test_init_with_the_wrong_number_of_classes_names_its_rows_in_both_languages():
    """init W with 2 rows and 4 columns for n_classes = 3: the message states the 2 rows (not the 4 columns)."""
    X, y = torch.randn(6, 4, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError) as err:
        T.train_logreg(X, y, 3, epochs=1,
                       init=(torch.zeros(2, 4, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)))
    assert "init W has 2 rows, expected n_classes = 3" in str(err.value)
    assert "в начальной W 2 строк, ожидалось n_classes = 3" in str(err.value)


def test_init_mlp_uses_seed_zero_by_default():
    """Without seed: the same tensors as init_mlp(..., seed=0) called explicitly (and not those of seed 1)."""
    default, zero, one = T.init_mlp((4, 3, 2)), T.init_mlp((4, 3, 2), seed=0), T.init_mlp((4, 3, 2), seed=1)
    assert all(torch.equal(default[k], zero[k]) for k in zero)
    assert not torch.equal(default["W1"], one["W1"])


def test_train_mlp_has_one_hidden_layer_of_32_units_by_default():
    """Without ``hidden``, train_mlp builds one hidden layer of 32 units: W1 is [32, n_features], W2 [k, 32]."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(20, 5, generator=g)
    y = torch.arange(20) % 3
    params = T.train_mlp(X, y, 3, epochs=1)
    assert params["W1"].shape == (32, 5)
    assert params["W2"].shape == (3, 32)
