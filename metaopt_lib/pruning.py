"""Pruning (удаление параметров): masks, Optimal Brain Damage / Surgeon, Bayesian-compression group criteria.

Masks are bool tensors shaped like the weights, **True = kept**. Every mask function removes exactly
``round(fraction · numel)`` entries; ties are broken deterministically (stable sort: earlier flat index first).

Public functions
----------------
Masks
  * ``n_removed(numel, fraction)``                       — ``round(fraction · numel)`` after checks.
  * ``random_mask(w, fraction, generator=None)``         — uniformly random removal (the baseline).
  * ``magnitude_mask(w, fraction)``                      — remove the smallest ``|w|`` (Han et al. 2015).
  * ``saliency_mask(saliency, fraction)``                — remove the lowest saliencies (any criterion).
  * ``global_magnitude_masks(params, fraction)``, ``layerwise_magnitude_masks(params, fraction)``.
Optimal Brain Damage (LeCun, Denker & Solla 1990) and Optimal Brain Surgeon (Hassibi & Stork 1993)
  * ``logreg_hessian_diag(W, b, X)``                     — exact diagonal Hessian of the mean cross-entropy in W.
  * ``hutchinson_hessian_diag(loss_fn, params, ...)``    — unbiased estimate ``E[z ⊙ Hz]`` (Bekas et al. 2007).
  * ``gauss_newton_diag_mlp(params, X)``                 — exact diagonal of the Gauss–Newton matrix of an MLP.
  * ``obd_saliency(w, h_diag)``                          — ``s_i = h_ii w_i² / 2``.
  * ``obs_saliency(w, H_inv)``                           — ``s_q = w_q² / (2 [H⁻¹]_qq)``.
  * ``obs_prune(w, H_inv, q)``                           — OBS update ``δw = −w_q/[H⁻¹]_qq · H⁻¹ e_q``.
  * ``obs_prune_many(w, H, n)``                          — greedy OBS removal of ``n`` weights, ``H⁻¹`` downdated.
Pruning curves (lecture 07, practice assignments)
  * ``prune_logreg(method, fraction, ...)``, ``prune_curve(method, fractions, ...)``, ``PRUNE_METHODS`` (all
    accepted method names; L1 or L2 is a choice of the trained model and of ``l1``/``l2`` for retraining).
Bayesian compression (Louizos, Ullrich & Welling 2017), group criteria
  * ``group_log_dropout(mu_z, sigma_z)``                 — ``log σ_z − log |μ_z|`` (= ½ log α).
  * ``jeffreys_group_mask(mu_z, sigma_z, threshold)``    — keep a group unless ``log σ_z − log|μ_z| > λ``.
  * ``horseshoe_group_log_scale(mu_s, mu_z)``, ``horseshoe_group_mask(mu_s, mu_z, threshold)``.
  * ``sample_horseshoe_weights(n_groups, group_size, global_scale, generator)`` — prior draws of model 2.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from metaopt_lib import validate as _v
from metaopt_lib.i18n import both

__all__ = ["n_removed", "random_mask", "magnitude_mask", "saliency_mask", "global_magnitude_masks",
           "layerwise_magnitude_masks", "logreg_hessian_diag", "hutchinson_hessian_diag", "gauss_newton_diag_mlp",
           "obd_saliency", "obs_saliency", "obs_prune", "obs_prune_many", "PRUNE_METHODS", "prune_logreg",
           "prune_curve", "group_log_dropout", "jeffreys_group_mask", "horseshoe_group_log_scale",
           "horseshoe_group_mask", "sample_horseshoe_weights"]


# --- masks -----------------------------------------------------------------------------------------------------

def n_removed(numel: int, fraction: float) -> int:
    """Number of entries a mask removes: ``round(fraction · numel)``, with ``0 ≤ fraction ≤ 1`` checked."""
    try:
        fraction = float(fraction)
    except (TypeError, ValueError):
        raise ValueError(both(f"fraction must be a number in [0, 1], got {fraction!r}",
                              f"fraction должна быть числом из [0, 1], получено {fraction!r}")) from None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(both(f"fraction must lie in [0, 1] (share of parameters removed), got {fraction}",
                              f"fraction должна лежать в [0, 1] (доля удаляемых параметров), получено {fraction}"))
    return int(round(fraction * numel))


def _lowest_mask(score: torch.Tensor, k: int) -> torch.Tensor:
    """Mask removing the ``k`` lowest scores; ties: the earlier flat index is removed first (stable sort)."""
    flat = score.detach().reshape(-1)
    if torch.isnan(flat).any():
        raise ValueError(both("scores contain NaN", "оценки содержат NaN"))
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    order = torch.argsort(flat, stable=True)
    keep[order[:k]] = False
    return keep.reshape(score.shape)


def random_mask(w: torch.Tensor, fraction: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Remove a uniformly random subset of exactly ``round(fraction · numel)`` entries (True = kept)."""
    k = n_removed(w.numel(), fraction)
    perm = torch.randperm(w.numel(), generator=generator)
    keep = torch.ones(w.numel(), dtype=torch.bool)
    keep[perm[:k]] = False
    return keep.reshape(w.shape)


