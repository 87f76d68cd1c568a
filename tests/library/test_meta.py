"""The MAML family (metaopt_lib.meta) against independent ground truths on tiny float64 models:
finite differences, the explicit second-order formula with a full autograd Hessian, a Python loop over tasks
with plain autograd, and the closed form of gradient descent on least squares (Reptile)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.functional import hessian
from torch.func import functional_call

from metaopt_lib import meta, tasks
from metaopt_lib.checkpoint import load_checkpoint
from metaopt_lib.seeding import set_seed

ALPHA = 0.3  # a large inner step makes the Hessian term matter


def tiny():
    set_seed(0)
    net = nn.Sequential(nn.Linear(1, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    loss = meta.functional_loss(net, F.mse_loss)
    g = torch.Generator().manual_seed(1)
    tb = tasks.sample_sinusoid_tasks(3, 4, 5, generator=g)
    tb = tasks.TaskBatch(*(t.double() for t in tb))
    return net, loss, meta.params_of(net, requires_grad=False), tb


def flat(params):
    return torch.cat([v.reshape(-1) for v in params.values()])


def unflat(vec, like):
    out, i = {}, 0
    for k, v in like.items():
        out[k] = vec[i:i + v.numel()].reshape(v.shape)
        i += v.numel()
    return out


def finite_difference(fn, params, eps=1e-6):
    v0 = flat(params)
    out = torch.zeros_like(v0)
    for j in range(v0.numel()):
        e = torch.zeros_like(v0)
        e[j] = eps
        out[j] = (fn(unflat(v0 + e, params)) - fn(unflat(v0 - e, params))) / (2 * eps)
    return out


def explicit_one_step(loss, params, tb, alpha, second_order=True):
    """mean_i (I − α H_s,i(θ)) ∇L_q,i(θ − α ∇L_s,i(θ)), Hessian by torch.autograd.functional.hessian."""
    v0 = flat(params)
    total = torch.zeros_like(v0)
    for i in range(tb.n_tasks):
        def ls(v):
            return loss(unflat(v, params), tb.xs[i], tb.ys[i])

        def lq(v):
            return loss(unflat(v, params), tb.xq[i], tb.yq[i])

        gs = torch.autograd.functional.jacobian(ls, v0)
        gq = torch.autograd.functional.jacobian(lq, v0 - alpha * gs)
        if second_order:
            H = hessian(ls, v0)
            total += (torch.eye(v0.numel(), dtype=v0.dtype) - alpha * H) @ gq
        else:
            total += gq
    return total / tb.n_tasks


def loop_maml(loss, params, tb, alpha, steps, adapt=None):
    """MAML with plain autograd, tasks in a Python loop (create_graph=True), independent of torch.func."""
    theta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    names = list(theta) if adapt is None else list(adapt)
    total = 0.0
    for i in range(tb.n_tasks):
        fast = dict(theta)
        for _ in range(steps):
            lo = loss(fast, tb.xs[i], tb.ys[i])
            gs = torch.autograd.grad(lo, [fast[k] for k in names], create_graph=True)
            fast = {**fast, **{k: fast[k] - alpha * g for k, g in zip(names, gs)}}
        total = total + loss(fast, tb.xq[i], tb.yq[i])
    total = total / tb.n_tasks
    grads = torch.autograd.grad(total, list(theta.values()))
    return dict(zip(theta, grads)), total.detach()


def test_maml_meta_gradient_equals_finite_differences_and_explicit_formula():
    _, loss, params, tb = tiny()
    g, value = meta.maml_grad(loss, params, tb, ALPHA)
    fd = finite_difference(lambda p: meta.maml_objective(loss, p, tb, ALPHA), params)
    explicit = explicit_one_step(loss, params, tb, ALPHA)
    torch.testing.assert_close(flat(g), fd, rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(flat(g), explicit, rtol=1e-10, atol=1e-12)
    # the meta-loss is the mean query loss after one explicit SGD step
    expected = torch.stack([loss(unflat(flat(params) - ALPHA * torch.autograd.functional.jacobian(
        lambda v: loss(unflat(v, params), tb.xs[i], tb.ys[i]), flat(params)), params), tb.xq[i], tb.yq[i])
        for i in range(tb.n_tasks)]).mean()
    torch.testing.assert_close(value, expected)


def test_several_inner_steps_match_finite_differences():
    _, loss, params, tb = tiny()
    g, _ = meta.maml_grad(loss, params, tb, ALPHA, steps=3)
    fd = finite_difference(lambda p: meta.maml_objective(loss, p, tb, ALPHA, steps=3), params)
    torch.testing.assert_close(flat(g), fd, rtol=1e-6, atol=1e-8)


def test_first_order_maml_is_maml_without_the_hessian_term():
    _, loss, params, tb = tiny()
    fo, _ = meta.maml_grad(loss, params, tb, ALPHA, first_order=True)
    so, _ = meta.maml_grad(loss, params, tb, ALPHA)
    torch.testing.assert_close(flat(fo), explicit_one_step(loss, params, tb, ALPHA, second_order=False),
                               rtol=1e-10, atol=1e-12)
    # the Hessian term is not negligible here, so the test above could tell the two apart
    assert (flat(fo) - flat(so)).norm() > 1e-3 * flat(so).norm()


@pytest.mark.parametrize("steps", [1, 2])
def test_vmap_over_tasks_equals_a_python_loop(steps):
    _, loss, params, tb = tiny()
    g, value = meta.maml_grad(loss, params, tb, ALPHA, steps=steps)
    g_loop, value_loop = loop_maml(loss, params, tb, ALPHA, steps)
    torch.testing.assert_close(value, value_loop)
    for k in g:
        torch.testing.assert_close(g[k], g_loop[k], rtol=1e-10, atol=1e-12)


def test_anil_adapts_the_head_only_and_matches_a_loop():
    _, loss, params, tb = tiny()
    head = ["2.weight", "2.bias"]
    g, _ = meta.anil_grad(loss, params, tb, ALPHA, head=head, steps=2)
    g_loop, _ = loop_maml(loss, params, tb, ALPHA, 2, adapt=head)
    for k in g:
        torch.testing.assert_close(g[k], g_loop[k], rtol=1e-10, atol=1e-12)
    full, _ = meta.maml_grad(loss, params, tb, ALPHA, steps=2)
    assert (flat(full) - flat(g)).norm() > 1e-4  # adapting the body as well gives another gradient
    fast = meta.inner_sgd(loss, params, tb.xs[0], tb.ys[0], ALPHA, steps=2, adapt=head)
    assert torch.equal(fast["0.weight"], params["0.weight"])
    assert not torch.equal(fast["2.weight"], params["2.weight"])


def test_reptile_update_equals_its_closed_form_on_least_squares():
    """k SGD steps on L(w) = mean (Xw − y)^2 give w_k − w* = (I − αH)^k (w − w*), H = 2XᵀX/m, so Reptile's
    step is θ + ε·mean_i (W_i − θ) with W_i in closed form."""
    set_seed(3)
    d, m, n, k, alpha, eps = 3, 8, 4, 5, 0.05, 0.7
    net = nn.Linear(d, 1, bias=False).double()
    loss = meta.functional_loss(net, F.mse_loss)
    params = meta.params_of(net, requires_grad=False)
    X = torch.randn(n, m, d, dtype=torch.float64)
    Y = torch.randn(n, m, 1, dtype=torch.float64)
    tb = tasks.TaskBatch(X[:, :5], Y[:, :5], X[:, 5:], Y[:, 5:])
    new = meta.reptile_update(loss, params, tb, alpha, k, eps)
    theta = params["weight"].reshape(d, 1)
    ws = []
    for i in range(n):
        H = 2 * X[i].T @ X[i] / m
        w_star = torch.linalg.lstsq(X[i], Y[i]).solution
        ws.append(w_star + torch.linalg.matrix_power(torch.eye(d, dtype=torch.float64) - alpha * H, k)
                  @ (theta - w_star))
    expected = theta + eps * (torch.stack(ws).mean(0) - theta)
    torch.testing.assert_close(new["weight"], expected.reshape(1, d), rtol=1e-10, atol=1e-12)


def test_reptile_with_one_step_is_joint_gradient_descent():
    """With k = 1 and ε = 1, W_i − θ = −α∇L_i(θ): Reptile's step is a step on the mean loss (Nichol et al. 2018)."""
    _, loss, params, tb = tiny()
    new = meta.reptile_update(loss, params, tb, ALPHA, 1, 1.0)
    g, _ = meta.pretrain_grad(loss, params, tb)
    for k in params:
        torch.testing.assert_close(new[k], params[k] - ALPHA * g[k], rtol=1e-10, atol=1e-12)


