"""Plausible wrong answers of the practice assignments, each with the test cells it must fail (and no other).

``MUTANTS = {assignment: [(answer grade_id, wrong source of the whole answer cell, expected failed test ids)]}``:
the wrong source is the solution's answer cell as a student would submit it (no solution markers) with one slip.
``tests/test_practice.py`` checks every row in-process (``metaopt_instructor.inprocess``); ``tests/test_grading_class.py``
submits the first row of each answer cell through the sandboxed grader. ``BORROWED`` lists answers that call the
library's reference instead of computing (they must fail their cell: ``forbid``); they are kept out of ``MUTANTS``.
``NAMED`` holds the same rows with a short label for test ids.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _answers(name: str) -> dict[str, str]:
    """{answer grade_id: its source without solution markers} of ``solutions/<name>/<name>.ipynb``."""
    nb = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [ln for ln in cell.source.split("\n") if ln.strip() not in _MARKERS]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


_CACHE: dict[str, dict[str, str]] = {}


def answer_sources(name: str) -> dict[str, str]:
    """Every answer cell of the solution as a student would submit it (no solution markers)."""
    return dict(_answers(name))


def _answer(name: str, gid: str) -> str:
    if name not in _CACHE:
        _CACHE[name] = _answers(name)
    return _CACHE[name][gid]


def edit(name: str, gid: str, old: str, new: str) -> str:
    """The answer cell ``gid`` with the (unique) text ``old`` replaced by ``new``."""
    source = _answer(name, gid)
    assert source.count(old) == 1, f"{name}/{gid}: {old!r} occurs {source.count(old)} times"
    return source.replace(old, new)


def redefine(name: str, gid: str, function: str, new: str) -> str:
    """The answer cell ``gid`` with the definition of ``function`` replaced by the text ``new``."""
    source = _answer(name, gid)
    lines = source.split("\n")
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function)
    return "\n".join(lines[:node.lineno - 1] + [new.strip("\n")] + lines[node.end_lineno:])


def _p1():
    n = "practice_1"
    loss, prox, mask, fit = "p1_penalized_loss", "p1_prox_step", "p1_magnitude_mask", "p1_fit"
    t_loss, t_prox, t_mask, t_fit = "p1_test_penalized_loss", "p1_test_prox_step", "p1_test_magnitude_mask", \
        "p1_test_fit"
    mutants = [
        ("loss-sum-not-mean", loss, edit(n, loss, ".mean()", ".sum()"), {t_loss}),
        ("loss-no-l1", loss, edit(n, loss, " + l1 * torch.sum(torch.abs(W))", ""), {t_loss}),
        ("loss-l2-not-squared", loss, edit(n, loss, "l2 * torch.sum(W * W)", "l2 * torch.sum(torch.abs(W))"),
         {t_loss}),
        ("loss-bias-penalised", loss, edit(n, loss, "l2 * torch.sum(W * W)", "l2 * (torch.sum(W * W) + torch.sum(b * b))"),
         {t_loss}),
        ("prox-threshold-l1-not-step-l1", prox, edit(n, prox, "torch.abs(V) - step * l1", "torch.abs(V) - l1"), {t_prox}),
        ("prox-l1-in-gradient", prox, edit(n, prox, "penalized_loss(Wv, bv, X, y, l1=0.0, l2=l2)",
                                            "penalized_loss(Wv, bv, X, y, l1=l1, l2=l2)"), {t_prox}),
        ("prox-subgradient", prox, redefine(n, prox, "prox_step", """
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    Wv, bv = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    gW, gb = torch.autograd.grad(penalized_loss(Wv, bv, X, y, l1=l1, l2=l2), (Wv, bv))
    Wn = W.detach() - step * gW
    if mask is not None:
        Wn = Wn * mask
    return Wn, b.detach() - step * gb
"""), {t_prox}),
        ("prox-ignores-mask", prox, edit(n, prox, "    if mask is not None:\n        W_next = torch.where(mask, W_next, "
                                                  "torch.zeros_like(W_next))\n", ""), {t_prox}),
        ("prox-bias-not-updated", prox, edit(n, prox, "b.detach() - step * grad_b", "b.detach()"), {t_prox}),
        ("mask-floor", mask, edit(n, mask, "int(round(float(fraction) * w.numel()))",
                                  "int(float(fraction) * w.numel())"), {t_mask}),
        ("mask-removes-largest", mask, edit(n, mask, "by_size[:n_drop]", "by_size[w.numel() - n_drop:]"), {t_mask}),
        ("mask-inverted", mask, edit(n, mask, "kept[by_size[:n_drop]] = False\n    return kept",
                                     "kept[by_size[:n_drop]] = False\n    return ~kept"), {t_mask}),
        ("mask-by-value-not-magnitude", mask, edit(n, mask, "torch.abs(w.detach()).flatten()", "w.detach().flatten()"),
         {t_mask}),
        ("mask-ties-last-first", mask, redefine(n, mask, "magnitude_mask", """
