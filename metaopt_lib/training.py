"""Training helpers shared by lecture 07 and the pruning assignments: multinomial logistic regression and a small MLP.

Public functions
----------------
* ``logreg_logits(W, b, X)``                      — the scores ``X Wᵀ + b``.
* ``logreg_loss(W, b, X, y, l1=0, l2=0)``           — mean cross-entropy + ``l1·Σ|W| + l2·Σ W²``.
* ``lipschitz_logreg(X, l2=0)``                     — an upper bound of the gradient's Lipschitz constant (Böhning 1992).
* ``train_logreg(X, y, n_classes, *, ...)``        — deterministic full-batch (proximal) accelerated gradient descent,
  with a pruning mask and a warm start (retraining from the previous optimum, Han et al. 2015).
* ``accuracy(W, b, X, y)``                          — share of correct argmax predictions.
* ``mlp_forward(params, X)``, ``mlp_loss(params, X, y, l2=0)``, ``init_mlp(sizes, seed)``
* ``train_mlp(X, y, n_classes, *, hidden=(32,), ...)`` — full-batch Adam on a ReLU MLP, with masks and a warm start.
* ``mlp_accuracy(params, X, y)``.
* ``Adam`` — a dependency-light Adam optimiser (the update of ``torch.optim.Adam``).

Parameters of the MLP are a plain ``dict`` ``{"W1", "b1", "W2", "b2", ...}`` (``W_l`` of shape [out, in]), so
that pruning (``metaopt_lib.pruning``) and compression (``metaopt_lib.compression``) work on dicts of tensors.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from metaopt_lib import validate as _v
from metaopt_lib.i18n import both

__all__ = ["Adam", "logreg_logits", "logreg_loss", "lipschitz_logreg", "train_logreg", "accuracy",
           "init_mlp", "mlp_forward", "mlp_loss", "train_mlp", "mlp_accuracy", "mlp_weight_names"]


# --- checks ----------------------------------------------------------------------------------------------------

def _check_data(X: torch.Tensor, y: torch.Tensor, n_classes: int | None = None) -> None:
    if not isinstance(X, torch.Tensor) or X.ndim != 2:
        raise ValueError(both(f"X must be a 2-D tensor [n_samples, n_features], got {getattr(X, 'shape', type(X))}",
                              f"X должен быть двумерным тензором [n_samples, n_features], получено "
                              f"{getattr(X, 'shape', type(X))}"))
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(both(f"y must be a 1-D tensor of {X.shape[0]} labels, got {getattr(y, 'shape', type(y))}",
                              f"y должен быть одномерным тензором из {X.shape[0]} меток, получено "
                              f"{getattr(y, 'shape', type(y))}"))
    if y.dtype.is_floating_point:
        raise ValueError(both("y must hold integer class labels", "y должен содержать целые метки классов"))
    if n_classes is not None and y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ValueError(both(f"labels must lie in 0..{n_classes - 1}", f"метки должны лежать в 0..{n_classes - 1}"))


def _check_logreg(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor) -> None:
    if W.ndim != 2 or b.ndim != 1 or W.shape[0] != b.shape[0] or W.shape[1] != X.shape[-1]:
        raise ValueError(both(f"shapes do not agree: W {tuple(W.shape)} must be [n_classes, n_features], "
                              f"b {tuple(b.shape)} [n_classes], X {tuple(X.shape)} [n, n_features]",
                              f"формы не согласованы: W {tuple(W.shape)} должна быть [n_classes, n_features], "
                              f"b {tuple(b.shape)} — [n_classes], X {tuple(X.shape)} — [n, n_features]"))


# --- logistic regression ---------------------------------------------------------------------------------------

def logreg_logits(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Scores of multinomial logistic regression, ``X Wᵀ + b`` (shape [n, n_classes])."""
    _check_logreg(W, b, X)
    return X @ W.T + b


