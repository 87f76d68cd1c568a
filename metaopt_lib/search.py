"""Black-box hyperparameter search, written small for teaching.

Every searcher minimises a validation loss ``objective(config)`` (or ``objective(config, budget)`` for the
multi-fidelity ones) over a declared search space and returns the list of its :class:`Trial` s in the order
they were run, so that :func:`best_so_far` can draw "best validation loss against number of trainings".

* :func:`grid_search`          — the Cartesian product of per-dimension grids;
* :func:`random_search`        — independent samples, log-uniform where declared (Bergstra & Bengio, 2012);
* :func:`coarse_to_fine`       — random search repeated in ever smaller boxes around the best so far;
* :func:`successive_halving`   — Jamieson & Talwalkar (2016): train many configurations briefly, keep the best
  ``1/eta``, multiply their budget by ``eta``;
* :func:`hyperband`            — Li et al. (2018, JMLR 18:185): successive halving over several brackets that trade
  the number of configurations against the budget each one gets;
* :func:`optuna_search`        — Bayesian optimisation (sequential model-based optimisation) with optuna's
  TPE sampler (Bergstra et al., 2011; Akiba et al., 2019);
* :func:`evolutionary_search`  — regularised ("ageing") evolution, the searcher of AmoebaNet (Real et al., 2019).

A search space is a ``dict`` name → :class:`Float`, :class:`Int` or :class:`Choice`. Every dimension maps the unit
interval onto its values (:func:`from_unit`), which is all that random and evolutionary search need.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import torch

from metaopt_lib import validate as _v
from metaopt_lib.i18n import both

__all__ = [
    "Float", "Int", "Choice", "Trial", "check_space", "from_unit", "to_unit", "sample_config", "grid",
    "grid_search", "random_search", "coarse_to_fine", "successive_halving", "hyperband_brackets", "hyperband", "optuna_search",
    "evolutionary_search", "mutate", "best_so_far", "logistic_regression_objective",
]


# --- search spaces --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Float:
    """A real hyperparameter in ``[low, high]``; ``log=True`` makes it log-uniform (``0 < low``)."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Int:
    """An integer hyperparameter in ``[low, high]`` (both included); ``log=True`` for log-uniform.

    Sampling draws a real number in ``[low − ½, high + ½]`` (uniformly or log-uniformly) and rounds it, so that
    every integer owns a cell of width 1 (as optuna does)."""

    low: int
    high: int
    log: bool = False


@dataclass(frozen=True)
class Choice:
    """A categorical hyperparameter: one of ``options`` (str, int, float, bool or None, as optuna requires)."""

    options: tuple


class Trial(NamedTuple):
    """One training run: its hyperparameters, its validation loss and the budget it got (``None`` = full)."""

    config: dict
    loss: float
    budget: float | None = None


def check_space(space: dict) -> dict:
    """Return ``space`` after checking every dimension; raise ``ValueError`` with a bilingual message if not valid."""
    if not isinstance(space, dict) or not space:
        raise ValueError(both("a search space is a non-empty dict name -> Float/Int/Choice",
                              "пространство поиска — непустой словарь имя -> Float/Int/Choice"))
    for name, dim in space.items():
        if isinstance(dim, (Float, Int)):
            if not dim.low < dim.high:
                raise ValueError(both(f"{name}: need low < high, got [{dim.low}, {dim.high}]",
                                      f"{name}: нужно low < high, получено [{dim.low}, {dim.high}]"))
            if dim.log and dim.low <= 0:
                raise ValueError(both(f"{name}: a log-uniform range needs low > 0, got {dim.low}",
                                      f"{name}: для логарифмической шкалы нужно low > 0, получено {dim.low}"))
            if isinstance(dim, Int) and (int(dim.low) != dim.low or int(dim.high) != dim.high):
                raise ValueError(both(f"{name}: Int bounds must be integers", f"{name}: границы Int — целые числа"))
        elif isinstance(dim, Choice):
            if len(dim.options) == 0:
                raise ValueError(both(f"{name}: Choice needs at least one option",
                                      f"{name}: в Choice нужен хотя бы один вариант"))
        else:
            raise ValueError(both(f"{name}: unknown dimension {dim!r}; use Float, Int or Choice",
                                  f"{name}: неизвестное измерение {dim!r}; используйте Float, Int или Choice"))
    return space


