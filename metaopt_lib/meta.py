"""The MAML family with ``torch.func``: MAML, first-order MAML, ANIL, Reptile, and the pre-training baseline.

Every algorithm is a small pure function of a parameter dictionary ``params`` (name → tensor, as
``dict(model.named_parameters())``) and a meta-batch of tasks ``tasks = (xs, ys, xq, yq)`` with the task as the
leading dimension (:class:`metaopt_lib.tasks.TaskBatch`). A model enters only through a *loss function*
``loss(params, x, y)``, built from any ``nn.Module`` by :func:`functional_loss` with
``torch.func.functional_call`` — no module is monkey-patched, and the same code serves any architecture.
Tasks of a meta-batch are processed in parallel by ``torch.func.vmap``; the gradients of the inner and the
outer loop are ``torch.func.grad``, so the second-order meta-gradient is the exact derivative of the
meta-objective, nested ``grad`` inside ``grad``.

Notation (Finn, Abbeel & Levine 2017, Algorithm 1). Task :math:`\\mathcal T_i` has a support loss
:math:`\\mathcal L^{s}_i` (the K examples used for adaptation) and a query loss :math:`\\mathcal L^{q}_i`.
The inner loop takes :math:`k` gradient steps with step size :math:`\\alpha`,

.. math:: \\theta_i^{(0)} = \\theta, \\qquad \\theta_i^{(j+1)} = \\theta_i^{(j)} - \\alpha \\nabla \\mathcal L^{s}_i(\\theta_i^{(j)}),

and the outer loop minimises the query loss after adaptation, averaged over the meta-batch of :math:`n` tasks,

.. math:: F(\\theta) = \\frac1n \\sum_{i=1}^n \\mathcal L^{q}_i\\big(\\theta_i^{(k)}(\\theta)\\big), \\qquad
          \\theta \\leftarrow \\theta - \\beta \\nabla_\\theta F(\\theta)

(Algorithm 1 writes the sum; the mean only rescales β). With one inner step the chain rule gives the
meta-gradient of a task :math:`(I - \\alpha \\nabla^2 \\mathcal L^{s}_i(\\theta))\\, \\nabla \\mathcal L^{q}_i(\\theta_i')`;
first-order MAML drops the Hessian term and uses :math:`\\nabla \\mathcal L^{q}_i(\\theta_i')`.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call, grad, grad_and_value, vmap

from metaopt_lib import validate as _v
from metaopt_lib.aliases import Params, TaskLoss
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam


METHODS = ("maml", "fomaml", "anil", "reptile", "pretrain")


# --- building blocks --------------------------------------------------------------------------------------------

def functional_loss(model: nn.Module, criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> TaskLoss:
    """``loss(params, x, y) = criterion(f_params(x), y)``, where ``f_params`` is ``model`` evaluated with
    the tensors of ``params`` in place of its parameters (``torch.func.functional_call``; buffers are the
    model's own). Works for any ``nn.Module`` whose forward takes one input; nothing is modified in place.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(both(f"model must be a torch.nn.Module, got {type(model).__name__}",
                             f"model должна быть torch.nn.Module, получено {type(model).__name__}"))

    def loss(params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return criterion(functional_call(model, params, (x,)), y)

    loss.model = model  # for error messages and introspection
    return loss


def params_of(model: nn.Module, requires_grad: bool = True) -> Params:
    """Copies of a module's parameters as a dict of leaf tensors (the meta-parameters θ to train)."""
    return {k: v.detach().clone().requires_grad_(requires_grad) for k, v in model.named_parameters()}


def _check(params: Mapping[str, torch.Tensor], tasks: Sequence[torch.Tensor], lr: float, steps: int,
           adapt: Iterable[str] | None) -> tuple[str, ...] | None:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(both("params must be a non-empty dict name -> tensor (e.g. dict(model.named_parameters()))",
                             "params должен быть непустым словарём имя -> тензор "
                             "(например, dict(model.named_parameters()))"))
    if len(tasks) != 4:
        raise ValueError(both("tasks must be (xs, ys, xq, yq) with the task as dimension 0 (a TaskBatch)",
                              "tasks должен быть (xs, ys, xq, yq) с задачей в измерении 0 (TaskBatch)"))
    n = tasks[0].shape[0]
    if any(t.shape[0] != n for t in tasks):
        raise ValueError(both(f"support and query sets disagree on the number of tasks: "
                              f"{[t.shape[0] for t in tasks]}",
                              f"опорное и запросное множества расходятся в числе задач: {[t.shape[0] for t in tasks]}"))
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(both(f"steps must be an integer >= 0, got {steps!r}",
                              f"steps должно быть целым >= 0, получено {steps!r}"))
    if not lr > 0:
        raise ValueError(both(f"the inner step size lr must be positive, got {lr!r}",
                              f"шаг внутреннего цикла lr должен быть положительным, получено {lr!r}"))
    _v.number("lr", lr, gt=0)
    floats = {f"params[{k!r}]": v for k, v in params.items()}
    for name, t in zip(("xs", "ys", "xq", "yq"), tasks):
        _v.tensor(f"tasks.{name}", t, floating=False)
        if t.is_floating_point():
            floats[f"tasks.{name}"] = t
    _v.same_dtype(**floats)
    if adapt is None:
        return None
    adapt = tuple(adapt)
    unknown = [k for k in adapt if k not in params]
    if unknown or not adapt:
        raise KeyError(both(f"parameters to adapt {unknown or adapt} are not in params {list(params)}",
                            f"адаптируемых параметров {unknown or adapt} нет среди {list(params)}"))
    return adapt


def inner_sgd(loss: TaskLoss, params: Params, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int = 1,
              first_order: bool = False, adapt: Sequence[str] | None = None) -> Params:
    """The inner loop: ``steps`` steps of gradient descent on one task's support loss.

    :math:`\\theta^{(j+1)} = \\theta^{(j)} - \\alpha \\nabla_\\theta \\mathcal L(\\theta^{(j)}; x, y)`, applied to the
    parameters named in ``adapt`` only (all by default; ANIL adapts the head only, Raghu et al. 2020). With
    ``first_order=True`` each inner gradient is detached, so an outer derivative treats it as a constant
    (first-order MAML, Finn et al. 2017, §5.2). Differentiable, and composable with ``vmap`` and ``grad``.
    """
    fast = params
    for _ in range(steps):
        if adapt is None:  # the common case, without re-packing the dictionary
            g = grad(loss)(fast, x, y)
        else:
            frozen = {k: v for k, v in fast.items() if k not in adapt}
            g = grad(lambda sub: loss({**frozen, **sub}, x, y))({k: fast[k] for k in adapt})
        if first_order:
            g = {k: v.detach() for k, v in g.items()}
        fast = {**fast, **{k: fast[k] - lr * v for k, v in g.items()}}
    return fast


def adapted_query_loss(loss: TaskLoss, params: Params, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor,
                       yq: torch.Tensor, lr: float, steps: int = 1, first_order: bool = False,
                       adapt: Sequence[str] | None = None) -> torch.Tensor:
    """One task's MAML objective :math:`\\mathcal L^{q}(\\theta^{(k)}(\\theta))`: adapt on the support set
    (:func:`inner_sgd`), evaluate the query loss (Finn et al. 2017, Algorithm 1, line 8)."""
    return loss(inner_sgd(loss, params, xs, ys, lr, steps, first_order, adapt), xq, yq)


# --- meta-objectives and meta-gradients ---------------------------------------------------------------------------

def maml_objective(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor], lr: float, steps: int = 1,
                   first_order: bool = False, adapt: Sequence[str] | None = None) -> torch.Tensor:
    """The meta-objective :math:`F(\\theta) = \\frac1n\\sum_i \\mathcal L^{q}_i(\\theta_i^{(k)}(\\theta))` over a meta-batch,
    the tasks processed in parallel by ``torch.func.vmap`` (Finn et al. 2017)."""
    adapt = _check(params, tasks, lr, steps, adapt)

    def task_loss(p, xs, ys, xq, yq):
        return adapted_query_loss(loss, p, xs, ys, xq, yq, lr, steps, first_order, adapt)

    return vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(params, *tasks).mean()


