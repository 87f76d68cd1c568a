"""metaopt_lib.protonet against independent ground truths: prototypes, distances, softmax and cross-entropy by hand
(numpy), the loss gradient by central finite differences, and the linear form of Snell et al. (2017), §2.3."""

import numpy as np
import pytest
import torch
from torch import nn

from metaopt_lib import protonet as pn
from metaopt_lib import tasks
from metaopt_lib.tasks import TaskBatch

D64 = torch.float64


def _episode(n_way=3, k_shot=2, q=4, dim=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = torch.randn(n_way * k_shot, dim, generator=g, dtype=D64)
    ys = torch.arange(n_way).repeat_interleave(k_shot)[torch.randperm(n_way * k_shot, generator=g)]
    xq = torch.randn(n_way * q, dim, generator=g, dtype=D64)
    yq = torch.arange(n_way).repeat_interleave(q)
    return xs, ys, xq, yq


def _numpy_episode(es, ys, eq, yq, n_way):
    protos = np.stack([es[ys == k].mean(0) for k in range(n_way)])
    d = np.array([[np.sum((e - c) ** 2) for c in protos] for e in eq])
    logits = -d
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return protos, d, p, -np.mean(np.log(p[np.arange(len(yq)), yq]))


def test_prototypes_distances_softmax_and_loss_by_hand():
    xs, ys, xq, yq = _episode()
    protos, d, p, loss = _numpy_episode(xs.numpy(), ys.numpy(), xq.numpy(), yq.numpy(), 3)
    np.testing.assert_allclose(pn.prototypes(xs, ys, 3).numpy(), protos, rtol=1e-12)
    np.testing.assert_allclose(pn.squared_distances(xq, pn.prototypes(xs, ys, 3)).numpy(), d, rtol=1e-12)
    np.testing.assert_allclose(torch.softmax(pn.proto_logits(xs, ys, xq, 3), -1).numpy(), p, rtol=1e-10)
    identity = lambda params, x: x  # noqa: E731
    assert float(pn.episode_loss(identity, {}, xs, ys, xq, yq, 3)) == pytest.approx(loss, rel=1e-12)
    acc = float(pn.episode_accuracy(identity, {}, xs, ys, xq, yq, 3))
    assert acc == pytest.approx(np.mean(p.argmax(1) == yq.numpy()))


def test_squared_euclidean_prototypes_are_a_linear_classifier():
    """Snell et al. 2017, §2.3: −‖f − c_k‖² = 2c_kᵀf − ‖c_k‖² − ‖f‖², and ‖f‖² is the same for every class."""
    xs, ys, xq, _ = _episode(seed=1)
    c = pn.prototypes(xs, ys, 3)
    linear = 2 * xq @ c.T - (c * c).sum(1)
    logits = pn.proto_logits(xs, ys, xq, 3)
    torch.testing.assert_close(logits + (xq * xq).sum(1, keepdim=True), linear)
    torch.testing.assert_close(torch.softmax(logits, -1), torch.softmax(linear, -1))


def _small_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()


def test_loss_gradient_matches_central_finite_differences():
    xs, ys, xq, yq = _episode(seed=2)
    net = _small_net()
    embed = pn.functional_embedding(net)
    params = {k: v.detach().clone().requires_grad_(True) for k, v in net.named_parameters()}
    loss = pn.episode_loss(embed, params, xs, ys, xq, yq, 3)
    grads = torch.autograd.grad(loss, list(params.values()))
    h = 1e-6
    for (name, p), g in zip(params.items(), grads):
        fd = torch.zeros_like(p)
        for i in range(p.numel()):
            plus = {k: v.detach().clone() for k, v in params.items()}
            minus = {k: v.detach().clone() for k, v in params.items()}
            plus[name].view(-1)[i] += h
            minus[name].view(-1)[i] -= h
            fd.view(-1)[i] = (pn.episode_loss(embed, plus, xs, ys, xq, yq, 3)
                              - pn.episode_loss(embed, minus, xs, ys, xq, yq, 3)) / (2 * h)
        torch.testing.assert_close(g, fd, rtol=1e-6, atol=1e-8, msg=name)


def test_batch_functions_equal_the_per_episode_loop():
    episodes = [_episode(seed=s) for s in range(4)]
    batch = TaskBatch(*(torch.stack([e[i] for e in episodes]) for i in range(4)))
    net = _small_net(1)
    embed = pn.functional_embedding(net)
    params = dict(net.named_parameters())
    looped = torch.stack([pn.episode_loss(embed, params, *e, 3) for e in episodes]).mean()
    torch.testing.assert_close(pn.batch_loss(embed, params, batch, 3), looped)
    accs = torch.stack([pn.episode_accuracy(embed, params, *e, 3) for e in episodes])
    torch.testing.assert_close(pn.batch_accuracy(embed, params, batch, 3), accs.detach())


def test_meta_training_lowers_the_episode_loss_on_rotated_digits():
    torch.manual_seed(0)
    images = tasks.rotated_digits(tasks.digit_classes("train"))
    gen = torch.Generator().manual_seed(0)
    net = pn.embedding_net(32)
    embed = pn.functional_embedding(net)
    _, history = pn.train_protonet(embed, dict(net.named_parameters()),
                                   lambda: tasks.sample_episodes(images, 5, 1, 5, 8, gen), 60, 5)
    assert len(history) == 60 and np.mean(history[-10:]) < 0.6 * np.mean(history[:10])


@pytest.mark.parametrize("mutate, fragment", [
    (lambda xs, ys, xq, yq: (xs, torch.zeros_like(ys), xq, yq), "no support example"),
    (lambda xs, ys, xq, yq: (xs, ys + 5, xq, yq), "0..2"),
    (lambda xs, ys, xq, yq: (xs, ys, xq, yq - 1), "0..2"),
    (lambda xs, ys, xq, yq: (xs, ys.double(), xq, yq), "integer"),
    (lambda xs, ys, xq, yq: (xs, ys, xq, yq[:-1]), "query"),
])
def test_bad_episodes_get_a_clear_message(mutate, fragment):
    xs, ys, xq, yq = mutate(*_episode())
    identity = lambda params, x: x  # noqa: E731
    with pytest.raises(ValueError, match=fragment) as err:
        pn.episode_loss(identity, {}, xs, ys, xq, yq, 3)
    assert any("а" <= ch <= "я" for ch in str(err.value).lower())


def test_bad_batches_get_a_bilingual_message():
    episodes = [_episode(seed=s) for s in range(2)]
    batch = list(torch.stack([e[i] for e in episodes]) for i in range(4))
    batch[1] = torch.zeros_like(batch[1])
    with pytest.raises(ValueError, match="прототип") as err:
        pn.batch_loss(lambda p, x: x, {}, batch, 3)
    assert "prototype" in str(err.value)
    batch[1] = batch[1] + 7
    with pytest.raises(ValueError, match="0..2"):
        pn.batch_accuracy(lambda p, x: x, {}, batch, 3)


def test_default_embedding_is_the_body_of_the_course_digits_net():
    """``embedding_net()`` is 64-64-64 with ReLU: the parameter shapes of ``tasks.digits_net`` without its head."""
    body = [(name, tuple(p.shape)) for name, p in tasks.digits_net(5).named_parameters() if not name.startswith("4.")]
    assert [(name, tuple(p.shape)) for name, p in pn.embedding_net().named_parameters()] == body
    assert body[0][1] == (64, 64)


def test_large_episodes_are_accepted_and_match_the_numpy_loss():
    """Shapes are compared by value: 300 support and 600 query points (beyond CPython's cached small integers)
    pass the checks, and the loss is still the hand-computed one."""
    xs, ys, xq, yq = _episode(n_way=3, k_shot=100, q=200, dim=4, seed=2)
    *_, loss = _numpy_episode(xs.numpy(), ys.numpy(), xq.numpy(), yq.numpy(), 3)
    identity = lambda params, x: x  # noqa: E731
    assert float(pn.episode_loss(identity, {}, xs, ys, xq, yq, 3)) == pytest.approx(loss, rel=1e-10)


def test_out_of_range_query_labels_name_the_range_in_both_languages():
    xs, ys, xq, yq = _episode(n_way=4)
    with pytest.raises(ValueError) as err:
        pn.episode_loss(lambda params, x: x, {}, xs, ys, xq, yq + 1, 4)
    assert "query labels must be integers in 0..3" in str(err.value)
    assert "метки запросного множества должны быть целыми числами от 0 до 3" in str(err.value)


def test_the_missing_class_message_names_only_the_classes_without_support():
    xs, _, xq, yq = _episode()
    ys = torch.tensor([0, 0, 2, 2, 0, 2])  # class 1 (of 0..2) has no support example
    identity = lambda params, x: x  # noqa: E731
    with pytest.raises(ValueError) as err:
        pn.episode_loss(identity, {}, xs, ys, xq, yq, 3)
    assert "classes [1] have no support example" in str(err.value)
    assert "у классов [1] нет ни одного примера" in str(err.value)


def test_a_meta_batch_of_three_tensors_gets_the_bilingual_four_tensor_message():
    """(xs, ys, xq) without yq is refused by the library's own message, in English and Russian, not by Python's
    English-only unpacking error."""
    episodes = [_episode(seed=s) for s in range(2)]
    batch = tuple(torch.stack([e[i] for e in episodes]) for i in range(3))
    with pytest.raises(ValueError) as err:
        pn.batch_loss(lambda p, x: x, {}, batch, 3)
    msg = str(err.value)
    assert "tasks must be (xs, ys, xq, yq)" in msg
    assert "tasks должен быть (xs, ys, xq, yq)" in msg