def from_unit(dim: Float | Int | Choice, u: float) -> Any:
    """The value of a dimension at ``u`` ∈ [0, 1]: ``low + u (high − low)``, or ``low (high/low)^u`` on a log scale;
    an integer uses ``[low − ½, high + ½]`` and rounds; a choice of k options takes option ``min(⌊u k⌋, k − 1)``."""
    u = min(max(float(u), 0.0), 1.0)
    if isinstance(dim, Choice):
        return dim.options[min(int(u * len(dim.options)), len(dim.options) - 1)]
    low, high = _real_range(dim)
    if dim.log:
        value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        value = low + u * (high - low)
    if isinstance(dim, Int):
        return int(min(max(math.floor(value + 0.5), dim.low), dim.high))
    return float(min(max(value, dim.low), dim.high))


def _real_range(dim: Float | Int) -> tuple[float, float]:
    if isinstance(dim, Int):
        return dim.low - 0.5, dim.high + 0.5
    return dim.low, dim.high


def to_unit(dim: Float | Int | Choice, value: Any) -> float:
    """The inverse of :func:`from_unit` (the middle of the option's cell for a choice)."""
    if isinstance(dim, Choice):
        return (dim.options.index(value) + 0.5) / len(dim.options)
    low, high = _real_range(dim)
    if dim.log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


def sample_config(space: dict, rng: np.random.Generator) -> dict:
    """One configuration drawn independently per dimension: uniform, log-uniform or a uniform choice."""
    return {name: from_unit(dim, rng.random()) for name, dim in space.items()}


def _axis(dim: Float | Int | Choice, points: int) -> list:
    if isinstance(dim, Choice):
        return list(dim.options)
    if points < 1:
        raise ValueError(both("a grid needs at least one point per dimension",
                              "в сетке нужна хотя бы одна точка на измерение"))
    if points == 1:
        values = np.sqrt([dim.low * dim.high]) if dim.log else np.array([(dim.low + dim.high) / 2])
    elif dim.log:
        values = np.geomspace(dim.low, dim.high, points)
    else:
        values = np.linspace(dim.low, dim.high, points)
    if isinstance(dim, Int):
        return list(dict.fromkeys(int(np.floor(v + 0.5)) for v in values))  # integers may repeat after rounding
    return [float(v) for v in values]


def grid(space: dict, resolution: int | dict) -> list[dict]:
    """The grid of grid search: the Cartesian product, in the declared order of the dimensions, of ``resolution``
    evenly spaced values per real/integer dimension (geometrically spaced on a log scale, ends included, integer
    duplicates removed) and all options of every choice. ``resolution`` is one int or a dict name → int."""
    check_space(space)
    res = resolution if isinstance(resolution, dict) else {name: resolution for name in space}
    axes = [_axis(dim, int(res.get(name, 1))) for name, dim in space.items()]
    return [dict(zip(space, values)) for values in itertools.product(*axes)]


# --- full-fidelity searchers ----------------------------------------------------------------------------------

def _evaluate(objective: Callable, config: dict, *budget) -> float:
    loss = float(objective(dict(config), *budget))
    return loss if math.isfinite(loss) else math.inf


def grid_search(objective: Callable[[dict], float], space: dict, resolution: int | dict) -> list[Trial]:
    """Evaluate ``objective`` on every point of :func:`grid` ``(space, resolution)``, in grid order."""
    return [Trial(config, _evaluate(objective, config)) for config in grid(space, resolution)]


def random_search(objective: Callable[[dict], float], space: dict, n_trials: int, seed: int = 0) -> list[Trial]:
    """Random search (Bergstra & Bengio, JMLR 2012): ``n_trials`` independent draws of :func:`sample_config`."""
    check_space(space)
    n_trials = _v.integer("n_trials", n_trials, ge=1)
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(n_trials):
        config = sample_config(space, rng)
        trials.append(Trial(config, _evaluate(objective, config)))
    return trials


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(both(f"{name} must be positive, got {value}", f"{name} должно быть положительным, получено {value}"))


