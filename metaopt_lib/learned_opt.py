"""A learned optimizer: the coordinate-wise LSTM of "Learning to learn by gradient descent by gradient descent"
(Andrychowicz, Denil, Gómez, Hoffman, Pfau, Schaul, Shillingford & de Freitas, NeurIPS 2016).

The optimizer :math:`m_\\phi` maps the gradient of an optimizee :math:`f` to its update,

.. math:: \\theta_{t+1} = \\theta_t + g_t, \\qquad (g_t, h_{t+1}) = m_\\phi(\\nabla f(\\theta_t), h_t),

one small two-layer LSTM applied to every coordinate of θ separately (the same φ for all coordinates, a hidden
state per coordinate), so the optimizer has a few thousand parameters whatever the size of θ. φ is trained by
gradient descent on the *minimised* objective

.. math:: \\mathcal L(\\phi) = \\mathbb E_f \\Big[\\sum_{t=1}^{T} w_t f(\\theta_t)\\Big], \\qquad w_t = 1,

by backpropagation through the unrolled optimisation, truncated every ``truncation`` steps, and with the
paper's simplification :math:`\\partial \\nabla f(\\theta_t) / \\partial \\phi = 0` (no second derivatives of f).
The training distribution is the paper's random quadratics :math:`f(\\theta) = \\lVert W\\theta - y\\rVert_2^2`
with :math:`W \\in \\mathbb R^{10\\times10}`, :math:`y \\in \\mathbb R^{10}` i.i.d. standard normal.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from metaopt_lib import validate as _v
from metaopt_lib.aliases import Objective, Params
from metaopt_lib.i18n import both
from metaopt_lib.training import Adam

State = tuple[torch.Tensor, ...]

OUTPUT_SCALE = 0.1
PREPROCESS_P = 10.0


# --- the optimizee: random quadratics --------------------------------------------------------------------------

def random_quadratics(n: int, dim: int = 10, generator: torch.Generator | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random problems :math:`f(\\theta) = \\lVert W\\theta - y\\rVert^2`: ``W (n, dim, dim)``, ``y (n, dim)``,
    entries i.i.d. N(0, 1) (Andrychowicz et al. 2016, §3.1)."""
    if n < 1 or dim < 1:
        raise ValueError(both(f"need n >= 1 and dim >= 1, got n={n}, dim={dim}",
                              f"нужно n >= 1 и dim >= 1, получено n={n}, dim={dim}"))
    W = torch.randn(n, dim, dim, generator=generator)
    y = torch.randn(n, dim, generator=generator)
    return W, y