def magnitude_mask(w: torch.Tensor, fraction: float) -> torch.Tensor:
    """Remove the ``round(fraction · numel)`` entries of smallest ``|w|`` (Han et al. 2015, "Learning both
    weights and connections for efficient neural networks"). Ties: the earlier flat index goes first."""
    return _lowest_mask(w.abs(), n_removed(w.numel(), fraction))


def saliency_mask(saliency: torch.Tensor, fraction: float) -> torch.Tensor:
    """Remove the ``round(fraction · numel)`` entries of lowest saliency (OBD, OBS, Graves' |μ|/σ, ...)."""
    return _lowest_mask(saliency, n_removed(saliency.numel(), fraction))


def global_magnitude_masks(params: dict[str, torch.Tensor], fraction: float) -> dict[str, torch.Tensor]:
    """One threshold for all tensors: remove the ``round(fraction · Σ numel)`` smallest ``|w|`` over the union.

    Ties are broken by dict order, then flat index. Layers may end up pruned unequally (Han et al. 2015 prune per
    layer; the global variant is the usual "one threshold" baseline)."""
    if not params:
        raise ValueError(both("params is empty", "params пуст"))
    flat = torch.cat([p.detach().abs().reshape(-1) for p in params.values()])
    keep = _lowest_mask(flat, n_removed(flat.numel(), fraction))
    out, start = {}, 0
    for name, p in params.items():
        out[name] = keep[start:start + p.numel()].reshape(p.shape)
        start += p.numel()
    return out


def layerwise_magnitude_masks(params: dict[str, torch.Tensor], fraction: float | dict[str, float]
                              ) -> dict[str, torch.Tensor]:
    """Remove ``round(fraction · numel)`` smallest ``|w|`` in every tensor separately (``fraction`` may be a dict
    per layer, as in Deep Compression, where each layer has its own pruning rate)."""
    if not params:
        raise ValueError(both("params is empty", "params пуст"))
    fr = fraction if isinstance(fraction, dict) else {k: fraction for k in params}
    missing = set(params) - set(fr)
    if missing:
        raise ValueError(both(f"no fraction for {sorted(missing)}", f"нет доли для {sorted(missing)}"))
    return {k: magnitude_mask(p, fr[k]) for k, p in params.items()}


# --- Hessians ----------------------------------------------------------------------------------------------------