def maml_grad(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor], lr: float, steps: int = 1,
              first_order: bool = False, adapt: Sequence[str] | None = None) -> tuple[Params, torch.Tensor]:
    """The MAML meta-gradient :math:`\\nabla_\\theta F(\\theta)` and the meta-loss :math:`F(\\theta)`.

    Second order by default: the exact derivative through the inner loop, for one step
    :math:`\\frac1n\\sum_i (I - \\alpha \\nabla^2\\mathcal L^{s}_i(\\theta))\\nabla\\mathcal L^{q}_i(\\theta_i')`
    (Finn et al. 2017). ``first_order=True`` gives first-order MAML,
    :math:`\\frac1n\\sum_i \\nabla\\mathcal L^{q}_i(\\theta_i^{(k)})`. ``adapt`` restricts the inner loop to some
    parameters (ANIL, :func:`anil_grad`); the meta-gradient is still taken with respect to all of them.
    Computed as ``torch.func.grad`` of :func:`maml_objective` (nested ``grad`` under ``vmap``).
    """
    grads, value = grad_and_value(
        lambda p: maml_objective(loss, p, tasks, lr, steps, first_order, adapt))(_plain(params))
    return grads, value


def anil_grad(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor], lr: float, head: Sequence[str],
              steps: int = 1, first_order: bool = False) -> tuple[Params, torch.Tensor]:
    """ANIL, "Almost No Inner Loop" (Raghu, Raghu, Bengio & Vinyals 2020): MAML whose inner loop adapts only
    the head (the parameters named in ``head``, typically the last linear layer) while the body is reused
    as a fixed feature extractor within a task; the outer loop still trains body and head."""
    return maml_grad(loss, params, tasks, lr, steps, first_order, adapt=head)


