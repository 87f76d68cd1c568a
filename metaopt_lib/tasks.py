"""Task distributions for meta-learning: the MAML sinusoids and few-shot episodes on rotated digits.

A meta-batch of tasks is a :class:`TaskBatch` — four tensors with the task as the leading dimension:
the support set ``(xs, ys)`` that a learner adapts on (the "K examples" of Algorithm 1 of Finn et al. 2017)
and the query set ``(xq, yq)`` on which the adapted learner is judged (the task's "test" data).

* Sinusoid regression exactly as in Finn, Abbeel & Levine (2017), §5.1: a task is
  :math:`y = A \\sin(x - \\varphi)` with amplitude :math:`A \\sim U[0.1, 5]`, phase :math:`\\varphi \\sim U[0, \\pi]`,
  inputs :math:`x \\sim U[-5, 5]`; the learner is a 1-40-40-1 ReLU network (:func:`sinusoid_net`).
* N-way K-shot classification (Vinyals et al. 2016; Finn et al. 2017, §5.2) on an offline substitute for
  Omniglot: sklearn's 8×8 handwritten digits, each digit rotated by 0°, 90°, 180°, 270° as a new class (as
  Omniglot's characters are augmented with rotations in the MAML paper), minus the rotations that would
  duplicate a class (:func:`digit_classes`). Train and test classes come from disjoint digits.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from metaopt_lib.i18n import both

# --- the meta-batch --------------------------------------------------------------------------------------


class TaskBatch(NamedTuple):
    """A meta-batch: support ``xs, ys`` and query ``xq, yq``, each with the task as dimension 0."""

    xs: torch.Tensor
    ys: torch.Tensor
    xq: torch.Tensor
    yq: torch.Tensor

    @property
    def n_tasks(self) -> int:
        return self.xs.shape[0]

    def task(self, i: int) -> "TaskBatch":
        """Task ``i`` alone (still with a leading task dimension of size 1)."""
        return TaskBatch(*(t[i:i + 1] for t in self))


def _generator(generator: torch.Generator | None) -> torch.Generator | None:
    """``None`` means torch's global generator (seeded by ``metaopt_lib.seeding.set_seed``)."""
    return generator