def logreg_loss(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor,
                l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """Regularised loss of multinomial logistic regression.

    ``L(W, b) = (1/n) Σ_i −log softmax(W x_i + b)_{y_i} + l1·Σ|W_kj| + l2·Σ W_kj²`` — biases are not regularised.
    L1 and L2 are the two penalties compared by Han et al. (2015), "Learning both weights and connections".
    """
    _check_data(X, y)
    if l1 < 0 or l2 < 0:
        raise ValueError(both("l1 and l2 must be non-negative", "l1 и l2 должны быть неотрицательны"))
    loss = F.cross_entropy(logreg_logits(W, b, X), y)
    if l1:
        loss = loss + l1 * W.abs().sum()
    if l2:
        loss = loss + l2 * (W ** 2).sum()
    return loss


def lipschitz_logreg(X: torch.Tensor, l2: float = 0.0) -> float:
    """Upper bound of the Lipschitz constant of ∇ of the mean cross-entropy (+ ``l2·ΣW²``) in (W, b).

    Böhning's bound (Böhning 1992, "Multinomial logistic regression algorithm"): the Hessian of the softmax
    cross-entropy in the scores is ``diag(p) − ppᵀ ≼ ½ I``, so ``∇²L ≼ ½ λ_max((1/n) X̃ᵀX̃) ⊗ I + 2·l2``
    with ``X̃ = [X, 1]``. The bound is attained for two classes at W = 0, b = 0 (p = (½, ½)) when l2 = 0.
    """
    _v.tensor("X", X, ndim=2)
    _v.number("l2", l2, ge=0)
    Xt = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], dim=1).double()
    lam = torch.linalg.eigvalsh(Xt.T @ Xt / X.shape[0])[-1].item()
    return 0.5 * lam + 2.0 * l2