def reptile_update(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor], lr: float, steps: int,
                   epsilon: float, use_query: bool = True) -> Params:
    """One batched Reptile step (Nichol, Achiam & Schulman 2018, Algorithm 2):
    :math:`\\theta \\leftarrow \\theta + \\varepsilon\\,\\frac1n\\sum_i (W_i - \\theta)`, where :math:`W_i` is the result
    of ``steps`` plain SGD steps of size α on task i's data from θ (support and query sets joined when
    ``use_query``; Reptile has no support/query split). No second derivatives; returns new tensors.
    """
    _check(params, tasks, lr, steps, None)
    _v.number("epsilon", epsilon, gt=0, le=1)
    xs, ys, xq, yq = tasks
    if use_query:
        xs, ys = torch.cat([xs, xq], dim=1), torch.cat([ys, yq], dim=1)
    plain = _plain(params)

    def task_weights(xt, yt):
        return inner_sgd(loss, plain, xt, yt, lr, steps, first_order=True)

    with torch.no_grad():
        w = vmap(task_weights)(xs, ys)
        return {k: plain[k] + epsilon * (w[k].mean(0) - plain[k]) for k in plain}


def pretrain_grad(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor]) -> tuple[Params, torch.Tensor]:
    """The pre-training (joint multi-task) baseline of the MAML comparison:
    :math:`\\nabla_\\theta \\frac1n\\sum_i \\mathcal L_i(\\theta)` on support and query data of each task, with no
    adaptation — it finds θ that is good for all tasks *now*, where MAML finds θ that is good *after* a few
    steps on a task (Finn et al. 2017, §5.1, "pretrained" baseline)."""
    _check(params, tasks, 1.0, 0, None)
    xs, ys, xq, yq = tasks
    x, y = torch.cat([xs, xq], dim=1), torch.cat([ys, yq], dim=1)

    def objective(p):
        return vmap(loss, in_dims=(None, 0, 0))(p, x, y).mean()

    return grad_and_value(objective)(_plain(params))


def _plain(params: Mapping[str, torch.Tensor]) -> Params:
    return {k: v.detach() for k, v in params.items()}


# --- evaluation ------------------------------------------------------------------------------------------------

