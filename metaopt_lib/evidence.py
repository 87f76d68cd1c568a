"""Evidence (marginal likelihood) of a model: exact for Bayesian linear regression, and estimated by gradient descent.

* :func:`log_evidence_blr`, :func:`posterior_blr` — the closed forms of Bayesian linear regression with the prior
  w ~ N(0, A⁻¹), A = diag(α) (Bishop, *Pattern Recognition and Machine Learning*, 2006, §3.5; MacKay 1992;
  Tipping 2001 for one α per weight); :func:`log_joint_blr` — its log joint log p(y, w | X, α, σ²).
* Evidence by gradient descent (Duvenaud, Maclaurin & Adams 2016, "Early stopping as nonparametric variational
  inference", AISTATS): gradient ascent on the log joint maps an initial distribution q⁰ to q¹, q², …; each step
  w' = w + β∇log p(w, D) changes the entropy by E log|I − βH| (H the Hessian of −log p(w, D)), bounded below by
  −β Tr H − β² Tr H²; the variational lower bound E_q log p(w, D) + S(q) ≤ log p(D) is tracked along the way.
  :func:`entropy_change_exact`, :func:`entropy_change_bound`, :func:`hutchinson_trace`, :func:`hessian_traces`,
  :func:`gaussian_entropy`, :func:`evidence_gd`, and the closed form for a Gaussian q⁰ on a quadratic log joint,
  :func:`gd_elbo_gaussian`.

All functions work in the dtype of ``X`` (use float64 for evidence work) and are differentiable with respect to
``alpha`` and ``noise_var`` (so the evidence can be maximised by gradient ascent).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
from torch.func import grad, hessian, jvp, vmap

from metaopt_lib.i18n import both

__all__ = ["log_evidence_blr", "posterior_blr", "elbo_blr", "log_joint_blr", "entropy_change_exact", "entropy_change_bound",
           "hutchinson_trace", "hessian_traces", "gaussian_entropy", "evidence_gd", "GDEvidence",
           "gd_elbo_gaussian", "blr_quadratic", "BOUND_RADIUS"]

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


def elbo_blr(X, y, alpha, noise_var, q_mean, q_cov) -> torch.Tensor:
    """Evidence lower bound of Bayesian linear regression for a Gaussian q(w) = N(m, S), in closed form.

    ELBO(q) = E_q log p(y | X, w, σ²) − KL(q ‖ p(w | α)) with (Bishop 2006, §10.1; Blei et al. 2017)

        E_q log p(y | X, w, σ²) = −(n/2) log 2πσ² − (‖y − Xm‖² + tr(XᵀX S)) / (2σ²),
        KL(N(m, S) ‖ N(0, A⁻¹)) = ½ (tr(AS) + mᵀAm − d − log|S| − log|A|).

    For every q, log p(y | X, α, σ²) = ELBO(q) + KL(q ‖ p(w | y, X, α, σ²)): equality iff q is the posterior.
    """
    X, y, alpha, noise_var = _check_blr(X, y, alpha, noise_var)
    n, d = X.shape
    q_mean = _as_tensor(q_mean, X, "q_mean")
    q_cov = _as_tensor(q_cov, X, "q_cov")
    if q_mean.shape != (d,) or q_cov.shape != (d, d):
        raise ValueError(both(f"q_mean must be [{d}] and q_cov [{d}, {d}], got {tuple(q_mean.shape)} and "
                              f"{tuple(q_cov.shape)}",
                              f"q_mean должен иметь размер [{d}], q_cov — [{d}, {d}]; получено "
                              f"{tuple(q_mean.shape)} и {tuple(q_cov.shape)}"))
    A = alpha.expand(d)
    resid = y - X @ q_mean
    expected_ll = -0.5 * n * torch.log(2 * math.pi * noise_var) - (resid @ resid + (X.T @ X * q_cov).sum()) \
        / (2 * noise_var)
    kl_prior = 0.5 * ((A * torch.diagonal(q_cov)).sum() + (A * q_mean ** 2).sum() - d
                      - torch.linalg.slogdet(q_cov)[1] - torch.log(A).sum())
    return expected_ll - kl_prior


def log_joint_blr(X, y, alpha, noise_var) -> Callable[[torch.Tensor], torch.Tensor]:
    """The log joint of Bayesian linear regression as a function of the weights: w ↦ log p(y, w | X, α, σ²).

    log p(y, w) = log N(y | Xw, σ²I) + log N(w | 0, A⁻¹), A = diag(α). The inputs are checked once; the returned
    function of one weight vector [d] is pure tensor arithmetic (fit for torch.func.grad/vmap/hessian). The Hessian
    of its negative is the constant H = XᵀX/σ² + A, so gradient ascent on it is an affine map (the ground-truth case
    of :func:`gd_elbo_gaussian`).
    """
    X, y, alpha, noise_var = _check_blr(X, y, alpha, noise_var)
    n, d = X.shape
    const = -0.5 * (n * (_LOG_2PI + torch.log(noise_var)) + d * _LOG_2PI - torch.log(alpha).sum())

    def log_joint(w: torch.Tensor) -> torch.Tensor:
        r = y - X @ w
        return const - 0.5 * (r @ r) / noise_var - 0.5 * (alpha * w * w).sum()

    return log_joint


# --------------------------------------------------------------------------------------------------------------------
# Evidence by gradient descent (Duvenaud, Maclaurin & Adams 2016)
# --------------------------------------------------------------------------------------------------------------------

BOUND_RADIUS = 0.68
"""log(1 − x) ≥ −x − x² holds for every x ≤ 0.6838…; so −β Tr H − β² Tr H² ≤ log|I − βH| when β·λmax(H) ≤ 0.68."""


def entropy_change_exact(H: torch.Tensor, beta: float) -> torch.Tensor:
    """Exact entropy change log|det(I − βH)| of one gradient step w' = w − β∇L(w) on a quadratic L with Hessian H.

    The step is a bijection with Jacobian J = I − βH, so S(q') = S(q) + E_q log|det J| (change of variables);
    for a constant H the expectation is exact. Computed from the eigenvalues of the symmetric H:
    Σ log|1 − βλᵢ|. Duvenaud, Maclaurin & Adams (2016), eq. (5).
    """
    if H.dim() != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(both(f"H must be a square matrix, got shape {tuple(H.shape)}",
                              f"H должна быть квадратной матрицей, получена форма {tuple(H.shape)}"))
    lam = torch.linalg.eigvalsh(0.5 * (H + H.T))
    return torch.log(torch.abs(1.0 - beta * lam)).sum()


def entropy_change_bound(trace_H, trace_H2, beta: float):
    """The lower bound −β Tr H − β² Tr H² ≤ log|I − βH| of Duvenaud, Maclaurin & Adams (2016), eq. (6).

    It follows eigenvalue by eigenvalue from log(1 − x) ≥ −x − x², valid for x = βλ ≤ 0.68 (:data:`BOUND_RADIUS`);
    so β must stay below 0.68/λmax(H), i.e. below the inverse Lipschitz constant of ∇L. Accepts tensors (batched).
    """
    return -beta * trace_H - beta ** 2 * trace_H2


def hutchinson_trace(matvec: Callable[[torch.Tensor], torch.Tensor], dim: int, n_probes: int = 10,
                     generator: torch.Generator | None = None, dtype=torch.float64) -> torch.Tensor:
    """Hutchinson's unbiased estimator Tr M ≈ (1/m) Σ_k vₖᵀ M vₖ with Rademacher probes vₖ ∈ {−1, 1}^dim.

    ``matvec(V)`` maps a batch of probes V [m, dim] to M vₖ row by row ([m, dim]). Variance 2(‖M‖_F² − Σ Mᵢᵢ²)/m.
    Hutchinson (1990), "A stochastic estimator of the trace of the influence matrix for Laplacian smoothing splines".
    """
    if n_probes < 1 or dim < 1:
        raise ValueError(both("n_probes and dim must be >= 1", "n_probes и dim должны быть >= 1"))
    V = torch.randint(0, 2, (n_probes, dim), generator=generator).to(dtype) * 2 - 1
    return (V * matvec(V)).sum(-1).mean()


def hessian_traces(loss: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor, n_probes: int | None = None,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(Tr H, Tr H²) of the Hessian H = ∇²loss(w) at one point w [d].

    ``n_probes=None``: exactly, from the full Hessian (torch.func.hessian; small models). Otherwise Hutchinson's
    estimator with Hessian-vector products u = Hv (forward-over-reverse, torch.func.jvp of torch.func.grad):
    Tr H ≈ mean vᵀu and Tr H² = E‖Hv‖² ≈ mean uᵀu, one Hessian-vector product per probe, no Hessian formed.
    """
    if n_probes is None:
        H = hessian(loss)(w)
        return torch.diagonal(H).sum(), (H * H).sum()  # Tr H² = ‖H‖_F² for symmetric H
    V = torch.randint(0, 2, (n_probes, w.numel()), generator=generator).to(w.dtype) * 2 - 1
    return _hutchinson_traces(loss, w, V)


def _hutchinson_traces(loss, w, V):
    """(mean vᵀHv, mean ‖Hv‖²) over the rows v of V, H = ∇²loss(w), by Hessian-vector products."""
    g = grad(loss)
    U = vmap(lambda v: jvp(g, (w,), (v,))[1])(V)
    return (V * U).sum(-1).mean(), (U * U).sum(-1).mean()


def gaussian_entropy(cov: torch.Tensor) -> torch.Tensor:
    """Differential entropy S = ½ log det(2πe Σ) of N(μ, Σ) (Σ a [d, d] matrix, or a [d] vector of variances)."""
    if cov.dim() == 1:
        return 0.5 * (cov.numel() * (1.0 + _LOG_2PI) + torch.log(cov).sum())
    return 0.5 * (cov.shape[0] * (1.0 + _LOG_2PI) + torch.linalg.slogdet(cov)[1])


class GDEvidence(NamedTuple):
    """Per-step results of :func:`evidence_gd` (index t = 0 … steps)."""

    log_evidence: torch.Tensor   # [steps+1] the estimate E log p(w_t, D) + S(q⁰) + Σ_{s<t} ΔS_s
    energy: torch.Tensor         # [steps+1] (1/r) Σ_g log p(w_t^g, D)
    entropy: torch.Tensor        # [steps+1] S(q⁰) + accumulated entropy changes
    weights: torch.Tensor        # [r, d] the final w_T^g


def evidence_gd(log_joint: Callable[[torch.Tensor], torch.Tensor], init_mean: torch.Tensor, init_std,
                beta: float, steps: int, n_runs: int = 10, n_probes: int | None = None, exact_logdet: bool = False,
                generator: torch.Generator | None = None) -> GDEvidence:
    """Estimate log p(D | h) along gradient ascent on the log joint (Duvenaud, Maclaurin & Adams 2016).

    Draw r = ``n_runs`` starts w₀ᵍ ~ q⁰ = N(init_mean, diag(init_std²)) and run
    w_{t+1} = w_t + β ∇ log p(w_t, D) (gradient descent on L = −log p(w, D), Hessian H = −∇² log p). Then

        log p̂_t = (1/r) Σ_g log p(w_tᵍ, D) + S(q⁰) + Σ_{s<t} (1/r) Σ_g (−β Tr H(w_sᵍ) − β² Tr H(w_sᵍ)²),

    a stochastic lower bound on log p(D | h) (the ELBO of the implicit distribution q_t) while β·λmax(H) ≤ 0.68.
    The entropy term uses exact traces (``n_probes=None``, full Hessian), Hutchinson's estimator (``n_probes``
    probes of Hessian-vector products) or, with ``exact_logdet=True``, the exact log|I − βH| (small models).
    The 2023 MIPT lecture slides credit Maclaurin et al. 2015; the estimator is from Duvenaud, Maclaurin & Adams (2016). As the
    iterates converge to the mode, the entropy falls without bound and the estimate drops: its peak marks the onset
    of overfitting, and early stopping there is the best variational approximation this family offers.
    """
    if beta <= 0 or steps < 0 or n_runs < 1:
        raise ValueError(both("need beta > 0, steps >= 0, n_runs >= 1", "нужно beta > 0, steps >= 0, n_runs >= 1"))
    init_mean = torch.as_tensor(init_mean)
    d = init_mean.numel()
    std = torch.as_tensor(init_std, dtype=init_mean.dtype).expand(d)
    if not bool((std > 0).all()):
        raise ValueError(both("init_std must be > 0", "init_std должно быть > 0"))
    eps = torch.randn(n_runs, d, generator=generator, dtype=init_mean.dtype)
    W = init_mean + std * eps
    neg = lambda w: -log_joint(w)  # noqa: E731
    g = vmap(grad(log_joint))
    lp = vmap(log_joint)

    def delta_entropy(W):
        if exact_logdet:
            Hs = vmap(hessian(neg))(W)
            lam = torch.linalg.eigvalsh(0.5 * (Hs + Hs.transpose(-1, -2)))
            if bool((beta * lam.max()) >= 1.0):
                raise ValueError(both(f"beta * lambda_max(H) = {float(beta * lam.max()):.3g} >= 1: the step is not "
                                      "a bijection; lower beta", f"beta * lambda_max(H) = {float(beta * lam.max()):.3g}"
                                      " >= 1: шаг не биекция; уменьшите beta"))
            return torch.log(torch.abs(1.0 - beta * lam)).sum(-1).mean()
        if n_probes is None:
            trH, trH2 = vmap(lambda w: hessian_traces(neg, w))(W)
        else:
            V = torch.randint(0, 2, (W.shape[0], n_probes, d), generator=generator).to(W.dtype) * 2 - 1
            trH, trH2 = vmap(lambda w, v: _hutchinson_traces(neg, w, v))(W, V)
        return entropy_change_bound(trH, trH2, beta).mean()

    S = gaussian_entropy(std ** 2)
    energy, entropy = [lp(W).mean()], [S]
    with torch.no_grad():
        for _ in range(steps):
            S = S + delta_entropy(W)
            W = W + beta * g(W)
            energy.append(lp(W).mean())
            entropy.append(S)
    energy, entropy = torch.stack(energy), torch.stack(entropy)
    return GDEvidence(energy + entropy, energy, entropy, W)


def blr_quadratic(X, y, alpha, noise_var):
    """(H, b, c) with log p(y, w | X, α, σ²) = c + bᵀw − ½ wᵀHw: H = XᵀX/σ² + A, b = Xᵀy/σ², c = log p(y, 0)."""
    X, y, alpha, noise_var = _check_blr(X, y, alpha, noise_var)
    H = X.T @ X / noise_var + torch.diag(alpha)
    return H, X.T @ y / noise_var, log_joint_blr(X, y, alpha, noise_var)(torch.zeros_like(X[0]))


def gd_elbo_gaussian(H: torch.Tensor, b: torch.Tensor, c, init_mean: torch.Tensor, init_cov: torch.Tensor,
                     beta: float, steps: int) -> torch.Tensor:
    """Exact ELBO_t = E_{q_t} log p(w, D) + S(q_t), t = 0 … steps, for a quadratic log joint and Gaussian q⁰.

    With log p(w, D) = c + bᵀw − ½ wᵀHw, a gradient step w' = w + β(b − Hw) is affine, so q_t = N(m_t, Σ_t) with
    m_{t+1} = m_t + β(b − H m_t), Σ_{t+1} = (I − βH) Σ_t (I − βH)ᵀ, and
    E log p = c + bᵀm − ½ mᵀHm − ½ Tr(HΣ). The ground truth for :func:`evidence_gd` on Bayesian linear regression
    (H = XᵀX/σ² + A, b = Xᵀy/σ², c = log p(0, D); see :func:`blr_quadratic`); by Jensen every ELBO_t ≤ log p(D).
    """
    d = H.shape[0]
    J = torch.eye(d, dtype=H.dtype) - beta * H
    m, S = init_mean.clone(), init_cov.clone()
    out = []
    for t in range(steps + 1):
        out.append(c + b @ m - 0.5 * m @ H @ m - 0.5 * torch.trace(H @ S) + gaussian_entropy(S))
        m = m + beta * (b - H @ m)
        S = J @ S @ J.T
    return torch.stack(out)
