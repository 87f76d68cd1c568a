"""Bayesian optimisation with a Gaussian-process surrogate, and warm-starting it from similar datasets.

Written small for teaching (lecture 1); a production library (optuna, SMAC, BoTorch) does more.

* :func:`rbf_kernel`, :func:`gp_posterior`, :func:`gp_log_marginal_likelihood` — the Gaussian-process surrogate
  (Rasmussen & Williams 2006, "Gaussian processes for machine learning", Algorithm 2.1);
* :func:`expected_improvement` — the acquisition function of Mockus (1978) and Jones, Schonlau & Welch (1998);
* :func:`bayes_opt` — the sequential loop: fit the surrogate to the trials so far, evaluate the objective where the
  acquisition function is largest (Snoek, Larochelle & Adams 2012, "Practical Bayesian optimization of machine
  learning algorithms");
* :func:`regression_meta_features`, :func:`nearest_datasets`, :func:`warm_start_configs` — meta-features of a
  dataset and the configurations that were best on the most similar past datasets, used as BO's first trials
  (Feurer, Springenberg & Hutter 2015, "Initializing Bayesian hyperparameter optimization via meta-learning").

Every searcher here minimises. Points live in a box ``bounds`` of shape [d, 2] (rows = (low, high)); the surrogate
works in the unit cube and on standardised losses.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch

from metaopt_lib.i18n import both

__all__ = ["rbf_kernel", "gp_posterior", "gp_log_marginal_likelihood", "fit_lengthscale", "fit_surrogate",
           "expected_improvement",
           "BOResult", "bayes_opt", "random_search_box", "regression_meta_features", "nearest_datasets",
           "warm_start_configs", "kernel_ridge_objective"]


def _check_tensor(x, name, dim=None):
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(both(f"{name} must be a floating-point tensor, got {type(x).__name__}",
                             f"{name} должен быть вещественным тензором, получено {type(x).__name__}"))
    if dim is not None and x.dim() != dim:
        raise ValueError(both(f"{name} must have {dim} dimension(s), got shape {tuple(x.shape)}",
                              f"у {name} должно быть измерений: {dim}, получена форма {tuple(x.shape)}"))
    if not bool(torch.isfinite(x).all()):
        raise ValueError(both(f"{name} contains NaN or infinity", f"{name} содержит NaN или бесконечность"))


def _check_positive(value, name_en, name_ru):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(both(f"{name_en} must be a finite number > 0, got {value!r}",
                              f"{name_ru} должно быть конечным числом > 0, получено {value!r}"))


def _check_count(value, name_en, name_ru, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(both(f"{name_en} must be an integer >= {minimum}, got {value!r}",
                              f"{name_ru} должно быть целым числом >= {minimum}, получено {value!r}"))


# --------------------------------------------------------------------------------------------------------------------
# The Gaussian-process surrogate
# --------------------------------------------------------------------------------------------------------------------

def rbf_kernel(A: torch.Tensor, B: torch.Tensor, lengthscale: float, variance: float = 1.0) -> torch.Tensor:
    """The squared-exponential kernel k(a, b) = s² exp(−‖a − b‖² / (2ℓ²)) between the rows of A [n, d] and B [m, d]
    (Rasmussen & Williams 2006, eq. 2.16); ℓ = ``lengthscale``, s² = ``variance``. Returns [n, m]."""
    _check_tensor(A, "A", 2)
    _check_tensor(B, "B", 2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(both(f"A and B need the same number of columns, got {A.shape[1]} and {B.shape[1]}",
                              f"у A и B должно быть одинаковое число столбцов, получено {A.shape[1]} и {B.shape[1]}"))
    _check_positive(lengthscale, "lengthscale", "lengthscale (масштаб ядра)")
    _check_positive(variance, "variance", "variance (дисперсия ядра)")
    sq = (A.unsqueeze(1) - B.unsqueeze(0)).pow(2).sum(-1)
    return variance * torch.exp(-0.5 * sq / lengthscale ** 2)


def _check_data(X, y):
    _check_tensor(X, "X", 2)
    _check_tensor(y, "y", 1)
    if X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(both(f"need X [n, d] and y [n] with n >= 1, got {tuple(X.shape)} and {tuple(y.shape)}",
                              f"нужны X [n, d] и y [n] при n >= 1, получены {tuple(X.shape)} и {tuple(y.shape)}"))


def _cholesky(K):
    L, info = torch.linalg.cholesky_ex(K)
    if int(info) != 0:
        raise ValueError(both("the kernel matrix is not positive definite: increase the noise (jitter) or remove "
                              "repeated points",
                              "матрица ядра не положительно определена: увеличьте шум (jitter) или уберите "
                              "повторяющиеся точки"))
    return L


def gp_posterior(X: torch.Tensor, y: torch.Tensor, X_new: torch.Tensor, lengthscale: float, variance: float = 1.0,
                 noise: float = 1e-6, mean: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Posterior mean and standard deviation of the latent f at the rows of X_new, given y = f(X) + N(0, noise),
    f ~ GP(m, k) with constant prior mean m = ``mean`` and k = :func:`rbf_kernel` (Rasmussen & Williams 2006,
    Algorithm 2.1):

        L = chol(K + σₙ²I),  α = Lᵀ \\ (L \\ (y − m)),  μ* = m + K*ᵀα,  v = L \\ K*,  var* = k(x*, x*) − vᵀv.

    Returns (mean [m], std [m]); the variance is clipped at 0 against round-off."""
    _check_data(X, y)
    _check_tensor(X_new, "X_new", 2)
    _check_positive(noise, "noise", "noise (дисперсия шума)")
    L = _cholesky(rbf_kernel(X, X, lengthscale, variance) + noise * torch.eye(X.shape[0], dtype=X.dtype))
    alpha = torch.cholesky_solve((y - mean).unsqueeze(-1), L).squeeze(-1)
    K_star = rbf_kernel(X, X_new, lengthscale, variance)
    v = torch.linalg.solve_triangular(L, K_star, upper=False)
    var = (variance - (v * v).sum(0)).clamp_min(0.0)
    return mean + K_star.T @ alpha, var.sqrt()


