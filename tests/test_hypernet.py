"""Hypernetworks against independent ground truths: models retrained at fixed λ (L-BFGS, checked
by its zero gradient and against FISTA), the MLP of
metaopt_lib.training, sorting for magnitude pruning, a grid of retrained models for the tuned λ."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from metaopt_lib import hypernet as H
from metaopt_lib import training
from metaopt_lib.checkpoint import checkpoint_path, load_checkpoint
from metaopt_lib.data import load_digits

LOGREG = (64, 10)
LAM_RANGE = (1e-3, 1e2)
FIVE_LAMBDAS = (0.01, 0.1, 1.0, 10.0, 30.0)
ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = checkpoint_path("hypernet")


def _script():
    spec = importlib.util.spec_from_file_location("train_hypernet", ROOT / "scripts" / "train_hypernet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def checkpoint():
    return load_checkpoint("hypernet")


@pytest.fixture(scope="module")
def digits():
    ds = load_digits()
    return ds.split_validation(0.25, seed=0)


@pytest.fixture(scope="module")
def logreg_hypernet(checkpoint):
    """The shipped hypernetwork of lecture 06 (scripts/train_hypernet.py; its first steps are re-run below)."""
    run = checkpoint["runs"]["logreg_l2"]
    assert tuple(run["config"]["sizes"]) == LOGREG and tuple(run["config"]["lam_range"]) == LAM_RANGE
    return run["phi"], run["first_losses"] + run["last_losses"]


@pytest.mark.parametrize("name", ["logreg_l2", "mlp_l1"])
def test_a_short_run_of_the_script_reproduces_the_checkpoint(name, checkpoint):
    """The first 20 Adam steps of scripts/train_hypernet.py give the logged losses (relative tolerance 1e-4:
    float32 sums may be reordered across machines and thread counts)."""
    _, losses, _ = _script().train(name, steps=20)
    logged = checkpoint["runs"][name]["first_losses"][:20]
    assert len(logged) == 20
    assert losses == pytest.approx(logged, rel=1e-4)
    assert CHECKPOINT.stat().st_size < 1_000_000


def test_forward_matches_training_mlp_forward():
    sizes = (5, 4, 3, 2)
    g = torch.Generator().manual_seed(0)
    flat = torch.randn(3, H.n_params(sizes), generator=g)
    X = torch.randn(7, 5, generator=g)
    out = H.forward(flat, X, sizes)
    assert out.shape == (3, 7, 2)
    for k in range(3):
        params = H.unflatten(flat[k], sizes)
        assert torch.allclose(out[k], training.mlp_forward(params, X), atol=1e-6)
        assert torch.allclose(H.forward(flat[k], X, sizes), out[k])
    assert H.n_params(sizes) == 5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2


def test_penalty_and_mask_cover_weights_only():
    sizes = (3, 2)
    flat = torch.arange(1.0, 9.0)  # W1 = 1..6, b1 = 7, 8
    assert H.weight_mask(sizes).tolist() == [True] * 6 + [False] * 2
    assert H.penalty(flat, sizes, "l2").item() == sum(v * v for v in range(1, 7))
    assert H.penalty(-flat, sizes, "l1").item() == sum(range(1, 7))
    with pytest.raises(ValueError, match="penalty"):
        H.penalty(flat, sizes, "l0")


def test_objective_matches_training_logreg_loss(digits):
    """CE + (λ/N)‖W‖² equals training.logreg_loss with l2 = λ/N (an independent implementation)."""
    X, y, _, _ = digits
    g = torch.Generator().manual_seed(1)
    flat = 0.1 * torch.randn(H.n_params(LOGREG), generator=g)
    p = H.unflatten(flat, LOGREG)
    lam = 3.0
    want = training.logreg_loss(p["W1"], p["b1"], X, y, l2=lam / X.shape[0])
    assert H.objective(flat, torch.tensor(lam), X, y, LOGREG).item() == pytest.approx(want.item(), rel=1e-6)


def test_best_response_is_the_minimum(digits):
    """L-BFGS's w*(λ): zero gradient (a convex problem: the global minimum), and no loss above