def quadratic_loss(theta: torch.Tensor, W: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """:math:`f_i(\\theta_i) = \\lVert W_i\\theta_i - y_i\\rVert_2^2` for every problem i; ``theta (n, dim)`` → ``(n,)``."""
    if theta.shape != y.shape or W.shape != (*y.shape, y.shape[-1]):
        raise ValueError(both(f"shapes do not match: theta {tuple(theta.shape)}, W {tuple(W.shape)}, "
                              f"y {tuple(y.shape)}; expected (n, d), (n, d, d), (n, d)",
                              f"размеры не согласованы: theta {tuple(theta.shape)}, W {tuple(W.shape)}, "
                              f"y {tuple(y.shape)}; ожидаются (n, d), (n, d, d), (n, d)"))
    r = torch.einsum("nij,nj->ni", W, theta) - y
    return (r * r).sum(-1)


def quadratic_problems(W: torch.Tensor, y: torch.Tensor) -> Objective:
    """The batch of quadratics as one function ``theta (n, d) → losses (n,)``."""
    return lambda theta: quadratic_loss(theta, W, y)


# --- the coordinate-wise LSTM -------------------------------------------------------------------------------------

def init_lstm_optimizer(hidden: int = 20, layers: int = 2, generator: torch.Generator | None = None) -> Params:
    """Parameters φ of a coordinate-wise ``layers``-layer LSTM with ``hidden`` units and a linear output.

    Input: the two preprocessed gradient features of a coordinate (:func:`preprocess_gradient`). Weights are
    drawn like ``torch.nn.LSTMCell`` (U[−1/√h, 1/√h]); the output layer starts at zero, so the untrained
    optimizer makes no step.
    """
    if hidden < 1 or layers < 1:
        raise ValueError(both("hidden and layers must be positive", "hidden и layers должны быть положительны"))
    bound = 1 / math.sqrt(hidden)

    def uniform(*shape):
        return (torch.rand(*shape, generator=generator) * 2 - 1) * bound

    phi = {}
    for layer in range(layers):
        n_in = 2 if layer == 0 else hidden
        phi[f"lstm{layer}.weight_ih"] = uniform(4 * hidden, n_in)
        phi[f"lstm{layer}.weight_hh"] = uniform(4 * hidden, hidden)
        phi[f"lstm{layer}.bias"] = uniform(4 * hidden)
    phi["out.weight"] = torch.zeros(1, hidden)
    phi["out.bias"] = torch.zeros(1)
    return phi


def _layers(phi: Params) -> int:
    return sum(1 for k in phi if k.endswith(".weight_ih"))


def initial_state(phi: Params, n_coords: int) -> State:
    """Zero hidden and cell states, one row per coordinate: ``(h_0, c_0, h_1, c_1, ...)``."""
    w = phi["lstm0.weight_hh"]
    return tuple(w.new_zeros(n_coords, w.shape[1]) for _ in range(2 * _layers(phi)))


def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, weight_ih: torch.Tensor,
              weight_hh: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate), gates in the order i, f, g, o:
    :math:`c' = \\sigma(f)\\odot c + \\sigma(i)\\odot\\tanh(g)`, :math:`h' = \\sigma(o)\\odot\\tanh(c')`,
    where ``[i, f, g, o] = x W_ihᵀ + h W_hhᵀ + b`` (the convention of ``torch.nn.LSTMCell``)."""
    i, f, g, o = (x @ weight_ih.T + h @ weight_hh.T + bias).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def preprocess_gradient(grad: torch.Tensor, p: float = PREPROCESS_P) -> torch.Tensor:
    """The paper's gradient preprocessing (Andrychowicz et al. 2016, Appendix A), two features per coordinate:

    :math:`(\\log|\\nabla| / p,\\ \\operatorname{sgn}\\nabla)` if :math:`|\\nabla| \\ge e^{-p}`, else
    :math:`(-1,\\ e^{p}\\nabla)`. It keeps the scale information of gradients spanning many orders of magnitude.
    """
    big = grad.abs() >= math.exp(-p)
    log_part = torch.where(big, torch.log(grad.abs().clamp_min(math.exp(-p))) / p, -torch.ones_like(grad))
    sign_part = torch.where(big, torch.sign(grad), math.exp(p) * grad)
    return torch.stack([log_part, sign_part], dim=-1)


def lstm_update(phi: Params, grad: torch.Tensor, state: State, scale: float = OUTPUT_SCALE
                ) -> tuple[torch.Tensor, State]:
    """The learned update :math:`g_t = \\text{scale}\\cdot w^\\top h^{(L)}_{t+1} + b` of every coordinate, and the new
    state. ``grad`` has any shape; each entry is one coordinate (a row of the state)."""
    x = preprocess_gradient(grad.reshape(-1))
    new_state = []
    for layer in range(_layers(phi)):
        h, c = lstm_cell(x, state[2 * layer], state[2 * layer + 1], phi[f"lstm{layer}.weight_ih"],
                         phi[f"lstm{layer}.weight_hh"], phi[f"lstm{layer}.bias"])
        new_state += [h, c]
        x = h
    out = (x @ phi["out.weight"].T + phi["out.bias"]).squeeze(-1) * scale
    return out.reshape(grad.shape), tuple(new_state)


def unroll(phi: Params, loss_fn: Objective, theta: torch.Tensor, steps: int, state: State | None = None,
           second_order: bool = False) -> tuple[torch.Tensor, torch.Tensor, State]:
    """Run the learned optimizer for ``steps`` steps from ``theta``: :math:`\\theta_{t+1} = \\theta_t + g_t`.

    ``loss_fn(theta)`` returns one loss per problem. Returns the losses :math:`f(\\theta_1..\\theta_T)`, shape
    ``(steps, n_problems)`` — differentiable with respect to φ through the trajectory — the final θ and the
    LSTM state. The gradient fed to the LSTM is a constant for the meta-gradient (the paper's
    :math:`\\partial\\nabla_t/\\partial\\phi = 0`) unless ``second_order``.
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(both(f"steps must be an integer >= 0, got {steps!r}",
                              f"steps должно быть целым >= 0, получено {steps!r}"))
    if not isinstance(theta, torch.Tensor) or not theta.is_floating_point():
        raise TypeError(both("theta must be a floating-point tensor", "theta должен быть вещественным тензором"))
    if state is None:
        state = initial_state(phi, theta.numel())
    if not theta.requires_grad:
        theta = theta.detach().requires_grad_(True)  # a new leaf: the caller's tensor is left as it was
    losses = []
    for _ in range(steps):
        (g,) = torch.autograd.grad(loss_fn(theta).sum(), theta, create_graph=second_order)
        update, state = lstm_update(phi, g, state)
        theta = theta + update
        losses.append(loss_fn(theta))
    return torch.stack(losses), theta, state


