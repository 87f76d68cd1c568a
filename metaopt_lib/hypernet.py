"""Hypernetworks: one network that outputs the weights of another, conditioned on a hyperparameter λ.

Definition (Ha, Dai & Le, 2016, "HyperNetworks"): given a set Λ, a hypernetwork is a parametric map
``G: Λ × R^u → R^n`` from a hyperparameter ``λ`` and its own parameters ``φ ∈ R^u`` to the ``n`` parameters of a
model ``f``. Here ``f`` is a ReLU MLP (a single layer = multinomial logistic regression) whose parameters use the
dict layout of :mod:`metaopt_lib.training` (``W1`` [out, in], ``b1``, ...), flattened into one vector.

Stochastic hyperparameter optimisation through hypernetworks (Lorraine & Duvenaud, 2018, arXiv:1802.09419) trains
``φ`` on

    E_{λ ~ p(λ)} [ −log p(D | w_φ(λ)) + λ R(w_φ(λ)) ] → min_φ,            R(w) = ‖W‖²  (or ‖W‖₁)

so that ``w_φ(λ)`` approximates the *best-response function* ``w*(λ) = argmin_w −log p(D|w) + λ R(w)`` for every λ in
the support of ``p`` at once; then λ is tuned on validation data through ``w_φ(λ)`` by gradient descent. Their
theorem: a sufficiently powerful hypernetwork can represent a continuous best response, and then minimising the
expected loss recovers it on the whole (convex) support of ``p(λ)``.

Parametric complexity control (Grebenkova, Bakhteev & Strijov, ICAART 2023): the same single hypernetwork, queried
at a larger λ, yields a simpler model — here a sparser one under the L1 penalty, which magnitude pruning hurts less.

Public functions: :func:`param_shapes`, :func:`unflatten`, :func:`weight_mask`, :func:`init_hypernet`,
:func:`hypernet_weights`, :func:`forward`, :func:`penalty`, :func:`objective`, :func:`train_hypernet`,
:func:`cross_entropy`, :func:`accuracy`, :func:`best_response`, :func:`magnitude_prune`, :func:`pruning_curve`,
:func:`tune_lambda`; its checkpoint: ``metaopt_lib.checkpoint.load_checkpoint("hypernet")``.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from metaopt_lib import validate as _v
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

__all__ = ["param_shapes", "unflatten", "weight_mask", "init_hypernet", "hypernet_weights", "forward", "penalty",
           "objective", "train_hypernet", "cross_entropy", "accuracy", "best_response", "magnitude_prune",
           "pruning_curve", "tune_lambda", "n_params", "PENALTIES"]

PENALTIES = ("l2", "l1")


# --- the target model ----------------------------------------------------------------------------------------

def param_shapes(sizes: Sequence[int]) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes of an MLP with layer widths ``sizes = (n_in, h_1, …, n_out)``: ``W_l`` [out, in], ``b_l``."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(both(f"sizes must list >= 2 positive layer widths, got {tuple(sizes)}",
                              f"sizes должен содержать >= 2 положительных ширины слоёв, получено {tuple(sizes)}"))
    shapes = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes += [(f"W{i}", (int(n_out), int(n_in))), (f"b{i}", (int(n_out),))]
    return shapes


def n_params(sizes: Sequence[int]) -> int:
    """Number ``n`` of parameters of the target MLP (the output size of the hypernetwork)."""
    return sum(math.prod(shape) for _, shape in param_shapes(sizes))


def unflatten(flat: torch.Tensor, sizes: Sequence[int]) -> dict[str, torch.Tensor]:
    """Split flat parameter vectors ``[..., n]`` into the dict ``{W1: [..., out, in], b1: [..., out], …}``."""
    n = n_params(sizes)
    if flat.shape[-1] != n:
        raise ValueError(both(f"expected {n} parameters for sizes {tuple(sizes)}, got {flat.shape[-1]}",
                              f"для sizes {tuple(sizes)} нужно {n} параметров, получено {flat.shape[-1]}"))
    out, start = {}, 0
    for name, shape in param_shapes(sizes):
        k = math.prod(shape)
        out[name] = flat[..., start:start + k].reshape(*flat.shape[:-1], *shape)
        start += k
    return out


def weight_mask(sizes: Sequence[int]) -> torch.Tensor:
    """Boolean mask over the flat vector: True at weights ``W_l`` (penalised, prunable), False at biases."""
    return torch.cat([torch.full((math.prod(shape),), name.startswith("W")) for name, shape in param_shapes(sizes)])


def forward(flat: torch.Tensor, X: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
    """Scores of the MLP for one or a batch of weight vectors: ``flat`` [n] → [N, C]; ``flat`` [K, n] → [K, N, C].

    ``h_0 = X``, ``h_l = relu(h_{l−1} W_lᵀ + b_l)``, no ReLU on the last layer (as ``training.mlp_forward``)."""
    params = unflatten(flat, sizes)
    n_layers = len(sizes) - 1
    h = X
    for i in range(1, n_layers + 1):
        h = h @ params[f"W{i}"].transpose(-1, -2) + params[f"b{i}"].unsqueeze(-2)
        if i < n_layers:
            h = torch.relu(h)
    return h


def penalty(flat: torch.Tensor, sizes: Sequence[int], kind: str = "l2") -> torch.Tensor:
    """``R(w)`` over the weights (not the biases): ``Σ W²`` for ``"l2"``, ``Σ |W|`` for ``"l1"``; shape ``flat.shape[:-1]``."""
    if kind not in PENALTIES:
        raise ValueError(both(f"penalty must be one of {PENALTIES}, got {kind!r}",
                              f"штраф должен быть одним из {PENALTIES}, получено {kind!r}"))
    w = flat[..., weight_mask(sizes)]
    return (w ** 2).sum(-1) if kind == "l2" else w.abs().sum(-1)


def cross_entropy(flat: torch.Tensor, X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
    """Mean cross-entropy ``(1/N) Σ_i −log softmax(f(x_i; w))_{y_i}`` (per weight vector for a batch)."""
    logits = forward(flat, X, sizes)
    if logits.ndim == 2:
        return F.cross_entropy(logits, y)
    K = logits.shape[0]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.repeat(K), reduction="none").reshape(K, -1).mean(1)


def accuracy(flat: torch.Tensor, X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
    """Share of correct argmax predictions (per weight vector for a batch)."""
    with torch.no_grad():
        return (forward(flat, X, sizes).argmax(-1) == y).double().mean(-1)


# --- the hypernetwork ------------------------------------------------------------------------------------------

def _check_range(log_range: tuple[float, float]) -> None:
    lo, hi = log_range
    if not lo < hi:
        raise ValueError(both(f"log_range must be (low, high) with low < high, got {log_range}",
                              f"log_range — пара (low, high) с low < high, получено {log_range}"))


def init_hypernet(sizes: Sequence[int], log_range: tuple[float, float], hidden: int = 16, seed: int = 0
                  ) -> dict[str, torch.Tensor]:
    """Parameters ``φ`` of ``G(λ; φ) = w0 + t u + tanh(t a + c) V`` (see :func:`hypernet_weights`).

    ``w0`` is a Kaiming-uniform initialisation of the target MLP (zeros for logistic regression), ``u`` is zero,
    ``a ~ N(0, 2²)``, ``c ~ U(−1, 1)`` and ``V ~ N(0, 0.01²)``. ``log_range = (log λ_min, log λ_max)`` (natural
    logarithm) is stored as ``φ["log_range"]`` and is not trained."""
    _check_range(log_range)
    if hidden < 1:
        raise ValueError(both("hidden must be >= 1", "hidden должно быть >= 1"))
    g = torch.Generator().manual_seed(seed)
    n = n_params(sizes)
    parts = []
    for name, shape in param_shapes(sizes):
        if name.startswith("W") and len(sizes) > 2:
            bound = math.sqrt(6.0 / shape[1])
            parts.append(((torch.rand(shape, generator=g) * 2 - 1) * bound).reshape(-1))
        else:
            parts.append(torch.zeros(math.prod(shape)))
    return {
        "w0": torch.cat(parts),
        "u": torch.zeros(n),
        "a": 2.0 * torch.randn(hidden, generator=g),
        "c": torch.rand(hidden, generator=g) * 2 - 1,
        "V": 0.01 * torch.randn(hidden, n, generator=g),
        "log_range": torch.tensor([float(log_range[0]), float(log_range[1])]),
    }


def _as_lambdas(lam) -> torch.Tensor:
    lam = torch.as_tensor(lam, dtype=torch.float32)
    if lam.ndim == 0:
        lam = lam.reshape(1)
    if lam.ndim != 1 or not bool((lam > 0).all()):
        raise ValueError(both(f"λ must be positive numbers, got {lam.tolist()}",
                              f"λ должны быть положительными числами, получено {lam.tolist()}"))
    return lam


def hypernet_weights(phi: dict[str, torch.Tensor], lam) -> torch.Tensor:
    """The hypernetwork ``G(λ; φ)``: weights ``[K, n]`` of the target model for ``K`` values of λ.

    ``t = 2 (log λ − log λ_min) / (log λ_max − log λ_min) − 1`` maps the training range of λ to [−1, 1] and
    ``G(λ; φ) = w0 + t u + tanh(t a + c) V``: a one-hidden-layer MLP in ``log λ`` with a linear skip term."""
    lam = _as_lambdas(lam)
    lo, hi = phi["log_range"].tolist()
    t = (2 * (torch.log(lam) - lo) / (hi - lo) - 1).unsqueeze(-1)
    return phi["w0"] + t * phi["u"] + torch.tanh(t * phi["a"] + phi["c"]) @ phi["V"]


def objective(flat: torch.Tensor, lam: torch.Tensor, X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int],
              kind: str = "l2") -> torch.Tensor:
    """The per-sample training loss ``(1/N)[−log p(D | w) + λ R(w)] = CE(w) + (λ/N) R(w)`` (per weight vector).

    ``−log p(D|w) = Σ_i −log softmax(f(x_i; w))_{y_i}`` is a *sum* over the ``N`` training samples, as in Lorraine &
    Duvenaud (2018); dividing by ``N`` changes no minimiser and keeps step sizes independent of ``N``."""
    return cross_entropy(flat, X, y, sizes) + lam * penalty(flat, sizes, kind) / X.shape[0]


def train_hypernet(X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int], lam_range: tuple[float, float], *,
                   kind: str = "l2", hidden: int = 16, steps: int = 1500, n_lambdas: int = 8, lr: float = 0.01,
                   seed: int = 0, phi: dict[str, torch.Tensor] | None = None, progress: bool = False
                   ) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Train a hypernetwork on ``E_{λ ~ logU(lam_range)} [CE(G(λ;φ)) + (λ/N) R(G(λ;φ))]`` (Lorraine & Duvenaud 2018).

    Each Adam step (Kingma & Ba 2015, learning rate ``lr``) draws ``n_lambdas`` values of ``log λ`` stratified over
    ``log lam_range`` (one uniform draw in each of ``n_lambdas`` equal cells: an unbiased, lower-variance estimate of
    the expectation) and uses the full training batch. Deterministic for a ``seed``. Returns ``(φ, losses)`` with
    the Monte-Carlo objective of every step; ``phi`` continues training from given parameters.
    """
    if not (0 < lam_range[0] < lam_range[1]):
        raise ValueError(both(f"lam_range must be (low, high) with 0 < low < high, got {lam_range}",
                              f"lam_range — пара (low, high) с 0 < low < high, получено {lam_range}"))
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[1] != sizes[0]:
        raise ValueError(both(f"X must be [N, {sizes[0]}] and y [N], got {tuple(X.shape)} and {tuple(y.shape)}",
                              f"X должен быть [N, {sizes[0]}], а y — [N], получено {tuple(X.shape)} и {tuple(y.shape)}"))
    if kind not in PENALTIES:
        raise ValueError(both(f"penalty must be one of {PENALTIES}, got {kind!r}",
                              f"штраф должен быть одним из {PENALTIES}, получено {kind!r}"))
    _v.tensor("X", X)
    _v.number("lam_range[0]", lam_range[0], gt=0)
    _v.number("lam_range[1]", lam_range[1], gt=0)
    _v.number("lr", lr, gt=0)
    steps = _v.integer("steps", steps, ge=0)
    n_lambdas = _v.integer("n_lambdas", n_lambdas, ge=1)
    log_range = (math.log(lam_range[0]), math.log(lam_range[1]))
    phi = {k: v.detach().clone() for k, v in (phi or init_hypernet(sizes, log_range, hidden, seed)).items()}
    _v.same_dtype(X=X, **{f"phi[{k!r}]": v for k, v in phi.items() if k != "log_range"})
    trainable = [v.requires_grad_(True) for k, v in phi.items() if k != "log_range"]
    opt = Adam(trainable, lr=lr)
    g = torch.Generator().manual_seed(seed + 1)
    lo, hi = phi["log_range"].tolist()
    losses = []
    steps_iter = range(steps)
    if progress:
        from tqdm.auto import tqdm

        steps_iter = tqdm(steps_iter, desc="hypernetwork")
    for _ in steps_iter:
        u = (torch.arange(n_lambdas) + torch.rand(n_lambdas, generator=g)) / n_lambdas
        lam = torch.exp(lo + u * (hi - lo))
        loss = objective(hypernet_weights(phi, lam), lam, X, y, sizes, kind).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {k: v.detach() for k, v in phi.items()}, losses


