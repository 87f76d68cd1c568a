"""Prototypical networks (Snell, Swersky & Zemel 2017): metric-based few-shot classification.

An embedding network f_φ maps every image to a vector. In an N-way episode the **prototype** of class c is the mean
embedding of its support examples, and a query x is classified by a softmax over negative squared Euclidean
distances to the prototypes:

    c_k = (1/|S_k|) Σ_{(x_i, y_i) ∈ S, y_i = k} f_φ(x_i),
    p_φ(y = k | x) = exp(−‖f_φ(x) − c_k‖²) / Σ_k' exp(−‖f_φ(x) − c_k'‖²).

Meta-training minimises the query cross-entropy −log p_φ(y | x) over random episodes of the training classes by
ordinary gradient descent on φ; adapting to a new task needs no gradient step at all — only the class means. With
the squared Euclidean distance the classifier is linear in f_φ(x): logits 2c_kᵀf − ‖c_k‖² (plus a term common to all
classes), Snell et al. 2017, §2.3. Episodes are :class:`metaopt_lib.tasks.TaskBatch` es (task = dimension 0); the
embedding network enters through ``embed(params, x)`` (:func:`functional_embedding`).
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from metaopt_lib.aliases import Embed, Params
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

__all__ = ["embedding_net", "functional_embedding", "prototypes", "squared_distances", "proto_logits",
           "episode_loss", "episode_accuracy", "batch_loss", "batch_accuracy", "train_protonet"]


def _check_tensor(x, name, dim):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(both(f"{name} must be a floating-point tensor, got {type(x).__name__}",
                             f"{name} должен быть вещественным тензором, получено {type(x).__name__}"))
    if x.dim() != dim:
        raise ValueError(both(f"{name} must have {dim} dimensions, got shape {tuple(x.shape)}",
                              f"у {name} должно быть измерений: {dim}, получена форма {tuple(x.shape)}"))


def _check_labels(y, n, n_way, name_en, name_ru):
    if not isinstance(y, torch.Tensor) or y.dtype not in (torch.int64, torch.int32) or y.dim() != 1 \
            or y.shape[0] != n:
        raise ValueError(both(f"{name_en} labels must be an integer tensor of shape [{n}], got "
                              f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}",
                              f"метки {name_ru} должны быть целочисленным тензором формы [{n}], получено "
                              f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"))


def embedding_net(hidden: int = 64) -> nn.Module:
    """The embedding f_φ used in the course: 64-h-h with ReLU — the body of :func:`metaopt_lib.tasks.digits_net`
    (the MAML/ANIL network of lecture 5 without its 5-way head), so that the families compare on one architecture."""
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise ValueError(both(f"hidden must be a positive integer, got {hidden!r}",
                              f"hidden должно быть целым положительным числом, получено {hidden!r}"))
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


def functional_embedding(model: nn.Module) -> Embed:
    """``embed(params, x) = f_params(x)``: ``model`` evaluated with the tensors of ``params``
    (``torch.func.functional_call``), as :func:`metaopt_lib.meta.functional_loss` does for losses."""
    if not isinstance(model, nn.Module):
        raise TypeError(both(f"model must be a torch.nn.Module, got {type(model).__name__}",
                             f"model должна быть torch.nn.Module, получено {type(model).__name__}"))
    return lambda params, x: functional_call(model, params, (x,))


def prototypes(emb_support: torch.Tensor, y_support: torch.Tensor, n_way: int) -> torch.Tensor:
    """Class prototypes c_k = mean of the support embeddings of class k (Snell et al. 2017, eq. 1).
    ``emb_support`` [S, D], ``y_support`` [S] with labels 0..n_way−1, each class present; returns [n_way, D]."""
    _check_tensor(emb_support, "emb_support", 2)
    _check_labels(y_support, emb_support.shape[0], n_way, "support", "опорного множества")
    if isinstance(n_way, bool) or not isinstance(n_way, int) or n_way < 2:
        raise ValueError(both(f"n_way must be an integer >= 2, got {n_way!r}",
                              f"n_way должно быть целым >= 2, получено {n_way!r}"))
    if bool(((y_support < 0) | (y_support >= n_way)).any()):
        raise ValueError(both(f"support labels must be integers in 0..{n_way - 1}",
                              f"метки опорного множества должны быть целыми числами от 0 до {n_way - 1}"))
    onehot = F.one_hot(y_support.long(), n_way).to(emb_support.dtype)
    counts = onehot.sum(0)
    if bool((counts == 0).any()):
        missing = [k for k in range(n_way) if counts[k] == 0]
        raise ValueError(both(f"classes {missing} have no support example: their prototypes are undefined",
                              f"у классов {missing} нет ни одного примера в опорном множестве: их прототипы не "
                              f"определены"))
    return (onehot.T @ emb_support) / counts.unsqueeze(1)


def squared_distances(emb_query: torch.Tensor, protos: torch.Tensor) -> torch.Tensor:
    """d(x, c_k) = ‖f(x) − c_k‖² for every query row and prototype: [Q, D] × [N, D] → [Q, N]."""
    _check_tensor(emb_query, "emb_query", 2)
    _check_tensor(protos, "protos", 2)
    if emb_query.shape[1] != protos.shape[1]:
        raise ValueError(both(f"embedding sizes differ: queries {emb_query.shape[1]}, prototypes {protos.shape[1]}",
                              f"размеры представлений различаются: запросы {emb_query.shape[1]}, прототипы "
                              f"{protos.shape[1]}"))
    return (emb_query.unsqueeze(1) - protos.unsqueeze(0)).pow(2).sum(-1)


def proto_logits(emb_support: torch.Tensor, y_support: torch.Tensor, emb_query: torch.Tensor,
                 n_way: int) -> torch.Tensor:
    """Logits −‖f(x) − c_k‖² of every query for every class (softmax of them is p_φ(y = k | x), Snell et al. 2017,
    eq. 2)."""
    return -squared_distances(emb_query, prototypes(emb_support, y_support, n_way))


def episode_loss(embed: Embed, params: Params, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor,
                 yq: torch.Tensor, n_way: int) -> torch.Tensor:
    """J(φ) of one episode: mean over the query set of −log p_φ(y | x) (Snell et al. 2017, Algorithm 1)."""
    _check_labels(yq, xq.shape[0], n_way, "query", "запросного множества")
    if bool(((yq < 0) | (yq >= n_way)).any()):
        raise ValueError(both(f"query labels must be integers in 0..{n_way - 1}",
                              f"метки запросного множества должны быть целыми числами от 0 до {n_way - 1}"))
    logits = proto_logits(embed(params, xs), ys, embed(params, xq), n_way)
    return F.cross_entropy(logits, yq)


def episode_accuracy(embed: Embed, params: Params, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor,
                     yq: torch.Tensor, n_way: int) -> torch.Tensor:
    """Share of the query set assigned to its class by the nearest prototype."""
    logits = proto_logits(embed(params, xs), ys, embed(params, xq), n_way)
    return (logits.argmax(-1) == yq).to(logits.dtype).mean()


def _batch_logits(embed: Embed, params: Params, tasks, n_way: int) -> torch.Tensor:
    """Logits [T, Q, N] of every query of every episode, all episodes at once (the embedding network sees
    [T, S, 64]; prototypes by a batched one-hot average). Validates the whole batch first."""
    if len(tasks) != 4:
        raise ValueError(both("tasks must be (xs, ys, xq, yq) with the task as dimension 0 (a TaskBatch)",
                              "tasks должен быть (xs, ys, xq, yq) с задачей в измерении 0 (TaskBatch)"))
    xs, ys, xq, yq = tasks
    if any(t.shape[0] != xs.shape[0] for t in tasks) or ys.shape != xs.shape[:2] or yq.shape != xq.shape[:2]:
        raise ValueError(both(f"need xs [T, S, ...], ys [T, S], xq [T, Q, ...], yq [T, Q]; got "
                              f"{[tuple(t.shape) for t in tasks]}",
                              f"нужны xs [T, S, ...], ys [T, S], xq [T, Q, ...], yq [T, Q]; получено "
                              f"{[tuple(t.shape) for t in tasks]}"))
    for y, en, ru in ((ys, "support", "опорного множества"), (yq, "query", "запросного множества")):
        if y.dtype not in (torch.int64, torch.int32) or bool(((y < 0) | (y >= n_way)).any()):
            raise ValueError(both(f"{en} labels must be integers in 0..{n_way - 1}",
                                  f"метки {ru} должны быть целыми числами от 0 до {n_way - 1}"))
    onehot = F.one_hot(ys.long(), n_way)
    counts = onehot.sum(1)  # [T, N]
    if bool((counts == 0).any()):
        raise ValueError(both("an episode has a class without support examples: its prototype is undefined",
                              "в эпизоде есть класс без примеров в опорном множестве: его прототип не определён"))
    emb_s, emb_q = embed(params, xs), embed(params, xq)
    protos = torch.einsum("tsn,tsd->tnd", onehot.to(emb_s.dtype), emb_s) / counts.unsqueeze(-1).to(emb_s.dtype)
    return -(emb_q.unsqueeze(2) - protos.unsqueeze(1)).pow(2).sum(-1)


def batch_loss(embed: Embed, params: Params, tasks, n_way: int) -> torch.Tensor:
    """Mean :func:`episode_loss` over a meta-batch of episodes of equal size (computed for all at once)."""
    logits = _batch_logits(embed, params, tasks, n_way)
    return F.cross_entropy(logits.reshape(-1, n_way), tasks[3].reshape(-1).long())


def batch_accuracy(embed: Embed, params: Params, tasks, n_way: int) -> torch.Tensor:
    """Query accuracy of every episode of a meta-batch, shape [n_tasks] (no gradient)."""
    with torch.no_grad():
        logits = _batch_logits(embed, params, tasks, n_way)
        return (logits.argmax(-1) == tasks[3]).to(logits.dtype).mean(1)


def train_protonet(embed: Embed, params: Mapping[str, torch.Tensor], sample_tasks: Callable[[], tuple],
                   n_iters: int, n_way: int, lr: float = 1e-3) -> tuple[Params, list[float]]:
    """Meta-train φ: ``n_iters`` Adam steps (Kingma & Ba 2015; Snell et al. use Adam too) on :func:`batch_loss`
    of a fresh meta-batch ``sample_tasks()`` each. Returns the trained parameters and the loss history."""
    if isinstance(n_iters, bool) or not isinstance(n_iters, int) or n_iters < 0:
        raise ValueError(both(f"n_iters must be an integer >= 0, got {n_iters!r}",
                              f"n_iters должно быть целым >= 0, получено {n_iters!r}"))
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(both(f"lr must be > 0, got {lr!r}", f"lr должен быть > 0, получено {lr!r}"))
    phi = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    opt = Adam(phi.values(), lr=lr)
    history = []
    for _ in range(n_iters):
        loss = batch_loss(embed, phi, sample_tasks(), n_way)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    return {k: v.detach() for k, v in phi.items()}, history