def meta_train_lstm(phi: Params, sample_problems: Callable[[], tuple[Objective, torch.Tensor]], n_iters: int,
                    horizon: int = 100, truncation: int = 20, meta_lr: float = 3e-3, callback=None,
                    progress: bool = False) -> tuple[Params, list[float]]:
    """Train φ by truncated backpropagation through optimisation (Andrychowicz et al. 2016, §2–3).

    Each iteration draws a batch of problems (``sample_problems() -> (loss_fn, theta_0)``), runs the optimizer
    for ``horizon`` steps, and every ``truncation`` steps takes an Adam step on
    :math:`\\frac1{n}\\sum_i\\sum_{t \\in \\text{window}} f_i(\\theta_t)` before detaching θ and the LSTM state.
    Returns the trained φ and the meta-loss of each iteration (the mean of :math:`f` over its whole horizon).
    """
    n_iters = _v.integer("n_iters", n_iters, ge=0)
    horizon = _v.integer("horizon", horizon, ge=1)
    truncation = _v.integer("truncation", truncation, ge=1)
    _v.number("meta_lr", meta_lr, gt=0)
    if horizon % truncation:
        raise ValueError(both("horizon must be a multiple of truncation",
                              "горизонт должен делиться на длину отрезка усечения"))
    phi = {k: v.detach().clone().requires_grad_(True) for k, v in phi.items()}
    opt = Adam(phi.values(), lr=meta_lr)
    history = []
    iterator = range(n_iters)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc="LSTM optimizer")
    for it in iterator:
        loss_fn, theta = sample_problems()
        state = None
        total = 0.0
        for _ in range(horizon // truncation):
            losses, theta, state = unroll(phi, loss_fn, theta, truncation, state)
            meta_loss = losses.sum(0).mean()
            opt.zero_grad()
            meta_loss.backward()
            opt.step()
            total += losses.detach().mean().item() * truncation
            theta = theta.detach()
            state = tuple(s.detach() for s in state)
        history.append(total / horizon)
        if callback is not None:
            callback(it, phi, history[-1])
    return {k: v.detach() for k, v in phi.items()}, history


def lstm_curve(phi: Params, loss_fn: Objective, theta: torch.Tensor, steps: int) -> torch.Tensor:
    """Losses :math:`f(\\theta_0), \\dots, f(\\theta_T)` of the learned optimizer, shape ``(steps + 1, n)``, no
    meta-gradient (evaluation)."""
    phi = {k: v.detach() for k, v in phi.items()}
    state = initial_state(phi, theta.numel())
    theta = theta.detach()
    values = [loss_fn(theta).detach()]
    for _ in range(steps):
        theta = theta.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(loss_fn(theta).sum(), theta)
        with torch.no_grad():
            update, state = lstm_update(phi, g, state)
            theta = theta + update
            values.append(loss_fn(theta))
    return torch.stack(values)


# --- hand-designed baselines -----------------------------------------------------------------------------------

def hand_optimizer_curve(name: str, lr: float, loss_fn: Objective, theta: torch.Tensor, steps: int) -> torch.Tensor:
    """Losses :math:`f(\\theta_0..\\theta_T)`, shape ``(steps + 1, n)``, of ``torch.optim.SGD`` or Adam
    (``training.Adam``, Kingma & Ba 2015; default betas) with step ``lr``, every problem optimised independently
    (the losses of the batch are summed, and both methods act coordinate-wise)."""
    if name not in ("sgd", "adam"):
        raise ValueError(both(f"unknown optimizer {name!r}; expected 'sgd' or 'adam'",
                              f"неизвестный оптимизатор {name!r}; ожидается 'sgd' или 'adam'"))
    theta = theta.detach().clone().requires_grad_(True)
    opt = (torch.optim.SGD if name == "sgd" else Adam)([theta], lr=lr)
    values = []
    for _ in range(steps):
        opt.zero_grad()
        f = loss_fn(theta)
        values.append(f.detach())
        f.sum().backward()
        opt.step()
    with torch.no_grad():
        values.append(loss_fn(theta))
    return torch.stack(values)


def tune_learning_rate(name: str, lrs, loss_fn: Objective, theta: torch.Tensor, steps: int
                       ) -> tuple[float, torch.Tensor]:
    """Grid search of the step size of a hand-designed optimizer: the ``lr`` of ``lrs`` with the smallest mean
    loss after ``steps`` steps on the given (training) problems; diverged runs count as +∞. Returns the best
    step size and the mean final loss of every grid value."""
    lrs = [float(v) for v in lrs]
    if not lrs:
        raise ValueError(both("the grid of learning rates is empty", "сетка шагов обучения пуста"))
    finals = []
    for lr in lrs:
        final = hand_optimizer_curve(name, lr, loss_fn, theta, steps)[-1].mean()
        finals.append(final if torch.isfinite(final) else torch.tensor(float("inf")))
    finals = torch.stack(finals)
    return lrs[int(finals.argmin())], finals