def _positive_int(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(both(f"{name} must be a positive integer, got {value!r}",
                              f"{name} должно быть целым положительным числом, получено {value!r}"))
    return value


# --- sinusoid regression (Finn et al. 2017, §5.1) ------------------------------------------------------------

AMPLITUDE_RANGE = (0.1, 5.0)
PHASE_RANGE = (0.0, math.pi)
X_RANGE = (-5.0, 5.0)


def sinusoid(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """The task's target function :math:`y = A \\sin(x - \\varphi)` (broadcasting; Finn et al. 2017)."""
    return amplitude * torch.sin(x - phase)


def sample_sinusoid_params(n_tasks: int, generator: torch.Generator | None = None
                           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Amplitudes :math:`A \\sim U[0.1, 5]` and phases :math:`\\varphi \\sim U[0, \\pi]` of ``n_tasks`` tasks."""
    g = _generator(generator)
    _positive_int("n_tasks", n_tasks)
    lo, hi = AMPLITUDE_RANGE
    amplitude = lo + (hi - lo) * torch.rand(n_tasks, generator=g)
    phase = PHASE_RANGE[0] + (PHASE_RANGE[1] - PHASE_RANGE[0]) * torch.rand(n_tasks, generator=g)
    return amplitude, phase


def sample_sinusoid_x(n_tasks: int, n_points: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Inputs :math:`x \\sim U[-5, 5]`, shape ``(n_tasks, n_points, 1)``."""
    g = _generator(generator)
    lo, hi = X_RANGE
    return lo + (hi - lo) * torch.rand(n_tasks, n_points, 1, generator=g)


def sinusoid_tasks(amplitude: torch.Tensor, phase: torch.Tensor, k_support: int, k_query: int,
                   generator: torch.Generator | None = None) -> TaskBatch:
    """Support (``k_support`` points) and query (``k_query`` points) sets of the given sinusoid tasks."""
    _positive_int("k_support", k_support)
    _positive_int("k_query", k_query)
    if amplitude.shape != phase.shape or amplitude.dim() != 1:
        raise ValueError(both("amplitude and phase must be 1-D tensors of the same length",
                              "amplitude и phase должны быть одномерными тензорами одной длины"))
    g = _generator(generator)
    n = amplitude.shape[0]
    x = sample_sinusoid_x(n, k_support + k_query, g)
    y = sinusoid(x, amplitude[:, None, None], phase[:, None, None])
    return TaskBatch(x[:, :k_support], y[:, :k_support], x[:, k_support:], y[:, k_support:])


def sample_sinusoid_tasks(n_tasks: int, k_support: int, k_query: int | None = None,
                          generator: torch.Generator | None = None) -> TaskBatch:
    """A meta-batch of ``n_tasks`` sinusoid tasks with K = ``k_support`` shots (Finn et al. 2017, §5.1).

    The paper trains with K support and K query points per task (``k_query`` defaults to ``k_support``).
    """
    g = _generator(generator)
    amplitude, phase = sample_sinusoid_params(n_tasks, g)
    return sinusoid_tasks(amplitude, phase, k_support, k_support if k_query is None else k_query, g)


def sinusoid_net() -> nn.Module:
    """The MAML paper's regressor: a 1-40-40-1 fully connected network with ReLU (PyTorch default init)."""
    return nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))


# --- few-shot classification on rotated digits ---------------------------------------------------------------

ROTATIONS = (0, 90, 180, 270)
# Digits whose shape is unchanged by a half turn: d rotated by r+180° looks like d rotated by r.
HALF_TURN_SYMMETRIC = (0, 1, 8)
# 6 turned by 180° is a 9 (and back): 6 rotated by r+180° looks like 9 rotated by r.
HALF_TURN_PAIRS = ((6, 9),)
TEST_DIGITS = (3, 6, 9)


def digit_classes(split: str = "all") -> list[tuple[int, int]]:
    """The (digit, rotation in degrees) classes of the rotated-digits substitute for Omniglot.

    Every digit 0-9 rotated by 0°, 90°, 180°, 270° would give 40 classes, but some would be copies of others:
    0, 1 and 8 turned by a half turn are themselves (so d@180° ≡ d@0° and d@270° ≡ d@90°), and 6 turned by a
    half turn is 9 (6@180° ≡ 9@0°, 6@270° ≡ 9@90°, and conversely). Those duplicates are left out, which leaves
    30 distinct classes. ``split="train"`` gives the classes of the digits not in ``TEST_DIGITS`` (22 classes),
    ``"test"`` those of ``TEST_DIGITS`` = (3, 6, 9) (8 classes): train and test share neither a class nor a
    digit shape (6 and 9 are on the same side because they are rotations of each other).
    """
    if split not in ("all", "train", "test"):
        raise ValueError(both(f"split must be 'all', 'train' or 'test', got {split!r}",
                              f"split должен быть 'all', 'train' или 'test', получено {split!r}"))
    classes = []
    for digit in range(10):
        for rot in ROTATIONS:
            if digit in HALF_TURN_SYMMETRIC and rot >= 180:
                continue
            if any(digit in pair for pair in HALF_TURN_PAIRS) and rot >= 180:
                continue
            classes.append((digit, rot))
    if split == "train":
        return [c for c in classes if c[0] not in TEST_DIGITS]
    if split == "test":
        return [c for c in classes if c[0] in TEST_DIGITS]
    return classes


def rotated_digits(classes: list[tuple[int, int]] | None = None) -> dict[tuple[int, int], torch.Tensor]:
    """Images of every (digit, rotation) class: ``{class: tensor (n_images, 64)}`` with pixels in [0, 1].

    sklearn's bundled digits (offline), 8×8 images scaled from 0..16 to [0, 1], rotated counter-clockwise by
    ``torch.rot90``. ``classes`` defaults to :func:`digit_classes` ``("all")``.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32) / 16.0
    labels = torch.tensor(data.target)
    out = {}
    for digit, rot in (classes if classes is not None else digit_classes()):
        if rot not in ROTATIONS or not 0 <= digit <= 9:
            raise ValueError(both(f"unknown class ({digit}, {rot})", f"неизвестный класс ({digit}, {rot})"))
        imgs = torch.rot90(images[labels == digit], k=rot // 90, dims=(1, 2))
        out[(digit, rot)] = imgs.reshape(imgs.shape[0], 64).contiguous()
    return out


def sample_episodes(images: dict[tuple[int, int], torch.Tensor], n_way: int, k_shot: int, q_query: int,
                    n_tasks: int, generator: torch.Generator | None = None) -> TaskBatch:
    """``n_tasks`` N-way K-shot episodes drawn from the classes of ``images``.

    Each episode draws ``n_way`` distinct classes, gives them the labels 0..N-1 in a random order, and
    draws ``k_shot + q_query`` distinct images of each: ``k_shot`` go to the support set (N·K examples),
    ``q_query`` to the query set (N·Q examples). Shapes: ``xs (T, N·K, 64)``, ``ys (T, N·K)`` (int64), etc.
    """
    for name, v in (("n_way", n_way), ("k_shot", k_shot), ("q_query", q_query), ("n_tasks", n_tasks)):
        _positive_int(name, v)
    keys = list(images)
    if n_way > len(keys):
        raise ValueError(both(f"{n_way}-way episodes need at least {n_way} classes, there are {len(keys)}",
                              f"для {n_way}-классовых эпизодов нужно не меньше {n_way} классов, есть {len(keys)}"))
    smallest = min(images[k].shape[0] for k in keys)
    if k_shot + q_query > smallest:
        raise ValueError(both(f"k_shot + q_query = {k_shot + q_query} exceeds the {smallest} images of a class",
                              f"k_shot + q_query = {k_shot + q_query} больше числа изображений класса ({smallest})"))
    g = _generator(generator)
    xs, ys, xq, yq = [], [], [], []
    labels_s = torch.arange(n_way).repeat_interleave(k_shot)
    labels_q = torch.arange(n_way).repeat_interleave(q_query)
    for _ in range(n_tasks):
        chosen = torch.randperm(len(keys), generator=g)[:n_way]
        s, q = [], []
        for c in chosen.tolist():
            pool = images[keys[c]]
            idx = torch.randperm(pool.shape[0], generator=g)[:k_shot + q_query]
            s.append(pool[idx[:k_shot]])
            q.append(pool[idx[k_shot:]])
        xs.append(torch.cat(s))
        xq.append(torch.cat(q))
        ys.append(labels_s)
        yq.append(labels_q)
    return TaskBatch(torch.stack(xs), torch.stack(ys), torch.stack(xq), torch.stack(yq))


def digits_net(n_way: int, hidden: int = 64) -> nn.Module:
    """The few-shot classifier on 8×8 digits: 64-h-h-N, ReLU; the last layer (``"4"``) is the head ANIL adapts."""
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, n_way))