def test_pretrain_gradient_is_the_gradient_of_the_joint_loss():
    _, loss, params, tb = tiny()
    g, value = meta.pretrain_grad(loss, params, tb)

    def joint(p):
        return torch.stack([loss(p, torch.cat([tb.xs[i], tb.xq[i]]), torch.cat([tb.ys[i], tb.yq[i]]))
                            for i in range(tb.n_tasks)]).mean()

    torch.testing.assert_close(flat(g), finite_difference(joint, params), rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(value, joint(params))


def test_adaptation_curve_follows_explicit_sgd():
    net, loss, params, tb = tiny()
    curve = meta.adaptation_curve(loss, params, tb, ALPHA, 3)
    assert curve.shape == (4, tb.n_tasks)
    for i in range(tb.n_tasks):
        w = flat(params).clone()
        for s in range(4):
            p = unflat(w, params)
            torch.testing.assert_close(curve[s, i], F.mse_loss(functional_call(net, p, (tb.xq[i],)), tb.yq[i]))
            w = w - ALPHA * torch.autograd.functional.jacobian(
                lambda v: loss(unflat(v, params), tb.xs[i], tb.ys[i]), w)


def test_functions_do_not_modify_the_model_or_params():
    net, loss, params, tb = tiny()
    before = {k: v.clone() for k, v in params.items()}
    module_before = {k: v.clone() for k, v in net.state_dict().items()}
    meta.maml_grad(loss, params, tb, ALPHA, steps=2)
    meta.reptile_update(loss, params, tb, ALPHA, 2, 0.5)
    for k in params:
        assert torch.equal(params[k], before[k])
    for k, v in net.state_dict().items():
        assert torch.equal(v, module_before[k])


@pytest.mark.parametrize("method", ["maml", "fomaml", "anil", "reptile", "pretrain"])
def test_meta_training_lowers_its_objective_on_held_out_sinusoids(method):
    """150 meta-iterations lower each method's own objective on 100 held-out tasks by more than 20%:
    the query MSE after one inner step (pre-training: before adaptation). Measured ratios are 0.60-0.73."""
    g = set_seed(0)
    net = tasks.sinusoid_net()
    loss = meta.functional_loss(net, F.mse_loss)
    theta0 = meta.params_of(net)
    held = tasks.sample_sinusoid_tasks(100, 10, 50, generator=torch.Generator().manual_seed(7))
    steps = 0 if method == "pretrain" else 1
    head = ["4.weight", "4.bias"] if method == "anil" else None
    before = meta.adaptation_curve(loss, theta0, held, 0.01, 1, adapt=head)[steps].mean()
    theta, history = meta.meta_train(loss, theta0, lambda: tasks.sample_sinusoid_tasks(10, 10, generator=g), 150,
                                     method=method, inner_lr=0.01 if method != "reptile" else 0.02, meta_lr=0.005,
                                     steps=5 if method == "reptile" else 1, epsilon=0.5, head=head)
    after = meta.adaptation_curve(loss, theta, held, 0.01, 1, adapt=head)[steps].mean()
    assert len(history) == 150
    assert after < 0.8 * before, (before, after)


def test_bad_input_is_reported_clearly():
    _, loss, params, tb = tiny()
    with pytest.raises(ValueError, match="tasks must be"):
        meta.maml_grad(loss, params, tb[:2], ALPHA)
    with pytest.raises(ValueError, match="number of tasks"):
        meta.maml_grad(loss, params, (tb.xs, tb.ys, tb.xq[:2], tb.yq[:2]), ALPHA)
    with pytest.raises(ValueError, match="steps"):
        meta.maml_grad(loss, params, tb, ALPHA, steps=-1)
    with pytest.raises(ValueError, match="positive"):
        meta.maml_grad(loss, params, tb, 0.0)
    with pytest.raises(KeyError, match="not in params"):
        meta.anil_grad(loss, params, tb, ALPHA, head=["head.weight"])
    with pytest.raises(ValueError, match="unknown method"):
        meta.meta_train(loss, params, lambda: tb, 1, method="mamal")
    with pytest.raises(TypeError, match="nn.Module"):
        meta.functional_loss(lambda x: x, F.mse_loss)


def test_mean_ci95():
    m, c = meta.mean_ci95(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert m == pytest.approx(2.5)
    assert c == pytest.approx(1.96 * 1.2909944 / 2, rel=1e-6)


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_reptile_history_and_parameters_match_a_hand_written_loop():
    """meta_train(method="reptile"): the history holds each iteration's pre-update query loss, and θ moves by
    ε·(mean adapted weights − θ), each task adapted by k SGD steps on its support and query sets joined."""
    loss = lambda p, x, y: ((x @ p["w"] + p["b"] - y) ** 2).mean()  # noqa: E731
    g = torch.Generator().manual_seed(0)
    batches = [tuple(torch.randn(3, 5, k, generator=g, dtype=torch.float64) for k in (2, 1, 2, 1)) for _ in range(4)]
    it = iter(batches)
    theta0 = {"w": torch.tensor([[0.5], [-0.3]], dtype=torch.float64), "b": torch.tensor([0.1], dtype=torch.float64)}
    lr, k, eps = 0.1, 2, 0.5
    out, history = meta.meta_train(loss, theta0, lambda: next(it), 4, method="reptile", inner_lr=lr, steps=k,
                                   epsilon=eps)
    w, b = theta0["w"].clone(), theta0["b"].clone()
    expected = []
    for xs, ys, xq, yq in batches:
        expected.append(float(sum(((xq[i] @ w + b - yq[i]) ** 2).mean() for i in range(3)) / 3))
        adapted_w, adapted_b = [], []
        for i in range(3):
            x, y = torch.cat([xs[i], xq[i]]), torch.cat([ys[i], yq[i]])
            wi, bi = w.clone(), b.clone()
            for _ in range(k):
                r = x @ wi + bi - y
                gw, gb = 2 * x.T @ r / r.numel(), 2 * r.mean(0)
                wi, bi = wi - lr * gw, bi - lr * gb
            adapted_w.append(wi)
            adapted_b.append(bi)
        w = w + eps * (torch.stack(adapted_w).mean(0) - w)
        b = b + eps * (torch.stack(adapted_b).mean(0) - b)
    assert history == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert torch.allclose(out["w"], w, atol=1e-12) and torch.allclose(out["b"], b, atol=1e-12)


def test_inner_sgd_takes_one_step_by_default():
    """Without ``steps``: θ − α∇L(θ) with the gradient by plain autograd."""
    _, loss, params, tb = tiny()
    theta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    g = torch.autograd.grad(loss(theta, tb.xs[0], tb.ys[0]), list(theta.values()))
    out = meta.inner_sgd(loss, params, tb.xs[0], tb.ys[0], ALPHA)
    for (k, v), gk in zip(params.items(), g):
        torch.testing.assert_close(out[k], v - ALPHA * gk, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["maml", "fomaml"])
def test_meta_train_maml_and_fomaml_follow_adam_on_the_loop_gradients(method):
    """Two meta-iterations on a fixed meta-batch: θ follows torch.optim.Adam fed with the gradients of the
    plain-autograd loop (second order for "maml"; the inner gradient detached for "fomaml") and the history holds
    the meta-losses before each update."""
    _, loss, params, tb = tiny()
    out, history = meta.meta_train(loss, params, lambda: tb, 2, method=method, inner_lr=ALPHA, meta_lr=0.05)
    theta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.Adam(theta.values(), lr=0.05)
    expected = []
    for _ in range(2):
        if method == "maml":
            grads, value = loop_maml(loss, {k: v.detach() for k, v in theta.items()}, tb, ALPHA, 1)
        else:
            fo, value = meta.maml_grad(loss, {k: v.detach() for k, v in theta.items()}, tb, ALPHA, first_order=True)
            v0 = flat({k: v.detach() for k, v in theta.items()})
            grads = unflat(explicit_one_step(loss, unflat(v0, params), tb, ALPHA, second_order=False), params)
        for k, p in theta.items():
            p.grad = grads[k]
        opt.step()
        expected.append(float(value))
    assert history == pytest.approx(expected, rel=1e-10)
    for k in params:
        torch.testing.assert_close(out[k], theta[k].detach(), rtol=1e-9, atol=1e-11)


def test_load_checkpoint_reads_the_shipped_file_and_names_a_missing_one():
    """metaopt_lib.checkpoint.load_checkpoint(name) is torch.load of metaopt_lib/checkpoints/<name>.pt (weights only); an unknown name is
    refused in both languages with the path it looked for."""
    from pathlib import Path
    path = Path(meta.__file__).resolve().parent / "checkpoints" / "maml_sinusoid.pt"
    got, want = load_checkpoint("maml_sinusoid"), torch.load(path, weights_only=True)
    assert got.keys() == want.keys()
    with pytest.raises(FileNotFoundError) as err:
        load_checkpoint("no_such_run")
    assert "no_such_run.pt" in str(err.value) and "нет контрольной точки" in str(err.value)


def test_anil_takes_one_inner_step_by_default():
    """Without ``steps``: the hand-written loop's gradient with one inner step on the head."""
    _, loss, params, tb = tiny()
    head = ["2.weight", "2.bias"]
    g, _ = meta.anil_grad(loss, params, tb, ALPHA, head=head)
    g_loop, _ = loop_maml(loss, params, tb, ALPHA, 1, adapt=head)
    for k in g:
        torch.testing.assert_close(g[k], g_loop[k], rtol=1e-10, atol=1e-12)


def test_meta_train_steps_with_adam_at_1e_3_by_default():
    """Without ``meta_lr``: one meta-iteration is torch.optim.Adam with lr 1e-3 fed the loop's MAML gradient."""
    _, loss, params, tb = tiny()
    out, _ = meta.meta_train(loss, params, lambda: tb, 1, inner_lr=ALPHA)
    theta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    grads, _ = loop_maml(loss, params, tb, ALPHA, 1)
    for k, p in theta.items():
        p.grad = grads[k]
    torch.optim.Adam(theta.values(), lr=1e-3).step()
    for k in params:
        torch.testing.assert_close(out[k], theta[k].detach(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("steps", [1.5, True])
def test_a_fractional_or_boolean_number_of_inner_steps_is_refused_in_both_languages(steps):
    _, loss, params, tb = tiny()
    with pytest.raises(ValueError, match="steps must be an integer >= 0") as err:
        meta.maml_objective(loss, params, tb, ALPHA, steps=steps)
    assert "steps должно быть целым >= 0" in str(err.value)


def test_meta_train_callback_gets_each_iterations_own_loss():
    """The callback at iteration ``it`` receives the loss that meta_train returns as history[it] (over 3 Adam
    iterations, whose losses differ)."""
    _, loss, params, tb = tiny()
    seen = []
    _, history = meta.meta_train(loss, params, lambda: tb, 3, method="maml", inner_lr=ALPHA, meta_lr=0.05,
                                 callback=lambda it, theta, value: seen.append((it, value)))
    assert len(set(history)) == 3
    assert seen == [(i, history[i]) for i in range(3)]