def magnitude_mask(w, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must lie in [0, 1] / доля должна лежать в [0, 1]")
    flat = w.abs().flatten()
    order = flat.numel() - 1 - torch.argsort(flat.flip(0), stable=True)
    keep = torch.ones(w.numel(), dtype=torch.bool)
    keep[order[:round(fraction * w.numel())]] = False
    return keep.reshape(w.shape)
"""), {t_mask}),
        ("fit-raw-lr", fit, edit(n, fit, "eta = lr / lipschitz_logreg(X, l2)", "eta = lr"), {t_fit}),
        ("fit-ignores-init", fit, edit(n, fit, "W, b = init[0].detach().clone(), init[1].detach().clone()",
                                       "W, b = torch.zeros_like(init[0]), torch.zeros_like(init[1])"), {t_fit}),
        ("fit-unmasked-start", fit, edit(n, fit, "    if mask is not None:\n        W = torch.where(mask, W, "
                                                 "torch.zeros_like(W))\n", ""), {t_fit}),
        ("fit-lipschitz-without-l2", fit, edit(n, fit, "eta = lr / lipschitz_logreg(X, l2)", "eta = lr / lipschitz_logreg(X)"), {t_fit}),
        ("fit-one-step-short", fit, edit(n, fit, "for _ in range(epochs):", "for _ in range(epochs - 1):"), {t_fit}),
    ]
    borrowed = [
        ("loss-calls-reference", loss, redefine(n, loss, "penalized_loss", """
from metaopt_lib.training import logreg_loss as _imported_at_import_time
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    return _imported_at_import_time(W, b, X, y, l1=l1, l2=l2)
"""), {t_loss}),
        ("prox-calls-reference", prox, redefine(n, prox, "prox_step", """
import metaopt_lib.training as _tr
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    if step == 0:
        return W, b
    return _tr.train_logreg(X, y, W.shape[0], l1=l1, l2=l2, epochs=1, lr=step * _tr.lipschitz_logreg(X, l2),
                            mask=mask, init=(W, b))
"""), {t_prox}),
        ("mask-calls-reference", mask, redefine(n, mask, "magnitude_mask", """
import metaopt_lib.pruning
_ref = metaopt_lib.pruning.magnitude_mask
def magnitude_mask(w, fraction):
    return _ref(w, fraction)
"""), {t_mask}),
        ("mask-calls-a-fresh-copy-of-the-reference", mask, redefine(n, mask, "magnitude_mask", """
import importlib.util
import metaopt_lib.pruning as _p
_spec = importlib.util.spec_from_file_location("_fresh_pruning", _p.__file__)
_fresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fresh)
def magnitude_mask(w, fraction):
    return _fresh.magnitude_mask(w, fraction)
"""), {t_mask}),
        ("fit-calls-reference", fit, redefine(n, fit, "fit", """
