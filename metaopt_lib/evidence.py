"""Evidence (marginal likelihood) of a model: exact for Bayesian linear regression, and estimated by gradient descent.

* :func:`log_evidence_blr`, :func:`posterior_blr` — the closed forms of Bayesian linear regression with the prior
  w ~ N(0, A⁻¹), A = diag(α) (Bishop, *Pattern Recognition and Machine Learning*, 2006, §3.5; MacKay 1992;
  Tipping 2001 for one α per weight).

All functions work in the dtype of ``X`` (use float64 for evidence work) and are differentiable with respect to
``alpha`` and ``noise_var`` (so the evidence can be maximised by gradient ascent).
"""

from __future__ import annotations

import math

import torch

from metaopt_lib.i18n import both

__all__ = ["log_evidence_blr", "posterior_blr"]

_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------------------------------
# Bayesian linear regression: exact evidence and posterior
# --------------------------------------------------------------------------------------------------------------------

def _as_tensor(value, like: torch.Tensor, name: str) -> torch.Tensor:
    # Python numbers go straight to X's dtype (a float32 detour would lose digits in float64 work).
    if not isinstance(value, torch.Tensor):
        return torch.as_tensor(value, dtype=like.dtype, device=like.device)
    return value.to(dtype=like.dtype, device=like.device)


def _check_blr(X, y, alpha, noise_var):
    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError(both(f"X must be a 2-D tensor [n, d], got {getattr(X, 'shape', type(X))}",
                              f"X должен быть двумерным тензором [n, d], получено {getattr(X, 'shape', type(X))}"))
    if not X.is_floating_point():
        raise TypeError(both("X must be a floating-point tensor (use float64 for evidence)",
                             "X должен быть вещественным тензором (для обоснованности используйте float64)"))
    n, d = X.shape
    y = _as_tensor(y, X, "y")
    if y.dim() != 1 or y.shape[0] != n:
        raise ValueError(both(f"y must be a vector of length n = {n}, got shape {tuple(y.shape)}",
                              f"y должен быть вектором длины n = {n}, получена форма {tuple(y.shape)}"))
    alpha = _as_tensor(alpha, X, "alpha")
    if alpha.dim() == 0:
        alpha = alpha.expand(d)
    if alpha.dim() != 1 or alpha.shape[0] != d:
        raise ValueError(both(f"alpha must be a scalar or a vector of length d = {d}, got shape {tuple(alpha.shape)}",
                              f"alpha должен быть скаляром или вектором длины d = {d}, "
                              f"получена форма {tuple(alpha.shape)}"))
    noise_var = _as_tensor(noise_var, X, "noise_var")
    if noise_var.dim() != 0:
        raise ValueError(both("noise_var must be a scalar", "noise_var должен быть скаляром"))
    if not bool((alpha > 0).all()):
        raise ValueError(both("every prior precision alpha must be > 0", "все точности априорного распределения alpha должны быть > 0"))
    if not bool(noise_var > 0):
        raise ValueError(both("noise_var must be > 0", "дисперсия шума noise_var должна быть > 0"))
    return X, y, alpha, noise_var


def _posterior_precision(X, alpha, noise_var):
    """M = A + XᵀX / σ² (the posterior precision) and its Cholesky factor."""
    M = torch.diag(alpha) + X.T @ X / noise_var
    M = 0.5 * (M + M.T)
    chol, info = torch.linalg.cholesky_ex(M)
    if int(info) != 0:
        raise ValueError(both("the posterior precision A + XᵀX/σ² is not positive definite (use float64?)",
                              "апостериорная точность A + XᵀX/σ² не положительно определена (используйте float64?)"))
    return M, chol


def posterior_blr(X, y, alpha, noise_var):
    """Posterior N(w | m, S) of Bayesian linear regression.

    Model: y = Xw + ε, ε ~ N(0, σ²I), prior w ~ N(0, A⁻¹), A = diag(α) (``alpha`` a scalar or a vector of length d).
    Closed form (Bishop 2006, eq. 3.53–3.54):

        S = (A + XᵀX/σ²)⁻¹,   m = S Xᵀy / σ².

    Returns ``(mean [d], cov [d, d])``, computed through the Cholesky factor of the posterior precision.
    """
    X, y, alpha, noise_var = _check_blr(X, y, alpha, noise_var)
    _, chol = _posterior_precision(X, alpha, noise_var)
    b = (X.T @ y / noise_var).unsqueeze(-1)
    mean = torch.cholesky_solve(b, chol).squeeze(-1)
    cov = torch.cholesky_inverse(chol)
    return mean, 0.5 * (cov + cov.T)


def log_evidence_blr(X, y, alpha, noise_var) -> torch.Tensor:
    """Exact log evidence log p(y | X, α, σ²) of Bayesian linear regression.

    Model: y = Xw + ε, ε ~ N(0, σ²I), prior w ~ N(0, A⁻¹), A = diag(α). Integrating w out,

        p(y | X, α, σ²) = N(y | 0, C),   C = σ²I + X A⁻¹ Xᵀ,
        log p = −½ (n log 2π + log|C| + yᵀC⁻¹y).

    Computed stably in O(n d² + d³) via the posterior precision M = A + XᵀX/σ² (matrix determinant lemma and
    Woodbury identity; Bishop 2006, eq. 3.86):

        log|C| = n log σ² − Σ log αᵢ + log|M|,
        yᵀC⁻¹y = yᵀy/σ² − bᵀ M⁻¹ b,   b = Xᵀy/σ²,

    with log|M| and M⁻¹b from the Cholesky factor of M. Returns a scalar tensor in the dtype of ``X``,
    differentiable with respect to ``alpha`` and ``noise_var``. References: MacKay (1992) "Bayesian interpolation";
    Bishop (2006) §3.5; Tipping (2001) "Sparse Bayesian learning and the relevance vector machine".
    """
    X, y, alpha, noise_var = _check_blr(X, y, alpha, noise_var)
    n = X.shape[0]
    _, chol = _posterior_precision(X, alpha, noise_var)
    b = (X.T @ y / noise_var).unsqueeze(-1)
    z = torch.linalg.solve_triangular(chol, b, upper=False).squeeze(-1)  # L⁻¹b, so bᵀM⁻¹b = |z|²
    logdet_M = 2.0 * torch.log(torch.diagonal(chol)).sum()
    logdet_C = n * torch.log(noise_var) - torch.log(alpha).sum() + logdet_M
    quad = (y @ y) / noise_var - z @ z
    return -0.5 * (n * _LOG_2PI + logdet_C + quad)