def gp_log_marginal_likelihood(X: torch.Tensor, y: torch.Tensor, lengthscale: float, variance: float = 1.0,
                               noise: float = 1e-6, mean: float = 0.0) -> float:
    """log p(y | X) = −½ (y − m)ᵀ(K + σₙ²I)⁻¹(y − m) − Σᵢ log Lᵢᵢ − (n/2) log 2π (Rasmussen & Williams 2006, eq. 2.30)
    — the evidence of the GP surrogate, used to choose its lengthscale."""
    _check_data(X, y)
    _check_positive(noise, "noise", "noise (дисперсия шума)")
    L = _cholesky(rbf_kernel(X, X, lengthscale, variance) + noise * torch.eye(X.shape[0], dtype=X.dtype))
    r = (y - mean).unsqueeze(-1)
    alpha = torch.cholesky_solve(r, L)
    n = X.shape[0]
    return float(-0.5 * (r * alpha).sum() - torch.log(torch.diagonal(L)).sum() - 0.5 * n * math.log(2 * math.pi))


def fit_lengthscale(X: torch.Tensor, y: torch.Tensor, grid: torch.Tensor | None = None, noise: float = 1e-6) -> float:
    """The lengthscale on ``grid`` (default: 25 values log-spaced in [0.03, 1], for inputs in the unit cube) with the
    largest :func:`gp_log_marginal_likelihood` for y standardised to mean 0 and variance 1 (type-II maximum
    likelihood on a grid; Rasmussen & Williams 2006, §5.4)."""
    _check_data(X, y)
    grid = torch.logspace(math.log10(0.03), 0.0, 25, dtype=torch.float64) if grid is None else grid
    z = _standardise(y)[0]
    scores = [gp_log_marginal_likelihood(X, z, float(ell), 1.0, noise) for ell in grid]
    return float(grid[max(range(len(scores)), key=scores.__getitem__)])