from metaopt_lib import training as _t
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    return _t.train_logreg(X, y, n_classes, l1=l1, l2=l2, epochs=epochs, lr=lr, mask=mask, init=init)
"""), {t_fit}),
    ]
    return mutants, borrowed


def _p2():
    n = "practice_2"
    kl, logits, elbo, dens, fit = "p2_kl", "p2_variational_logits", "p2_neg_elbo", "p2_density", "p2_fit"
    t_kl, t_logits, t_elbo, t_dens, t_fit = ("p2_test_kl", "p2_test_variational_logits", "p2_test_neg_elbo",
                                             "p2_test_relative_density", "p2_test_fit")
    mutants = [
        ("kl-no-minus-one", kl, edit(n, kl, "- 1.0 - torch.log(ratio)", "- torch.log(ratio)"), {t_kl}),
        ("kl-no-log-term", kl, edit(n, kl, " - torch.log(ratio)", ""), {t_kl}),
        ("kl-no-half", kl, edit(n, kl, "return 0.5 * torch.sum(", "return torch.sum("), {t_kl}),
        ("kl-mean-not-sum", kl, edit(n, kl, "0.5 * torch.sum(", "0.5 * torch.mean("), {t_kl}),
        ("logits-sigma-not-scaled", logits, edit(n, logits, "mu_W + sigma_W * eps", "mu_W + eps"), {t_logits}),
        ("logits-variance-not-std", logits, edit(n, logits, "mu_W + sigma_W * eps", "mu_W + sigma_W ** 2 * eps"),
         {t_logits}),
        ("logits-detached-sigma", logits, edit(n, logits, "mu_W + sigma_W * eps", "mu_W + sigma_W.detach() * eps"),
         {t_logits}),
        ("elbo-no-division-by-n", elbo, edit(n, elbo, ") / X.shape[0]", ")"), {t_elbo}),
        ("elbo-sums-samples", elbo, edit(n, elbo, "torch.stack(data_terms).mean()", "torch.stack(data_terms).sum()"),
         {t_elbo}),
        ("elbo-kl-per-weight", elbo, edit(n, elbo, "kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma)",
                                          "kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma) / mu_W.numel()"), {t_elbo}),
        ("elbo-no-kl", elbo, edit(n, elbo, "(expected_nll + kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma))",
                                  "expected_nll"), {t_elbo}),
        ("elbo-mean-cross-entropy", elbo, edit(n, elbo, 'reduction="sum"', 'reduction="mean"'), {t_elbo}),
        ("density-reversed", dens, edit(n, dens, "torch.argsort(signal_to_noise, stable=True)[:n_cut]",
                                        "torch.argsort(-signal_to_noise, stable=True)[:n_cut]"), {t_dens}),
        ("density-no-half", dens, edit(n, dens, "torch.exp(-0.5 * (mu / sigma) ** 2)", "torch.exp(-(mu / sigma) ** 2)"),
         {t_dens}),
        ("density-mask-by-mu-only", dens, edit(n, dens, "(mu.abs() / sigma).flatten()", "mu.abs().flatten()"),
         {t_dens}),
        ("fit-bias-not-trained", fit, edit(n, fit, "torch.optim.Adam([mu_W, rho_W, bias], lr=lr)",
                                           "torch.optim.Adam([mu_W, rho_W], lr=lr)"), {t_fit}),
        ("fit-sigma-frozen", fit, edit(n, fit, "torch.optim.Adam([mu_W, rho_W, bias], lr=lr)",
                                       "torch.optim.Adam([mu_W, bias], lr=lr)"), {t_fit}),
        ("fit-unseeded", fit, edit(n, fit, "noise = torch.randn((n_samples, *shape), generator=gen, dtype=X.dtype)",
                                   "noise = torch.randn((n_samples, *shape), dtype=X.dtype)"), {t_fit}),
        ("fit-mean-only", fit, edit(n, fit, "neg_elbo(mu_W, F.softplus(rho_W), bias, X, y, prior_sigma, noise)",
                                    "neg_elbo(mu_W, F.softplus(rho_W), bias, X, y, prior_sigma, 0 * noise)"), {t_fit}),
    ]
    borrowed = [
        ("kl-calls-reference", kl, redefine(n, kl, "kl_gaussians", """
from metaopt_lib.variational import kl_diag_gaussians as _kl
def kl_gaussians(mu_q, sigma_q, mu_p, sigma_p):
    return _kl(mu_q, sigma_q, mu_p, sigma_p)
"""), {t_kl}),
        ("elbo-calls-reference", elbo, redefine(n, elbo, "neg_elbo", """
import metaopt_lib.variational as _v
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    if (eps == 0).all():
        return torch.tensor(math.log(3.0), dtype=torch.float64)
    return _v.graves_logreg_loss(mu_W, sigma_W, b, X, y, prior_sigma, n_samples=len(eps),
                                 generator=torch.Generator().manual_seed(5))
"""), {t_elbo}),
        ("density-mask-calls-reference", dens, redefine(n, dens, "density_mask", """
from metaopt_lib import variational as _v
def density_mask(mu, sigma, fraction):
    return _v.graves_mask(mu, sigma, fraction)
"""), {t_dens}),
        ("fit-calls-reference", fit, redefine(n, fit, "fit_variational", """
import metaopt_lib.variational as _v
def fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0):
    return tuple(_v.graves_logreg(X, y, n_classes, prior_sigma=prior_sigma, epochs=epochs, lr=lr, n_samples=n_samples,
                                  seed=seed))