# --- ground truth: the model retrained at one λ -------------------------------------------------------------------

def best_response(X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int], lam: float, *, kind: str = "l2",
                  init: torch.Tensor | None = None, max_iter: int = 500, tol: float = 1e-7) -> torch.Tensor:
    """The model retrained at a fixed λ: ``w*(λ) = argmin_w CE(w) + (λ/N) R(w)`` by L-BFGS in float64.

    For logistic regression with ``R = ‖W‖²`` the problem is strictly convex in ``W`` and L-BFGS reaches the unique
    minimum, the exact best response the hypernetwork should learn. Returns the flat float32 vector."""
    if kind != "l2":
        raise ValueError(both("best_response needs the smooth L2 penalty (L-BFGS)",
                              "best_response требует гладкого штрафа L2 (L-BFGS)"))
    Xd = X.double()
    w = (init.detach().double().clone() if init is not None
         else torch.zeros(n_params(sizes), dtype=torch.float64)).requires_grad_(True)
    opt = torch.optim.LBFGS([w], lr=1, max_iter=max_iter, tolerance_grad=tol, tolerance_change=1e-12,
                            history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = objective(w, torch.tensor(float(lam), dtype=torch.float64), Xd, y, sizes, kind)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().float()


# --- complexity control: magnitude pruning of the generated weights ----------------------------------------------

def magnitude_prune(flat: torch.Tensor, sizes: Sequence[int], fraction: float) -> torch.Tensor:
    """Zero the ``round(fraction · n_W)`` weights of smallest ``|w|`` among the ``n_W`` weights (biases kept), one
    global threshold (Han et al., 2015). Works on ``[n]`` or per row of ``[K, n]``; ties go to the earlier index."""
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(both(f"fraction must lie in [0, 1], got {fraction}",
                              f"fraction должна лежать в [0, 1], получено {fraction}"))
    mask = weight_mask(sizes)
    idx = mask.nonzero().squeeze(1)
    k = int(round(float(fraction) * idx.numel()))
    out = flat.detach().clone()
    rows = out.reshape(-1, out.shape[-1])
    for row in rows:
        order = torch.argsort(row[idx].abs(), stable=True)
        row[idx[order[:k]]] = 0.0
    return rows.reshape(out.shape)


def pruning_curve(phi: dict[str, torch.Tensor], lams: Sequence[float], fractions: Sequence[float],
                  X: torch.Tensor, y: torch.Tensor, sizes: Sequence[int]) -> torch.Tensor:
    """Accuracy ``[len(lams), len(fractions)]`` of the hypernetwork's model ``G(λ; φ)`` after magnitude pruning of a
    share of its weights — the complexity-control experiment of Grebenkova et al. (2023): one hypernetwork, one curve
    of accuracy against the percent of removed parameters for each λ, no retraining."""
    with torch.no_grad():
        W = hypernet_weights(phi, torch.tensor([float(v) for v in lams]))
        return torch.stack([accuracy(magnitude_prune(W, sizes, f), X, y, sizes) for f in fractions], dim=1)


# --- tuning λ through the hypernetwork ----------------------------------------------------------------------------

def tune_lambda(phi: dict[str, torch.Tensor], X_val: torch.Tensor, y_val: torch.Tensor, sizes: Sequence[int],
                lam0: float, steps: int = 200, lr: float = 0.05) -> tuple[float, list[float]]:
    """Second phase of Lorraine & Duvenaud (2018): ``λ̂ = argmin_λ CE_val(G(λ; φ))`` by Adam on ``log λ``, the
    hypergradient ``d CE_val / d log λ = ∂CE_val/∂w · ∂G/∂ log λ`` coming from autograd through the hypernetwork
    (no retraining, no implicit function theorem). ``log λ`` is kept within the training range of ``φ``.
    Returns ``(λ̂, validation losses along the way)``."""
    lo, hi = phi["log_range"].tolist()
    s = torch.tensor(math.log(lam0), requires_grad=True)
    opt = Adam([s], lr=lr)
    history = []
    for _ in range(steps):
        loss = cross_entropy(hypernet_weights(phi, torch.exp(s))[0], X_val, y_val, sizes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            s.clamp_(lo, hi)
        history.append(loss.item())
    return float(torch.exp(s.detach())), history