def logreg_hessian_diag(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Exact diagonal of the Hessian of the mean cross-entropy of softmax regression w.r.t. W.

    With ``p_i = softmax(W x_i + b)``: ``∂²L/∂W_kj² = (1/n) Σ_i p_ik (1 − p_ik) x_ij²`` (the loss does not
    depend on the labels in its second derivative). Shape: like W. Used by Optimal Brain Damage
    (LeCun, Denker & Solla 1990), exact for logistic regression.
    """
    if W.ndim != 2 or X.ndim != 2 or W.shape[1] != X.shape[1] or b.shape != (W.shape[0],):
        raise ValueError(both("shapes must be W [K, d], b [K], X [n, d]", "формы должны быть W [K, d], b [K], X [n, d]"))
    p = torch.softmax(X @ W.T + b, dim=1)
    return (p * (1 - p)).T @ (X ** 2) / X.shape[0]


def hutchinson_hessian_diag(loss_fn: Callable[[dict[str, torch.Tensor]], torch.Tensor],
                            params: dict[str, torch.Tensor], n_samples: int = 100,
                            generator: torch.Generator | None = None, chunk: int = 256) -> dict[str, torch.Tensor]:
    """Hutchinson-type estimate of diag H: ``diag H ≈ (1/m) Σ_s z_s ⊙ (H z_s)``, z Rademacher.

    Unbiased because ``E[z zᵀ] = I`` (Bekas, Kokiopoulou & Saad 2007; used for OBD on networks where the exact
    diagonal is costly). ``H z`` is a Hessian-vector product by forward-over-reverse ``torch.func.jvp(grad)``,
    batched over up to ``chunk`` probes at once by ``torch.func.vmap`` (a loss that vmap cannot trace, e.g. one
    calling ``.item()``, falls back to one probe at a time).
    """
    n_samples = _v.integer("n_samples", n_samples, ge=1)
    chunk = _v.integer("chunk", chunk, ge=1)
    if not params:
        raise ValueError(both("params is empty", "params пуст"))
    params = {k: _v.tensor(f"params[{k!r}]", v).detach() for k, v in params.items()}
    _v.same_dtype(**{f"params[{k!r}]": v for k, v in params.items()})
    g = torch.func.grad(loss_fn)

    def hvp(z):
        return torch.func.jvp(g, (params,), (z,))[1]

    est = {k: torch.zeros_like(v) for k, v in params.items()}
    done = 0
    while done < n_samples:
        m = min(chunk, n_samples - done)
        Z = {k: (torch.randint(0, 2, (m, *v.shape), generator=generator) * 2 - 1).to(v.dtype)
             for k, v in params.items()}
        try:
            HZ = torch.func.vmap(hvp)(Z)
        except RuntimeError:
            HZ = {k: torch.stack(col) for k, col in
                  zip(Z, zip(*(hvp({k: Z[k][i] for k in Z}).values() for i in range(m))))}
        for k in est:
            est[k] += (Z[k] * HZ[k]).sum(0)
        done += m
    return {k: v / n_samples for k, v in est.items()}


def gauss_newton_diag_mlp(params: dict[str, torch.Tensor], X: torch.Tensor, chunk: int = 256
                          ) -> dict[str, torch.Tensor]:
    """Exact diagonal of the Gauss–Newton matrix ``G = (1/n) Σ_i J_iᵀ (diag p_i − p_i p_iᵀ) J_i`` of an MLP.

    ``J_i`` is the Jacobian of the scores of sample i w.r.t. the parameters (``torch.func.vmap(jacrev)``).
    ``G`` is the positive semi-definite part of the Hessian of the mean cross-entropy (it drops the terms with
    second derivatives of the network); OBD with ``G``'s diagonal is the usual practical choice for networks.
    """
    from metaopt_lib.training import mlp_forward

    params = {k: v.detach() for k, v in params.items()}

    def scores(p, x):
        return mlp_forward(p, x[None])[0]

    jac = torch.func.vmap(torch.func.jacrev(scores), in_dims=(None, 0))
    out = {k: torch.zeros_like(v) for k, v in params.items()}
    for start in range(0, X.shape[0], chunk):
        xb = X[start:start + chunk]
        J = jac(params, xb)  # name -> [b, K, *shape]
        p = torch.softmax(torch.func.vmap(scores, in_dims=(None, 0))(params, xb), dim=1)  # [b, K]
        for k, Jk in J.items():
            Jf = Jk.reshape(Jk.shape[0], Jk.shape[1], -1)  # [b, K, P]
            # diag(Jᵀ (diag p − p pᵀ) J) = Σ_k p_k J_k² − (Σ_k p_k J_k)²
            d = (p[:, :, None] * Jf ** 2).sum(1) - ((p[:, :, None] * Jf).sum(1)) ** 2
            out[k] += d.sum(0).reshape(out[k].shape)
    return {k: v / X.shape[0] for k, v in out.items()}


# --- OBD / OBS -------------------------------------------------------------------------------------------------

def obd_saliency(w: torch.Tensor, h_diag: torch.Tensor) -> torch.Tensor:
    """Optimal Brain Damage saliency ``s_i = h_ii w_i² / 2`` (LeCun, Denker & Solla 1990).

    From ``δL ≈ gᵀδw + ½ δwᵀ H δw`` at a minimum (g = 0) with H taken diagonal: deleting weight i
    (``δw_i = −w_i``, the others fixed) raises the loss by ``h_ii w_i² / 2``.
    """
    if w.shape != h_diag.shape:
        raise ValueError(both(f"w {tuple(w.shape)} and h_diag {tuple(h_diag.shape)} must have the same shape",
                              f"w {tuple(w.shape)} и h_diag {tuple(h_diag.shape)} должны иметь одну форму"))
    _v.tensor("w", w)
    _v.tensor("h_diag", h_diag)
    return h_diag * w ** 2 / 2


def _check_flat(w: torch.Tensor, M: torch.Tensor, name: str) -> None:
    if w.ndim != 1 or M.shape != (w.numel(), w.numel()):
        raise ValueError(both(f"w must be flat [u] and {name} [u, u]; got {tuple(w.shape)}, {tuple(M.shape)}",
                              f"w должен быть плоским [u], а {name} — [u, u]; получено {tuple(w.shape)}, "
                              f"{tuple(M.shape)}"))


def obs_saliency(w: torch.Tensor, H_inv: torch.Tensor) -> torch.Tensor:
    """Optimal Brain Surgeon saliency ``L_q = w_q² / (2 [H⁻¹]_qq)`` (Hassibi & Stork 1993).

    The minimum of ``½ δwᵀ H δw`` subject to ``e_qᵀ δw + w_q = 0`` (the other weights may move). With a diagonal
    H, ``[H⁻¹]_qq = 1/h_qq`` and it equals the OBD saliency ``h_qq w_q² / 2``.
    """
    _check_flat(w, H_inv, "H_inv")
    _v.tensor("w", w)
    _v.tensor("H_inv", H_inv)
    if not bool((torch.diagonal(H_inv) > 0).all()):
        raise ValueError(both("the diagonal of H_inv must be > 0 (H_inv of a positive definite Hessian)",
                              "диагональ H_inv должна быть > 0 (H_inv положительно определённого гессиана)"))
    return w ** 2 / (2 * torch.diagonal(H_inv))


def obs_prune(w: torch.Tensor, H_inv: torch.Tensor, q: int) -> torch.Tensor:
    """Remove weight ``q`` and let the others compensate: ``w + δw`` with ``δw = −(w_q/[H⁻¹]_qq) · H⁻¹ e_q``
    (Hassibi & Stork 1993). The returned ``w_q`` is set to exactly 0."""
    _check_flat(w, H_inv, "H_inv")
    if not 0 <= int(q) < w.numel():
        raise ValueError(both(f"q = {q} is out of range 0..{w.numel() - 1}", f"q = {q} вне диапазона 0..{w.numel() - 1}"))
    q = int(q)
    new = w - (w[q] / H_inv[q, q]) * H_inv[:, q]
    new = new.clone()
    new[q] = 0.0
    return new


def obs_prune_many(w: torch.Tensor, H: torch.Tensor, n: int) -> tuple[torch.Tensor, list[int]]:
    """Greedy OBS: remove ``n`` weights one at a time, each time the lowest ``w_q²/(2[H⁻¹]_qq)`` among the
    remaining ones, with the OBS update; pruned weights stay zero because ``H⁻¹`` is downdated to the remaining
    coordinates, ``H⁻¹ ← H⁻¹ − H⁻¹ e_q e_qᵀ H⁻¹ / [H⁻¹]_qq`` (Hassibi & Stork 1993; Frantar & Alistarh 2022).

    Returns the new weights and the removed indices in order. Each step solves exactly
    ``min ½ δwᵀ H δw`` s.t. all removed weights are zero, given the previously chosen set.
    """
    _check_flat(w, H, "H")
    _v.tensor("w", w)
    _v.same_dtype(w=w, H=H)
    _v.positive_definite("H", H)
    n = _v.integer("n", n)
    if not 0 <= n <= w.numel():
        raise ValueError(both(f"argument n = {n} must lie in 0..{w.numel()}",
                              f"аргумент n = {n} должен лежать в 0..{w.numel()}"))
    H_inv = torch.linalg.inv(H)
    w = w.clone()
    alive = torch.ones(w.numel(), dtype=torch.bool)
    removed = []
    for _ in range(n):
        sal = w ** 2 / (2 * torch.diagonal(H_inv).clamp_min(torch.finfo(w.dtype).tiny))
        sal = torch.where(alive, sal, torch.full_like(sal, float("inf")))
        q = int(torch.argmin(sal))
        w = obs_prune(w, H_inv, q)
        col = H_inv[:, q].clone()
        H_inv = H_inv - torch.outer(col, col) / col[q]
        alive[q] = False
        w = w * alive
        removed.append(q)
    return w, removed


# --- pruning curves for logistic regression -------------------------------------------------------------------

PRUNE_METHODS = tuple(f"{base}{suffix}" for base in ("random", "magnitude", "obd", "saliency")
                      for suffix in ("", "_retrain", "_retrain_random_init"))


def prune_logreg(method: str, fraction: float, *, W: torch.Tensor, b: torch.Tensor, X_train: torch.Tensor,
                 y_train: torch.Tensor, n_classes: int, l1: float = 0.0, l2: float = 0.0,
                 retrain_epochs: int = 100, lr: float = 0.5, seed: int = 0,
                 saliency: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Prune a trained logistic regression ``(W, b)`` by ``method`` and optionally retrain; return ``(W', b)``.

    ``method`` — a mask criterion followed by optional retraining under the same penalty (l1, l2) with the
    mask fixed (Han et al. 2015):
      * ``"random"``: random mask (seeded); ``"magnitude"``: smallest |W|; ``"obd"``: lowest ``h_ii W²/2``
        (``logreg_hessian_diag`` on the training set, plus ``2·l2`` from the penalty); ``"saliency"``: lowest of the given ``saliency`` tensor
        (e.g. Graves' ``|μ|/σ``);
      * suffix ``"_retrain"``: retrain from the previous optimum (masked); ``"_retrain_random_init"``: retrain
        from a random point (seeded) with the same mask.
    """
    base, _, rest = method.partition("_retrain")
    if method not in PRUNE_METHODS:
        raise ValueError(both(f"unknown method {method!r}: use random|magnitude|obd|saliency, optionally "
                              f"+ '_retrain' or '_retrain_random_init'",
                              f"неизвестный метод {method!r}: используйте random|magnitude|obd|saliency, "
                              f"возможно с '_retrain' или '_retrain_random_init'"))
    if base == "random":
        mask = random_mask(W, fraction, torch.Generator().manual_seed(seed))
    elif base == "magnitude":
        mask = magnitude_mask(W, fraction)
    elif base == "obd":
        h = logreg_hessian_diag(W, b, X_train) + 2 * l2  # the L2 penalty adds 2·l2 to every h_ii (L1: 0 off 0)
        mask = saliency_mask(obd_saliency(W, h), fraction)
    else:
        if saliency is None or saliency.shape != W.shape:
            raise ValueError(both("method 'saliency' needs a saliency tensor shaped like W",
                                  "методу 'saliency' нужен тензор значимостей формы W"))
        mask = saliency_mask(saliency, fraction)
    if "_retrain" not in method:
        return W * mask, b
    from metaopt_lib.training import train_logreg

    init = None if rest == "_random_init" else (W, b)
    return train_logreg(X_train, y_train, n_classes, l1=l1, l2=l2, epochs=retrain_epochs, lr=lr, mask=mask,
                        init=init, seed=seed + 1)


def prune_curve(method: str, fractions: Iterable[float], *, W: torch.Tensor, b: torch.Tensor,
                X_train: torch.Tensor, y_train: torch.Tensor, X_test: torch.Tensor, y_test: torch.Tensor,
                n_classes: int, **kwargs) -> list[float]:
    """Test accuracy after ``prune_logreg(method, f, ...)`` for every fraction ``f`` of removed weights.

    ``kwargs`` go to ``prune_logreg`` (l1, l2, retrain_epochs, lr, seed, saliency). The x-axis of the lecture's
    and the assignments' plot is ``100·f`` (percent of parameters removed; biases are not pruned).
    """
    from metaopt_lib.training import accuracy

    accs = []
    for f in fractions:
        Wp, bp = prune_logreg(method, f, W=W, b=b, X_train=X_train, y_train=y_train, n_classes=n_classes, **kwargs)
        accs.append(accuracy(Wp, bp, X_test, y_test))
    return accs


# --- Bayesian compression (Louizos, Ullrich & Welling 2017) -----------------------------------------------------

def group_log_dropout(mu_z: torch.Tensor, sigma_z: torch.Tensor) -> torch.Tensor:
    """``log σ_z − log |μ_z|`` for the group scales z of model 1 (normal–Jeffreys).

    Model 1: ``p(z) ∝ 1/|z|`` (log-uniform, Jeffreys), ``w | z ~ N(0, z²)``; variational
    ``q(z) = N(μ_z, σ_z²)``, ``q(w|z) = N(z μ, z² σ²)``. The value is half the log "dropout rate"
    ``log α = log σ_z² − log μ_z²`` of the group's multiplicative noise.
    """
    if (sigma_z <= 0).any():
        raise ValueError(both("sigma_z must be positive", "sigma_z должны быть положительны"))
    return torch.log(sigma_z) - torch.log(mu_z.abs())


def jeffreys_group_mask(mu_z: torch.Tensor, sigma_z: torch.Tensor, threshold: float) -> torch.Tensor:
    """Keep a group (True) unless ``log σ_z − log |μ_z| > λ`` (Louizos et al. 2017, model 1; the group's noise
    dominates its scale). ``threshold`` is λ; Louizos et al. use ``log α ≥ 3``, i.e. λ = 1.5."""
    return group_log_dropout(mu_z, sigma_z) <= threshold


def horseshoe_group_log_scale(mu_s: torch.Tensor | float, mu_z: torch.Tensor) -> torch.Tensor:
    """Posterior log-scale of a group in model 2 (group horseshoe): ``E_q[log(s z_i)] = μ_s + μ_{z_i}``.

    Model 2: ``s ~ C⁺(0, λ₀)``, ``z_i ~ C⁺(0, 1)``, ``ŵ_ij ~ N(0, 1)``, ``w_ij = s z_i ŵ_ij`` (half-Cauchy scale
    mixture); variational ``q(s) = LN(μ_s, σ_s²)``, ``q(z_i) = LN(μ_{z_i}, σ_{z_i}²)`` — log-normal, so
    ``log(s z_i)`` is normal with mean ``μ_s + μ_{z_i}``.
    """
    return torch.as_tensor(mu_s) + mu_z


def horseshoe_group_mask(mu_s: torch.Tensor | float, mu_z: torch.Tensor, threshold: float) -> torch.Tensor:
    """Keep a group (True) while its posterior log-scale ``μ_s + μ_{z_i}`` is at least ``threshold``: groups
    whose scale ``s z_i`` the heavy-tailed prior has shrunk to zero are removed (model 2 of Louizos et al. 2017)."""
    return horseshoe_group_log_scale(mu_s, mu_z) >= threshold


def sample_horseshoe_weights(n_groups: int, group_size: int, global_scale: float = 1.0,
                             generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``w_ij = s z_i ŵ_ij`` from the group horseshoe prior (model 2): ``s ~ C⁺(0, global_scale)``,
    ``z_i ~ C⁺(0, 1)``, ``ŵ_ij ~ N(0, 1)``. ``|Cauchy| = |N₁/N₂|`` gives the half-Cauchy draws. Shape
    [n_groups, group_size]."""
    if n_groups < 1 or group_size < 1 or global_scale <= 0:
        raise ValueError(both("n_groups, group_size and global_scale must be positive",
                              "n_groups, group_size и global_scale должны быть положительны"))
    def half_cauchy(*shape):
        return (torch.randn(*shape, generator=generator) / torch.randn(*shape, generator=generator)).abs()
    s = global_scale * half_cauchy(1)
    z = half_cauchy(n_groups, 1)
    return s * z * torch.randn(n_groups, group_size, generator=generator)