def coarse_to_fine(objective: Callable[[dict], float], space: dict, n_rounds: int, n_per_round: int,
                   shrink: float = 0.5, seed: int = 0) -> list[Trial]:
    """Coarse-to-fine random search: round 0 samples the whole space; round ``k`` samples the box of width
    ``shrink^k`` (in the unit coordinates of :func:`to_unit`, clipped to [0, 1]) centred on the best configuration
    found so far; a choice is fixed at its best option after round 0. The "zooming" that seed slides describe as
    done by hand, written down: ``n_rounds · n_per_round`` trainings in all."""
    check_space(space)
    n_rounds = _v.integer("n_rounds", n_rounds, ge=1)
    n_per_round = _v.integer("n_per_round", n_per_round, ge=1)
    if not 0 < shrink < 1:
        raise ValueError(both(f"shrink must lie in (0, 1), got {shrink}", f"shrink должно лежать в (0, 1), получено {shrink}"))
    rng = np.random.default_rng(seed)
    trials: list[Trial] = []
    for k in range(n_rounds):
        best = min(trials, key=lambda t: t.loss).config if trials else None
        for _ in range(n_per_round):
            config = {}
            for name, dim in space.items():
                if best is None:
                    config[name] = from_unit(dim, rng.random())
                elif isinstance(dim, Choice):
                    config[name] = best[name]
                else:
                    half = shrink ** k / 2
                    centre = min(max(to_unit(dim, best[name]), half), 1 - half)  # keep the box inside [0, 1]
                    config[name] = from_unit(dim, centre - half + 2 * half * rng.random())
            trials.append(Trial(config, _evaluate(objective, config)))
    return trials


# --- successive halving and Hyperband ---------------------------------------------------------------------------

def _n_halvings(max_budget: float, min_budget: float, eta: int) -> int:
    """s = ⌊log_η(max_budget / min_budget)⌋ computed without floating-point surprises at exact powers."""
    s = 0
    while min_budget * eta ** (s + 1) <= max_budget * (1 + 1e-12):
        s += 1
    return s


def _check_budgets(min_budget, max_budget) -> tuple[float, float]:
    """Finite positive budgets (an infinite one would never end: s = ⌊log_η ∞⌋)."""
    return _v.number("min_budget", min_budget, gt=0), _v.number("max_budget", max_budget, gt=0)


def _check_eta(eta: int) -> None:
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not math.isfinite(eta) or int(eta) != eta \
            or eta < 2:
        raise ValueError(both(f"eta must be an integer >= 2, got {eta}", f"eta должно быть целым >= 2, получено {eta}"))


def _halving(objective: Callable[[dict, float], float], configs: Sequence[dict], rungs: list[tuple[int, float]]
             ) -> list[Trial]:
    """Run the rungs ``(n_i, r_i)``: train the best ``n_i`` survivors of the previous rung with budget ``r_i``."""
    trials: list[Trial] = []
    alive = list(configs)
    for n_i, r_i in rungs:
        alive = alive[:n_i]
        losses = [_evaluate(objective, config, r_i) for config in alive]
        trials.extend(Trial(config, loss, r_i) for config, loss in zip(alive, losses))
        order = sorted(range(len(alive)), key=lambda j: losses[j])  # stable: ties keep the earlier configuration
        alive = [alive[j] for j in order]
    return trials