def fit_surrogate(X: torch.Tensor, y: torch.Tensor, X_new: torch.Tensor,
                  noise: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The GP surrogate of :func:`bayes_opt` at the rows of X_new: standardise y (z = (y − ȳ)/s), choose the
    lengthscale by :func:`fit_lengthscale`, take :func:`gp_posterior` of z with unit kernel variance and map back,
    μ = ȳ + s μ_z, σ = s σ_z. Returns (μ, σ, lengthscale). Inputs are meant to lie in the unit cube."""
    z, centre, scale = _standardise(y)
    ell = fit_lengthscale(X, y, noise=noise)  # standardises y itself
    mu, sd = gp_posterior(X, z, X_new, ell, 1.0, noise)
    return centre + scale * mu, scale * sd, ell


def _standardise(y):
    centre = float(y.mean())
    scale = float(y.std()) if y.numel() > 1 else 1.0
    scale = scale if scale > 0 else 1.0
    return (y - centre) / scale, centre, scale


# --------------------------------------------------------------------------------------------------------------------
# The acquisition function
# --------------------------------------------------------------------------------------------------------------------

def expected_improvement(mean: torch.Tensor, std: torch.Tensor, best: float, xi: float = 0.0) -> torch.Tensor:
    """Expected improvement over the best loss so far ``best`` (minimisation) under f ~ N(μ, σ²):

        EI = E[max(best − ξ − f, 0)] = (best − ξ − μ) Φ(z) + σ φ(z),   z = (best − ξ − μ)/σ,

    and max(best − ξ − μ, 0) where σ = 0 (Mockus 1978; Jones, Schonlau & Welch 1998). ξ ≥ 0 trades exploitation for
    exploration."""
    _check_tensor(mean, "mean")
    _check_tensor(std, "std")
    if mean.shape != std.shape:
        raise ValueError(both(f"mean and std need the same shape, got {tuple(mean.shape)} and {tuple(std.shape)}",
                              f"у mean и std должна быть одна форма, получено {tuple(mean.shape)} и "
                              f"{tuple(std.shape)}"))
    if bool((std < 0).any()):
        raise ValueError(both("std must be >= 0", "std должно быть >= 0"))
    if not math.isfinite(best) or not (math.isfinite(xi) and xi >= 0):
        raise ValueError(both(f"best must be finite and xi >= 0, got best={best!r}, xi={xi!r}",
                              f"best должно быть конечным, а xi >= 0, получено best={best!r}, xi={xi!r}"))
    gain = best - xi - mean
    safe = std.clamp_min(1e-300)
    z = gain / safe
    normal = torch.distributions.Normal(torch.zeros((), dtype=mean.dtype), torch.ones((), dtype=mean.dtype))
    ei = gain * torch.special.ndtr(z) + std * normal.log_prob(z).exp()
    return torch.where(std > 0, ei, gain.clamp_min(0.0)).clamp_min(0.0)


# --------------------------------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------------------------------

class BOResult(NamedTuple):
    X: torch.Tensor      # [n, d] the evaluated points, in the order they were run
    y: torch.Tensor      # [n] their losses


def _check_bounds(bounds):
    _check_tensor(bounds, "bounds", 2)
    if bounds.shape[1] != 2 or not bool((bounds[:, 1] > bounds[:, 0]).all()):
        raise ValueError(both(f"bounds must be [d, 2] rows (low, high) with low < high, got {bounds.tolist()}",
                              f"bounds должны быть строками (нижняя, верхняя) формы [d, 2] с нижней < верхней, "
                              f"получено {bounds.tolist()}"))


def _evaluate(objective, x):
    value = float(objective(x))
    if not math.isfinite(value):
        raise ValueError(both(f"the objective returned {value} at {x.tolist()}: it must return a finite loss",
                              f"целевая функция вернула {value} в точке {x.tolist()}: нужна конечная величина потерь"))
    return value


def bayes_opt(objective: Callable[[torch.Tensor], float], bounds: torch.Tensor, n_iter: int, n_init: int = 3,
              init: torch.Tensor | None = None, candidates: int = 512, xi: float = 0.0, noise: float = 1e-6,
              seed: int = 0) -> BOResult:
    """Bayesian optimisation of ``objective(x)`` (x a 1-D tensor in the box ``bounds`` [d, 2]), minimisation:

    1. evaluate the initial design: the rows of ``init`` if given (a warm start), else ``n_init`` uniform points;
    2. ``n_iter`` times: standardise the losses, fit a GP (:func:`gp_posterior`; lengthscale by
       :func:`fit_lengthscale`) in the unit cube, score ``candidates`` points (a fixed grid for d = 1, uniform draws
       otherwise) by :func:`expected_improvement` over the best loss so far (``xi`` in units of the standard
       deviation of the losses so far), evaluate the objective at the best one.

    Snoek, Larochelle & Adams (2012); Brochu, Cora & de Freitas (2010), "A tutorial on Bayesian optimization".
    Returns :class:`BOResult` with all evaluations in order (the initial design first)."""
    _check_bounds(bounds)
    _check_count(n_iter, "n_iter", "n_iter (число шагов)", 0)
    _check_count(candidates, "candidates", "candidates (число точек-кандидатов)", 1)
    if not (isinstance(xi, (int, float)) and math.isfinite(xi) and xi >= 0):
        raise ValueError(both(f"xi must be a number >= 0, got {xi!r}", f"xi должно быть числом >= 0, получено {xi!r}"))
    d = bounds.shape[0]
    low, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    gen = torch.Generator().manual_seed(seed)
    if init is not None:
        _check_tensor(init, "init", 2)
        if init.shape[1] != d or init.shape[0] == 0:
            raise ValueError(both(f"init must be [m, {d}] with m >= 1, got {tuple(init.shape)}",
                                  f"init должен иметь форму [m, {d}] при m >= 1, получено {tuple(init.shape)}"))
        U = ((init.to(bounds.dtype) - low) / width).clamp(0.0, 1.0)
    else:
        _check_count(n_init, "n_init", "n_init (число начальных точек)", 1)
        U = torch.rand(n_init, d, generator=gen, dtype=bounds.dtype)
    y = torch.tensor([_evaluate(objective, low + width * u) for u in U], dtype=bounds.dtype)
    grid = torch.linspace(0, 1, candidates, dtype=bounds.dtype).unsqueeze(1) if d == 1 else None
    for _ in range(n_iter):
        cand = grid if grid is not None else torch.rand(candidates, d, generator=gen, dtype=bounds.dtype)
        mu, sd, _ = fit_surrogate(U, y, cand, noise)
        ei = expected_improvement(mu, sd, float(y.min()), xi * _standardise(y)[2])
        u_next = cand[int(torch.argmax(ei))]
        U = torch.cat([U, u_next.unsqueeze(0)])
        y = torch.cat([y, torch.tensor([_evaluate(objective, low + width * u_next)], dtype=bounds.dtype)])
    return BOResult(low + width * U, y)


def random_search_box(objective: Callable[[torch.Tensor], float], bounds: torch.Tensor, n_trials: int,
                      seed: int = 0) -> BOResult:
    """Random search in a box (Bergstra & Bengio 2012): ``n_trials`` uniform points, the baseline of BO."""
    _check_bounds(bounds)
    _check_count(n_trials, "n_trials", "n_trials (число испытаний)", 1)
    gen = torch.Generator().manual_seed(seed)
    X = bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * torch.rand(n_trials, bounds.shape[0], generator=gen,
                                                                  dtype=bounds.dtype)
    return BOResult(X, torch.tensor([_evaluate(objective, x) for x in X], dtype=bounds.dtype))


# --------------------------------------------------------------------------------------------------------------------
# Warm-starting from similar datasets (Feurer, Springenberg & Hutter 2015)
# --------------------------------------------------------------------------------------------------------------------

def regression_meta_features(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Four meta-features of a regression dataset (X [n, p], y [n]), in the spirit of Feurer et al. (2015), who use
    46 (simple, information-theoretic, statistical and landmarking ones):

    [log n, log(n/p), log std(y), roughness], where roughness = mean |y_(i+1) − y_(i)| / std(y) along the order of
    the first feature — a cheap landmark of how fast the target varies (≈ 0 for smooth targets,
    ≈ 2/√π ≈ 1.13 for pure noise)."""
    _check_data(X, y)
    n, p = X.shape
    if n < 3:
        raise ValueError(both(f"meta-features need at least 3 examples, got {n}",
                              f"для метапризнаков нужно не меньше 3 объектов, получено {n}"))
    sd = float(y.std())
    if sd == 0:
        raise ValueError(both("y is constant: its meta-features are undefined",
                              "y постоянен: метапризнаки не определены"))
    ys = y[torch.argsort(X[:, 0])]
    rough = float((ys[1:] - ys[:-1]).abs().mean()) / sd
    return torch.tensor([math.log(n), math.log(n / p), math.log(sd), rough], dtype=torch.float64)


def nearest_datasets(new: torch.Tensor, past: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k past datasets closest to ``new`` in meta-feature space: the L1 distance
    Σ_j |m_j − m'_j| / s_j after dividing every meta-feature by its standard deviation s_j over the past datasets
    (Feurer, Springenberg & Hutter 2015, §3; features with s_j = 0 are left unscaled). Closest first."""
    _check_tensor(new, "new", 1)
    _check_tensor(past, "past", 2)
    if past.shape[1] != new.shape[0]:
        raise ValueError(both(f"past has {past.shape[1]} meta-features, new has {new.shape[0]}",
                              f"у past {past.shape[1]} метапризнаков, у new — {new.shape[0]}"))
    _check_count(k, "k", "k (число соседей)", 1)
    if k > past.shape[0]:
        raise ValueError(both(f"k = {k} but only {past.shape[0]} past datasets",
                              f"k = {k}, а прошлых наборов данных всего {past.shape[0]}"))
    scale = past.std(0) if past.shape[0] > 1 else torch.ones_like(new)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    dist = ((past - new) / scale).abs().sum(1)
    return torch.argsort(dist, stable=True)[:k]


def warm_start_configs(new: torch.Tensor, past: torch.Tensor, past_best: torch.Tensor, k: int) -> torch.Tensor:
    """The initial design of a warm-started BO (Feurer, Springenberg & Hutter 2015): the best configurations
    ``past_best`` [N, d] of the k past datasets nearest to ``new`` (:func:`nearest_datasets`), closest first;
    pass them as ``init`` to :func:`bayes_opt`."""
    _check_tensor(past_best, "past_best", 2)
    if past_best.shape[0] != past.shape[0]:
        raise ValueError(both(f"{past.shape[0]} past meta-feature rows but {past_best.shape[0]} best configurations",
                              f"строк метапризнаков {past.shape[0]}, а лучших конфигураций {past_best.shape[0]}"))
    return past_best[nearest_datasets(new, past, k)]


def kernel_ridge_objective(X_train: torch.Tensor, y_train: torch.Tensor, X_val: torch.Tensor,
                           y_val: torch.Tensor) -> Callable[[torch.Tensor], float]:
    """A two-hyperparameter black box for the BO demonstrations: x = (log10 λ, log10 ℓ) ↦ the validation mean
    squared error of kernel ridge regression with the kernel :func:`rbf_kernel` of lengthscale ℓ,

        f(x) = K(X_val, X_train) (K(X_train, X_train) + λI)⁻¹ y_train   (Saunders, Gammerman & Vovk 1998)."""
    _check_data(X_train, y_train)
    _check_data(X_val, y_val)

    def objective(x: torch.Tensor) -> float:
        lam, ell = 10.0 ** float(x[0]), 10.0 ** float(x[1])
        L = _cholesky(rbf_kernel(X_train, X_train, ell) + lam * torch.eye(X_train.shape[0], dtype=X_train.dtype))
        coef = torch.cholesky_solve(y_train.unsqueeze(-1), L).squeeze(-1)
        return float(((rbf_kernel(X_val, X_train, ell) @ coef - y_val) ** 2).mean())

    return objective