training.train_logreg's FISTA on the same problem."""
    X, y, _, _ = digits
    lam = 1.0
    w = H.best_response(X, y, LOGREG, lam).double().requires_grad_(True)
    loss = H.objective(w, torch.tensor(lam, dtype=torch.float64), X.double(), y, LOGREG)
    (grad,) = torch.autograd.grad(loss, w)
    assert grad.abs().max() < 1e-5
    W, b = training.train_logreg(X.double(), y, 10, l2=lam / X.shape[0], epochs=300, lr=1.0)
    fista = training.logreg_loss(W, b, X.double(), y, l2=lam / X.shape[0]).item()
    assert loss.item() <= fista + 1e-7  # no other solver goes below the minimum
    assert loss.item() == pytest.approx(fista, abs=2e-3)


def test_hypernetwork_learns_the_best_response_at_five_lambdas(digits, logreg_hypernet):
    """Lorraine & Duvenaud (2018): one hypernetwork ≈ the models retrained at each λ — validation loss within 5%,
    and its training objective at λ no more than 2% above the retrained minimum (never below: that is the minimum)."""
    X, y, Xv, yv = digits
    phi, losses = logreg_hypernet
    assert losses[-1] < 0.5 * losses[0]
    val_losses_retrained = []
    for lam in FIVE_LAMBDAS:
        w_star = H.best_response(X, y, LOGREG, lam)
        w_hyper = H.hypernet_weights(phi, lam)[0]
        val_star = H.cross_entropy(w_star, Xv, yv, LOGREG).item()
        val_hyper = H.cross_entropy(w_hyper, Xv, yv, LOGREG).item()
        assert abs(val_hyper / val_star - 1) < 0.05, (lam, val_hyper, val_star)
        train_star = H.objective(w_star, torch.tensor(lam), X, y, LOGREG).item()
        train_hyper = H.objective(w_hyper, torch.tensor(lam), X, y, LOGREG).item()
        assert train_star - 1e-5 <= train_hyper <= 1.02 * train_star, (lam, train_hyper, train_star)
        val_losses_retrained.append(val_star)
    # the five λ give genuinely different models (a constant hypernetwork could not pass)
    assert max(val_losses_retrained) > 3 * min(val_losses_retrained)


def test_tune_lambda_through_the_hypernetwork_finds_the_retrained_optimum(digits, logreg_hypernet):
    X, y, Xv, yv = digits
    phi, _ = logreg_hypernet
    lam_hat, history = H.tune_lambda(phi, Xv, yv, LOGREG, lam0=10.0, steps=150, lr=0.1)
    assert history[-1] < history[0]
    grid = [10 ** (k / 3) for k in range(-6, 4)]  # 1e-2 .. 1e1, three points a decade
    val = [H.cross_entropy(H.best_response(X, y, LOGREG, lam), Xv, yv, LOGREG).item() for lam in grid]
    best = min(val)
    val_at_hat = H.cross_entropy(H.best_response(X, y, LOGREG, lam_hat), Xv, yv, LOGREG).item()
    assert val_at_hat <= best * 1.03, (lam_hat, val_at_hat, best)


def test_magnitude_prune_against_sorting():
    sizes = (4, 3)
    g = torch.Generator().manual_seed(0)
    flat = torch.randn(2, H.n_params(sizes), generator=g)
    pruned = H.magnitude_prune(flat, sizes, 0.5)
    mask = H.weight_mask(sizes)
    for k in range(2):
        w = flat[k][mask]
        sixth_smallest = w.abs().sort().values[5]  # 12 weights, half removed: the 6 smallest |w| go
        assert torch.equal(pruned[k][mask] == 0, w.abs() <= sixth_smallest)
        assert torch.equal(pruned[k][~mask], flat[k][~mask])  # biases are kept
    assert torch.equal(H.magnitude_prune(flat, sizes, 0.0), flat)
    assert (H.magnitude_prune(flat, sizes, 1.0)[:, mask] == 0).all()
    with pytest.raises(ValueError, match="fraction"):
        H.magnitude_prune(flat, sizes, 1.5)