def adaptation_curve(loss: TaskLoss, params: Params, tasks: Sequence[torch.Tensor], lr: float, max_steps: int,
                     adapt: Sequence[str] | None = None, metric: TaskLoss | None = None) -> torch.Tensor:
    """Query metric of every task after 0, 1, ..., ``max_steps`` inner SGD steps of size ``lr``.

    Returns a tensor ``(max_steps + 1, n_tasks)``; ``metric(params, x, y)`` defaults to ``loss`` (e.g. pass an
    accuracy function for classification). No meta-gradient is taken (evaluation on held-out tasks).
    """
    adapt = _check(params, tasks, lr, max_steps, adapt)
    metric = metric or loss
    plain = _plain(params)
    names = tuple(plain) if adapt is None else adapt

    def curve(xs, ys, xq, yq):
        fast = dict(plain)
        values = [metric(fast, xq, yq)]
        for _ in range(max_steps):
            g = grad(lambda sub: loss({**fast, **sub}, xs, ys))({k: fast[k] for k in names})
            fast = {**fast, **{k: fast[k] - lr * g[k] for k in names}}
            values.append(metric(fast, xq, yq))
        return torch.stack(values)

    with torch.no_grad():
        return vmap(curve, out_dims=1)(*tasks)


def mean_ci95(values: torch.Tensor) -> tuple[float, float]:
    """Mean and half-width of its normal-approximation 95% confidence interval, 1.96·s/√n."""
    values = torch.as_tensor(values, dtype=torch.float64).flatten()
    if values.numel() < 2:
        raise ValueError(both("a confidence interval needs at least two values",
                              "для доверительного интервала нужно хотя бы два значения"))
    return values.mean().item(), (1.96 * values.std(unbiased=True) / values.numel() ** 0.5).item()


# --- a training loop for all methods ---------------------------------------------------------------------------

def meta_train(loss: TaskLoss, params: Params, sample_tasks: Callable[[], Sequence[torch.Tensor]], n_iters: int,
               method: str = "maml", inner_lr: float = 0.01, steps: int = 1, meta_lr: float = 1e-3,
               head: Sequence[str] | None = None, epsilon: float = 0.1, callback=None, progress: bool = False
               ) -> tuple[Params, list[float]]:
    """Train meta-parameters θ for ``n_iters`` meta-iterations; return the new θ and the meta-loss history.

    ``method``: ``"maml"`` (second order), ``"fomaml"``, ``"anil"`` (inner loop on ``head`` only) and
    ``"pretrain"`` update θ by Adam (Kingma & Ba 2015) with step ``meta_lr`` on :func:`maml_grad` /
    :func:`pretrain_grad`, as in Finn et al. 2017; ``"reptile"`` applies :func:`reptile_update` with step
    size ``epsilon`` (its history is the pre-adaptation query loss). ``sample_tasks()`` returns a fresh
    meta-batch each call; ``callback(iteration, params, loss)`` is called after every update.
    """
    if method not in METHODS:
        raise ValueError(both(f"unknown method {method!r}; expected one of {METHODS}",
                              f"неизвестный метод {method!r}; ожидается один из {METHODS}"))
    if method == "anil" and not head:
        raise ValueError(both("ANIL needs head=[names of the head's parameters]",
                              "ANIL нужен head=[имена параметров головы]"))
    theta = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    opt = Adam(theta.values(), lr=meta_lr) if method != "reptile" else None
    history = []
    iterator = range(n_iters)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=method)
    for it in iterator:
        tasks = sample_tasks()
        if method == "reptile":
            with torch.no_grad():
                value = vmap(loss, in_dims=(None, 0, 0))(_plain(theta), tasks[2], tasks[3]).mean()
            new = reptile_update(loss, theta, tasks, inner_lr, steps, epsilon)
            with torch.no_grad():
                for k in theta:
                    theta[k].copy_(new[k])
        else:
            if method == "pretrain":
                grads, value = pretrain_grad(loss, theta, tasks)
            else:
                grads, value = maml_grad(loss, theta, tasks, inner_lr, steps, first_order=(method == "fomaml"),
                                         adapt=head if method == "anil" else None)
            for k, p in theta.items():
                p.grad = grads[k]
            opt.step()
        history.append(float(value))
        if callback is not None:
            callback(it, theta, history[-1])
    return {k: v.detach() for k, v in theta.items()}, history