def successive_halving(objective: Callable[[dict, float], float], space: dict, n_configs: int, min_budget: float,
                       max_budget: float, eta: int = 3, seed: int = 0) -> list[Trial]:
    """Successive halving (Jamieson & Talwalkar, AISTATS 2016; Karnin et al., 2013).

    Draw ``n`` = ``n_configs`` random configurations; with ``s = ⌊log_η(R / r)⌋`` for ``R = max_budget``,
    ``r = min_budget``, rung ``i = 0..s`` trains ``n_i = ⌊n η^{-i}⌋`` configurations (the best of the previous
    rung) with budget ``r_i = R η^{i−s}``, so the last rung gets the full budget ``R``. ``objective(config, budget)``
    returns the validation loss after training with that budget (epochs, steps, samples, ...).
    """
    check_space(space)
    _check_eta(eta)
    n_configs = _v.integer("n_configs", n_configs, ge=1)
    min_budget, max_budget = _check_budgets(min_budget, max_budget)
    if max_budget < min_budget:
        raise ValueError(both("max_budget must be >= min_budget", "max_budget должно быть >= min_budget"))
    s = _n_halvings(max_budget, min_budget, eta)
    rungs = [(max(n_configs // eta ** i, 1), max_budget * float(eta) ** (i - s)) for i in range(s + 1)]
    rng = np.random.default_rng(seed)
    configs = [sample_config(space, rng) for _ in range(n_configs)]
    return _halving(objective, configs, rungs)


def hyperband_brackets(max_budget: float, eta: int = 3, min_budget: float = 1.0) -> list[list[tuple[int, float]]]:
    """The brackets of Hyperband (Li et al., JMLR 2018, Algorithm 1), each a list of rungs ``(n_i, r_i)``.

    With ``R = max_budget / min_budget`` (the maximum budget in units of the minimum), ``s_max = ⌊log_η R⌋`` and
    ``B = (s_max + 1) R``, bracket ``s = s_max, …, 0`` starts ``n = ⌈(B / R) η^s / (s + 1)⌉`` configurations with
    ``r = R η^{-s}``; its rung ``i = 0..s`` trains ``n_i = ⌊n η^{-i}⌋`` of them with ``r_i = r η^i`` (returned in the
    units of ``max_budget``, i.e. multiplied by ``min_budget``).
    """
    _check_eta(eta)
    min_budget, max_budget = _check_budgets(min_budget, max_budget)
    if max_budget < min_budget:
        raise ValueError(both("max_budget must be >= min_budget", "max_budget должно быть >= min_budget"))
    R = max_budget / min_budget
    s_max = _n_halvings(max_budget, min_budget, eta)
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta ** s / (s + 1) - 1e-9)
        r = R * float(eta) ** (-s)
        brackets.append([(n // eta ** i, min_budget * r * eta ** i) for i in range(s + 1)])
    return brackets


def hyperband(objective: Callable[[dict, float], float], space: dict, max_budget: float, eta: int = 3,
              min_budget: float = 1.0, seed: int = 0) -> list[Trial]:
    """Hyperband (Li et al., JMLR 2018): successive halving on every bracket of :func:`hyperband_brackets`,
    from the most exploratory (many configurations, small budget) to plain random search at full budget."""
    check_space(space)
    rng = np.random.default_rng(seed)
    trials: list[Trial] = []
    for rungs in hyperband_brackets(max_budget, eta, min_budget):
        configs = [sample_config(space, rng) for _ in range(rungs[0][0])]
        trials.extend(_halving(objective, configs, rungs))
    return trials


# --- Bayesian optimisation through optuna ---------------------------------------------------------------------

def optuna_search(objective: Callable[[dict], float], space: dict, n_trials: int, seed: int = 0,
                  n_startup_trials: int = 10) -> list[Trial]:
    """Bayesian optimisation with optuna's Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011;
    optuna: Akiba et al., KDD 2019).

    TPE splits the trials so far at a quantile γ of the loss into good and bad ones, fits Parzen densities
    ``l(x)`` (good) and ``g(x)`` (bad) and proposes the candidate maximising ``l(x) / g(x)`` — equivalent to maximising
    the expected improvement. The first ``n_startup_trials`` are random; the densities are multivariate (joint over
    the dimensions, Falkner et al., 2018), which suits correlated hyperparameters. Seeded, optuna's logging silenced.
    """
    import optuna

    check_space(space)
    n_trials = _v.integer("n_trials", n_trials, ge=1)

    def optuna_objective(trial: "optuna.Trial") -> float:
        config = {}
        for name, dim in space.items():
            if isinstance(dim, Float):
                config[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
            elif isinstance(dim, Int):
                config[name] = trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log)
            else:
                config[name] = trial.suggest_categorical(name, list(dim.options))
        return _evaluate(objective, config)

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials, multivariate=True)
            study = optuna.create_study(direction="minimize", sampler=sampler)
            study.optimize(optuna_objective, n_trials=n_trials, show_progress_bar=False)
    finally:
        optuna.logging.set_verbosity(verbosity)
    return [Trial({name: t.params[name] for name in space}, float(t.value)) for t in study.trials]


# --- evolutionary search ------------------------------------------------------------------------------------------

def mutate(space: dict, config: dict, rng: np.random.Generator, scale: float = 0.1) -> dict:
    """A child of ``config``: one dimension chosen at random is moved by ``N(0, scale²)`` in its unit coordinate
    (:func:`to_unit`, clipped to [0, 1]); a choice is replaced by a different option."""
    child = dict(config)
    name = list(space)[int(rng.integers(len(space)))]
    dim = space[name]
    if isinstance(dim, Choice):
        others = [o for o in dim.options if o != config[name]]
        if others:
            child[name] = others[int(rng.integers(len(others)))]
        return child
    u = to_unit(dim, config[name]) + scale * rng.standard_normal()
    child[name] = from_unit(dim, u)
    return child


def evolutionary_search(objective: Callable[[dict], float], space: dict, n_trials: int, population_size: int = 10,
                        tournament_size: int = 3, mutation_scale: float = 0.1, seed: int = 0) -> list[Trial]:
    """Regularised (ageing) evolution (Real et al., AAAI 2019 — the search of AmoebaNet).

    Start with ``population_size`` random configurations. Then, until ``n_trials`` trainings are spent: draw
    ``tournament_size`` members of the population, :func:`mutate` the best of them, train the child, add it and
    remove the *oldest* member (not the worst: ageing keeps the population exploring).
    """
    check_space(space)
    if not 1 <= tournament_size <= population_size <= n_trials:
        raise ValueError(both("need 1 <= tournament_size <= population_size <= n_trials",
                              "нужно 1 <= tournament_size <= population_size <= n_trials"))
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(population_size):
        config = sample_config(space, rng)
        trials.append(Trial(config, _evaluate(objective, config)))
    population = list(trials)
    while len(trials) < n_trials:
        picks = rng.choice(len(population), size=tournament_size, replace=False)
        parent = min((population[int(i)] for i in picks), key=lambda t: t.loss)
        child_config = mutate(space, parent.config, rng, mutation_scale)
        child = Trial(child_config, _evaluate(objective, child_config))
        trials.append(child)
        population = population[1:] + [child]
    return trials


# --- reading the results ---------------------------------------------------------------------------------------------

def best_so_far(trials: Sequence[Trial], max_budget: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(cost, best)``: after each trial, the cumulative cost in full trainings and the lowest loss seen so far.

    A full-fidelity trial (``budget is None``) costs 1; a trial with a budget costs ``budget / max_budget``, so that
    multi-fidelity searchers are plotted on the same "number of trainings" axis. Every trial is a trained model whose
    validation loss is real, so partially trained ones count towards the best too.
    """
    if not trials:
        raise ValueError(both("no trials", "нет ни одного испытания"))
    costs = []
    for t in trials:
        if t.budget is None:
            costs.append(1.0)
        elif max_budget is None:
            raise ValueError(both("trials have budgets: give max_budget", "у испытаний есть бюджеты: укажите max_budget"))
        else:
            costs.append(t.budget / max_budget)
    return np.cumsum(costs), np.minimum.accumulate([t.loss for t in trials])


# --- a real task for the lecture ----------------------------------------------------------------------------------

def logistic_regression_objective(X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                                  y_val: torch.Tensor, max_steps: int = 100) -> Callable[..., float]:
    """``objective(config, budget=max_steps)``: validation cross-entropy of multinomial logistic regression trained
    from zero weights by ``budget`` steps of full-batch gradient descent with heavy-ball momentum
    ``v ← μ v + ∇L(θ)``, ``θ ← θ − η v`` on ``L(θ) = CE(θ) + wd ‖W‖²``.

    ``config`` has ``lr`` (η), ``weight_decay`` (wd) and optionally ``momentum`` (μ, default 0). A diverged run returns
    ``inf``: one whose weights are no longer finite, or whose final training objective L(θ_T) exceeds its value at the
    start, L(0) = log K (gradient descent that works decreases it). This is the cheap "training" the searchers of
    lecture 1 compare on.
    """
    _v.tensor("X_train", X_train, ndim=2)
    _v.tensor("X_val", X_val, ndim=2)
    max_steps = _v.integer("max_steps", max_steps, ge=0)
    n_classes = int(max(int(y_train.max()), int(y_val.max())) + 1)
    X_train, X_val = X_train.double(), X_val.double()

    def objective(config: dict, budget: float = max_steps) -> float:
        lr = _v.number("config['lr']", config["lr"], gt=0)
        wd = _v.number("config['weight_decay']", config["weight_decay"], ge=0)
        mu = _v.number("config['momentum']", config.get("momentum", 0.0), ge=0, lt=1)
        steps = _v.integer("budget", round(_v.number("budget", budget, ge=0)))
        W = torch.zeros(X_train.shape[1], n_classes, dtype=torch.float64)
        b = torch.zeros(n_classes, dtype=torch.float64)
        vW, vb = torch.zeros_like(W), torch.zeros_like(b)
        onehot = torch.nn.functional.one_hot(y_train, n_classes).double()
        n = X_train.shape[0]
        for _ in range(steps):
            p = torch.softmax(X_train @ W + b, dim=1)
            gW = X_train.T @ (p - onehot) / n + 2 * wd * W
            gb = (p - onehot).mean(0)
            vW, vb = mu * vW + gW, mu * vb + gb
            W, b = W - lr * vW, b - lr * vb
        train = torch.nn.functional.cross_entropy(X_train @ W + b, y_train).item() + wd * float((W * W).sum())
        if not (math.isfinite(train) and train <= math.log(n_classes) * (1 + 1e-12)):
            return math.inf  # diverged: training made the training objective worse than at the start
        loss = torch.nn.functional.cross_entropy(X_val @ W + b, y_val).item()
        return loss if math.isfinite(loss) else math.inf

    return objective