def train_logreg(X: torch.Tensor, y: torch.Tensor, n_classes: int, *, l1: float = 0.0, l2: float = 0.0,
                 epochs: int = 200, lr: float = 0.5, mask: torch.Tensor | None = None,
                 init: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit multinomial logistic regression by deterministic full-batch accelerated proximal gradient (FISTA).

    Minimises ``logreg_loss(W, b, X, y, l1, l2)`` (see there) with FISTA (Beck & Teboulle 2009): the step is
    ``lr / L`` where ``L = lipschitz_logreg(X, l2)`` (so ``lr`` is *relative*: any ``0 < lr ≤ 1`` converges);
    the smooth part takes a gradient step and the L1 part its proximal step, soft thresholding
    ``W ← sign(W)·max(|W| − step·l1, 0)``, which gives exact zeros. ``mask`` (bool, shaped like W, True = kept)
    is a constraint: pruned weights are exactly zero at every iteration (projection after each step), which is
    retraining after pruning (Han et al. 2015). ``init=(W0, b0)`` starts from the given point (retraining from the
    previous optimum); otherwise from ``W ~ N(0, 0.01²)`` drawn with ``seed`` (a "random point") and ``b = 0``.

    Returns ``(W, b)`` as detached tensors (W: [n_classes, n_features], b: [n_classes]).
    """
    _check_data(X, y, n_classes)
    if epochs < 0 or not (lr > 0):
        raise ValueError(both("epochs must be ≥ 0 and lr > 0", "epochs должно быть ≥ 0, а lr > 0"))
    _v.tensor("X", X)
    _v.number("lr", lr, gt=0)
    _v.number("l1", l1, ge=0)
    _v.number("l2", l2, ge=0)
    if l1 < 0 or l2 < 0:
        raise ValueError(both("l1 and l2 must be non-negative", "l1 и l2 должны быть неотрицательны"))
    d = X.shape[1]
    if init is not None:
        W, b = (t.detach().clone().to(X.dtype) for t in init)
        _check_logreg(W, b, X)
        if W.shape[0] != n_classes:
            raise ValueError(both(f"init W has {W.shape[0]} rows, expected n_classes = {n_classes}",
                                  f"в начальной W {W.shape[0]} строк, ожидалось n_classes = {n_classes}"))
    else:
        g = torch.Generator().manual_seed(seed)
        W = 0.01 * torch.randn(n_classes, d, generator=g, dtype=X.dtype)
        b = torch.zeros(n_classes, dtype=X.dtype)
    if mask is not None:
        if mask.dtype != torch.bool or mask.shape != W.shape:
            raise ValueError(both(f"mask must be a bool tensor of shape {tuple(W.shape)}",
                                  f"mask должна быть булевым тензором формы {tuple(W.shape)}"))
        W = W * mask
    step = lr / lipschitz_logreg(X, l2)

    Y = F.one_hot(y, n_classes).to(X.dtype)

    def grad_fn(W_, b_):  # ∇ of mean CE + l2·ΣW²: ((P − Y)ᵀX/n + 2·l2·W, mean(P − Y)); autograd-checked in tests
        R = (torch.softmax(X @ W_.T + b_, dim=1) - Y) / X.shape[0]
        return R.T @ X + 2 * l2 * W_, R.sum(0)
    W_prev, b_prev, t = W, b, 1.0
    Vw, Vb = W, b  # extrapolated point
    for _ in range(epochs):
        gW, gb = grad_fn(Vw, Vb)
        W_new, b_new = Vw - step * gW, Vb - step * gb
        if l1:
            W_new = torch.sign(W_new) * torch.clamp(W_new.abs() - step * l1, min=0.0)
        if mask is not None:
            W_new = W_new * mask
        t_new = (1 + math.sqrt(1 + 4 * t * t)) / 2
        beta = (t - 1) / t_new
        Vw, Vb = W_new + beta * (W_new - W_prev), b_new + beta * (b_new - b_prev)
        if mask is not None:
            Vw = Vw * mask
        W_prev, b_prev, t = W_new, b_new, t_new
    return W_prev.detach(), b_prev.detach()


def accuracy(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of samples whose argmax score ``argmax_k (W x + b)_k`` equals the label, in [0, 1]."""
    _check_data(X, y)
    with torch.no_grad():
        return (logreg_logits(W, b, X).argmax(1) == y).double().mean().item()


# --- Adam ---------------------------------------------------------------------------------------------------------

class Adam:
    """Adam (Kingma & Ba 2015) over a list of leaf tensors, without ``torch.optim``.

    ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``, ``θ ← θ − lr · m̂ / (√v̂ + ε)`` with the bias corrections
    ``m̂ = m/(1−β₁ᵗ)``, ``v̂ = v/(1−β₂ᵗ)`` — the same update as ``torch.optim.Adam`` (checked in the tests).
    Constructing ``torch.optim.Adam`` imports ``torch._dynamo`` (about 2 s of CPU), which a lecture cannot afford.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        _v.number("lr", lr, gt=0)
        if len(tuple(betas)) != 2:
            raise ValueError(both(f"betas must be a pair (β₁, β₂), got {betas!r}",
                                  f"betas должна быть парой (β₁, β₂), получено {betas!r}"))
        _v.number("betas[0]", betas[0], ge=0, lt=1)
        _v.number("betas[1]", betas[1], ge=0, lt=1)
        _v.number("eps", eps, gt=0)
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, torch.Tensor) or not p.is_floating_point():
                raise _v.ArgumentTypeError(both(f"params[{i}] must be a floating-point tensor",
                                                f"params[{i}] должен быть вещественным тензором"))
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.sub_(self.lr * (m / c1) / ((v / c2).sqrt() + self.eps))


# --- a small MLP ------------------------------------------------------------------------------------------------

def mlp_weight_names(params: dict[str, torch.Tensor]) -> list[str]:
    """Names of the weight matrices ``W1, W2, ...`` in layer order."""
    n = len([k for k in params if k.startswith("W")])
    return [f"W{i}" for i in range(1, n + 1)]


def init_mlp(sizes: tuple[int, ...] | list[int], seed: int = 0, dtype=torch.float32) -> dict[str, torch.Tensor]:
    """Kaiming-uniform initialisation (He et al. 2015) of an MLP with layer sizes ``(n_in, h_1, ..., n_out)``."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(both(f"sizes must list ≥ 2 positive layer widths, got {sizes}",
                              f"sizes должен содержать ≥ 2 положительных ширины слоёв, получено {sizes}"))
    g = torch.Generator().manual_seed(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        bound = math.sqrt(6.0 / n_in)
        params[f"W{i}"] = (torch.rand(n_out, n_in, generator=g, dtype=dtype) * 2 - 1) * bound
        params[f"b{i}"] = torch.zeros(n_out, dtype=dtype)
    return params


def mlp_forward(params: dict[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """Scores of a ReLU MLP: ``h_0 = X``, ``h_l = relu(h_{l−1} W_lᵀ + b_l)``, the last layer without ReLU."""
    names = mlp_weight_names(params)
    if not names:
        raise ValueError(both("params hold no weight matrix W1", "в params нет матрицы весов W1"))
    h = X
    for i, name in enumerate(names, start=1):
        h = h @ params[name].T + params[f"b{i}"]
        if i < len(names):
            h = torch.relu(h)
    return h


def mlp_loss(params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor, l2: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy of the MLP plus ``l2·Σ_l ‖W_l‖²`` (biases not regularised)."""
    loss = F.cross_entropy(mlp_forward(params, X), y)
    if l2:
        loss = loss + l2 * sum((params[n] ** 2).sum() for n in mlp_weight_names(params))
    return loss


def train_mlp(X: torch.Tensor, y: torch.Tensor, n_classes: int, *, hidden: tuple[int, ...] = (32,),
              epochs: int = 300, lr: float = 0.01, l2: float = 1e-4,
              masks: dict[str, torch.Tensor] | None = None, init: dict[str, torch.Tensor] | None = None,
              seed: int = 0) -> dict[str, torch.Tensor]:
    """Train a ReLU MLP ``n_features → hidden… → n_classes`` by full-batch Adam (Kingma & Ba 2015).

    Minimises ``mlp_loss(params, X, y, l2)``. ``masks`` (bool tensors for some weights, True = kept) keep pruned
    weights exactly zero (the gradient is masked and the weights are projected after every step); ``init`` starts
    from given parameters (Han et al. 2015 retrain from the previous optimum). Deterministic for a given ``seed``.
    Returns a dict of detached tensors.
    """
    _check_data(X, y, n_classes)
    if epochs < 0 or not (lr > 0):
        raise ValueError(both("epochs must be ≥ 0 and lr > 0", "epochs должно быть ≥ 0, а lr > 0"))
    if init is not None:
        params = {k: v.detach().clone() for k, v in init.items()}
    else:
        params = init_mlp((X.shape[1], *hidden, n_classes), seed=seed, dtype=X.dtype)
    masks = masks or {}
    for k, m in masks.items():
        if k not in params or m.shape != params[k].shape or m.dtype != torch.bool:
            raise ValueError(both(f"mask {k!r} must be a bool tensor shaped like params[{k!r}]",
                                  f"маска {k!r} должна быть булевым тензором формы params[{k!r}]"))
        params[k] = params[k] * m
    for v in params.values():
        v.requires_grad_(True)
    opt = Adam(params.values(), lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        mlp_loss(params, X, y, l2).backward()
        for k, m in masks.items():
            params[k].grad.mul_(m)
        opt.step()
        with torch.no_grad():
            for k, m in masks.items():
                params[k].mul_(m)
    return {k: v.detach() for k, v in params.items()}


def mlp_accuracy(params: dict[str, torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of samples whose argmax MLP score equals the label, in [0, 1]."""
    _check_data(X, y)
    with torch.no_grad():
        return (mlp_forward(params, X).argmax(1) == y).double().mean().item()