def test_pruning_curve_at_zero_is_the_accuracy(digits, logreg_hypernet):
    _, _, Xv, yv = digits
    phi, _ = logreg_hypernet
    acc = H.pruning_curve(phi, [0.01, 1.0], [0.0, 0.5, 1.0], Xv, yv, LOGREG)
    assert acc.shape == (2, 3)
    for i, lam in enumerate([0.01, 1.0]):
        w = H.hypernet_weights(phi, lam)[0].detach()
        p = H.unflatten(w, LOGREG)
        assert acc[i, 0].item() == pytest.approx(training.accuracy(p["W1"], p["b1"], Xv, yv))
        # all weights removed: predictions come from the biases alone, one class for every sample
        assert acc[i, 2].item() == pytest.approx((yv == p["b1"].argmax()).double().mean().item())


def test_bad_input_is_refused(digits):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match="lam_range"):
        H.train_hypernet(X, y, LOGREG, (1.0, 0.1), steps=1)
    with pytest.raises(ValueError, match=r"X must be \[N, 64\]"):
        H.train_hypernet(X[:, :10], y, LOGREG, (0.1, 1.0), steps=1)
    with pytest.raises(ValueError, match="positive"):
        H.hypernet_weights(H.init_hypernet(LOGREG, (0.0, 1.0)), -1.0)
    with pytest.raises(ValueError, match="expected 650 parameters"):
        H.unflatten(torch.zeros(10), LOGREG)
    with pytest.raises(ValueError, match="sizes"):
        H.param_shapes((64,))
    with pytest.raises(FileNotFoundError, match="train_hypernet"):
        load_checkpoint("/nonexistent/hypernet.pt")


def test_training_is_deterministic(digits):
    X, y, _, _ = digits
    a = H.train_hypernet(X, y, LOGREG, (0.1, 10.0), steps=5, seed=3)
    b = H.train_hypernet(X, y, LOGREG, (0.1, 10.0), steps=5, seed=3)
    assert a[1] == b[1] and all(torch.equal(a[0][k], b[0][k]) for k in a[0])
    assert math.isfinite(a[1][-1])


def test_complexity_control_larger_lambda_degrades_more_slowly(checkpoint):
    """Grebenkova et al. (2023) on the shipped L1 hypernetwork: after removing 90% of the weights by magnitude the
    model at λ = 1 keeps more test accuracy than at λ = 0.1 and λ = 0.01, while unpruned all three are within 2%."""
    ds = load_digits()
    run = checkpoint["runs"]["mlp_l1"]
    acc = H.pruning_curve(run["phi"], [0.01, 0.1, 1.0], [0.0, 0.9], ds.X_test, ds.y_test, run["config"]["sizes"])
    assert acc[:, 0].max() - acc[:, 0].min() < 0.02
    assert acc[2, 1] > acc[1, 1] and acc[2, 1] > acc[0, 1]
    assert acc[2, 1] > 0.9 and acc[0, 1] < acc[0, 0] - 0.05


def test_train_hypernet_losses_by_value_against_a_hand_written_loop():
    """Every logged loss is the stratified Monte-Carlo objective of that step, before its Adam step."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(12, 3, generator=g)
    y = torch.randint(0, 2, (12,), generator=g)
    sizes, lam_range, n_l = (3, 2), (0.01, 10.0), 4
    phi, losses = H.train_hypernet(X, y, sizes, lam_range, steps=5, n_lambdas=n_l, lr=0.05, seed=3, hidden=3)
    ref = {k: v.clone() for k, v in H.init_hypernet(sizes, (math.log(0.01), math.log(10.0)), 3, 3).items()}
    params = [v.requires_grad_(True) for k, v in ref.items() if k != "log_range"]
    opt = torch.optim.Adam(params, lr=0.05)
    gen = torch.Generator().manual_seed(4)
    expected = []
    for _ in range(5):
        u = (torch.arange(n_l) + torch.rand(n_l, generator=gen)) / n_l
        lam = torch.exp(math.log(0.01) + u * (math.log(10.0) - math.log(0.01)))
        per = []
        for j in range(n_l):
            w = H.hypernet_weights(ref, lam[j])[0]
            W, b = w[:6].reshape(2, 3), w[6:]
            ce = torch.nn.functional.cross_entropy(X @ W.T + b, y)
            per.append(ce + lam[j] * (W ** 2).sum() / 12)
        loss = torch.stack(per).mean()
        expected.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses == pytest.approx(expected, rel=1e-5)