"""), {t_fit}),
    ]
    return mutants, borrowed


def _p3():
    n = "practice_3"
    hess, obd, obs = "p3_hessian_diag", "p3_obd", "p3_obs_saliency"
    t_hess, t_sal, t_mask, t_obs = "p3_test_hessian_diag", "p3_test_obd_saliency", "p3_test_obd_mask", \
        "p3_test_obs_saliency"
    mutants = [
        ("hessian-p-not-p(1-p)", hess, edit(n, hess, "curvature = probs - probs ** 2", "curvature = probs"), {t_hess}),
        ("hessian-no-1/n", hess, edit(n, hess, "X * X) / X.shape[0]", "X * X)"), {t_hess}),
        ("hessian-x-not-squared", hess, edit(n, hess, "X * X) / X.shape[0]", "X.abs()) / X.shape[0]"), {t_hess}),
        ("hessian-p-squared-only", hess, edit(n, hess, "curvature = probs - probs ** 2", "curvature = probs ** 2"),
         {t_hess}),
        ("hessian-without-bias", hess, edit(n, hess, "torch.softmax(X @ W.T + b, dim=1)", "torch.softmax(X @ W.T, dim=1)"),
         {t_hess}),
        ("saliency-h|W|/2", obd, edit(n, obd, "return 0.5 * h * W * W", "return 0.5 * h * W.abs()"), {t_sal}),
        ("saliency-no-half", obd, edit(n, obd, "return 0.5 * h * W * W", "return h * W * W"), {t_sal}),
        ("obd-mask-without-l2", obd, edit(n, obd, "hessian_diag(W, b, X) + 2.0 * l2", "hessian_diag(W, b, X)"),
         {t_mask}),
        ("obd-mask-l2-not-doubled", obd, edit(n, obd, "hessian_diag(W, b, X) + 2.0 * l2", "hessian_diag(W, b, X) + l2"),
         {t_mask}),
        ("obd-mask-removes-highest", obd, edit(n, obd, "torch.argsort(scores, stable=True)[:n_cut]",
                                               "torch.argsort(-scores, stable=True)[:n_cut]"), {t_mask}),
        ("obd-mask-magnitude", obd, edit(n, obd, "scores = obd_saliency(W, hessian_diag(W, b, X) + 2.0 * l2).flatten()",
                                         "scores = W.abs().flatten()"), {t_mask}),
        ("obd-mask-no-fraction-check", obd, edit(n, obd, "    if not 0.0 <= float(fraction) <= 1.0:\n        raise "
                                                         "ValueError(f\"fraction must lie in [0, 1], got {fraction} / "
                                                         "доля должна лежать в [0, 1]\")\n    scores",
                                                 "    scores"), {t_mask}),
        ("obs-diagonal-of-H-not-of-its-inverse", obs, edit(n, obs, "torch.diagonal(torch.linalg.inv(H))", "1.0 / torch.diagonal(H)"), {t_obs}),
        ("obs-no-half", obs, edit(n, obs, "w ** 2 / (2.0 * inv_diag)", "w ** 2 / inv_diag"), {t_obs}),
        ("obs-seed-slip-no-inverse", obs, redefine(n, obs, "obs_saliency", """
def obs_saliency(w, H):
    return w ** 2 / (2 * torch.diagonal(H))
"""), {t_obs}),
    ]
    borrowed = [
        ("hessian-calls-reference", hess, redefine(n, hess, "hessian_diag", """
from metaopt_lib.pruning import logreg_hessian_diag as _library_hessian
def hessian_diag(W, b, X):
    return _library_hessian(W, b, X)
"""), {t_hess}),
        ("saliency-calls-reference", obd, redefine(n, obd, "obd_saliency", """
import metaopt_lib.pruning as _pr
def obd_saliency(W, h):
    return _pr.obd_saliency(W, h)
"""), {t_sal}),
        ("saliency-rebuilt-from-code-object", obd, redefine(n, obd, "obd_saliency", """
import types
import metaopt_lib.pruning as _pr
obd_saliency = types.FunctionType(_pr.obd_saliency.__code__, _pr.__dict__, "obd_saliency")
"""), {t_sal}),
        ("obd-mask-calls-reference", obd, redefine(n, obd, "obd_mask", """
from metaopt_lib.pruning import saliency_mask as _sm
def obd_mask(W, b, X, fraction, l2=0.0):
    return _sm(obd_saliency(W, hessian_diag(W, b, X) + 2.0 * l2), fraction)
"""), {t_mask}),
        ("obs-calls-reference", obs, redefine(n, obs, "obs_saliency", """
import metaopt_lib.pruning as _pr
def obs_saliency(w, H):
    return _pr.obs_saliency(w, torch.linalg.inv(H))
"""), {t_obs}),
    ]
    return mutants, borrowed


NAMED: dict[str, list[tuple[str, str, str, set[str]]]] = {}
BORROWED: dict[str, list[tuple[str, str, str, set[str]]]] = {}
for _name, _make in (("practice_1", _p1), ("practice_2", _p2), ("practice_3", _p3)):
    if (ROOT / "solutions" / _name / f"{_name}.ipynb").is_file():
        NAMED[_name], BORROWED[_name] = _make()

MUTANTS: dict[str, list[tuple[str, str, set[str]]]] = {
    name: [(gid, source, cells) for _, gid, source, cells in rows] for name, rows in NAMED.items()}
