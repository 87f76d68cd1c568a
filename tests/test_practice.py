"""The practice assignments (pruning logistic regression): the instructor's solution passes every test cell, the
test cells catch wrong implementations and implementations that call the reference in ``metaopt_lib``, the
experiment plots accuracy against the percent of parameters removed, and the released notebook leaks nothing.

Each notebook is executed in-process (cell by cell, in one namespace, as the kernel would), once per module; the
mutants then replace one student function at a time and re-run the test cell that grades it.
Generic nbgrader checks (validation, full marks through autograde, blank release, regeneration) are in
``tests/test_assignments.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRACTICES = [p for p in ("practice_1", "practice_2", "practice_3")
             if (ROOT / "solutions" / p / f"{p}.ipynb").exists()]
REFERENCE_CALLED = "reference implementation of metaopt_lib was called"

# --- expectations per assignment ------------------------------------------------------------------------------
# autograded points per test cell, manually graded points per answer cell
POINTS = {
    "practice_1": {"auto": {"p1_test_penalized_loss": 1, "p1_test_prox_step": 2, "p1_test_magnitude_mask": 2,
                            "p1_test_fit": 2},
                   "manual": {"p1_conclusions": 3}},
    "practice_2": {"auto": {"p2_test_kl": 1, "p2_test_variational_logits": 1, "p2_test_neg_elbo": 2,
                            "p2_test_relative_density": 1, "p2_test_fit": 2},
                   "manual": {"p2_conclusions": 3}},
    "practice_3": {"auto": {"p3_test_hessian_diag": 3, "p3_test_obd_saliency": 1, "p3_test_obd_mask": 1,
                            "p3_test_obs_saliency": 2},
                   "manual": {"p3_conclusions": 3}},
}
# the experiment's figure: at least this many curves, x in percent
MIN_CURVES = {"practice_1": 6, "practice_2": 2, "practice_3": 3}

# (id, solution cell to replace, replacement source, test cell that must fail, expected message or None)
MUTANTS = {
    "practice_1": [
        ("loss-sum", "p1_penalized_loss", """
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    s = X @ W.T + b
    return -(s - torch.logsumexp(s, 1, keepdim=True)).gather(1, y.view(-1, 1)).sum() + l1 * W.abs().sum() + l2 * (W ** 2).sum()
""", "p1_test_penalized_loss", None),
        ("loss-no-l1", "p1_penalized_loss", """
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    s = X @ W.T + b
    return -(s - torch.logsumexp(s, 1, keepdim=True)).gather(1, y.view(-1, 1)).mean() + l2 * (W ** 2).sum()
""", "p1_test_penalized_loss", None),
        ("loss-bias-penalised", "p1_penalized_loss", """
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    s = X @ W.T + b
    return (-(s - torch.logsumexp(s, 1, keepdim=True)).gather(1, y.view(-1, 1)).mean() + l1 * W.abs().sum()
            + l2 * (W ** 2).sum() + l2 * (b ** 2).sum())
""", "p1_test_penalized_loss", None),
        ("loss-calls-reference", "p1_penalized_loss", """
from metaopt_lib.training import logreg_loss as _imported_at_import_time
def penalized_loss(W, b, X, y, l1=0.0, l2=0.0):
    return _imported_at_import_time(W, b, X, y, l1=l1, l2=l2)
""", "p1_test_penalized_loss", REFERENCE_CALLED),
        ("prox-subgradient", "p1_prox_step", """
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    Wv, bv = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    gW, gb = torch.autograd.grad(penalized_loss(Wv, bv, X, y, l1=l1, l2=l2), (Wv, bv))
    Wn = W.detach() - step * gW
    if mask is not None:
        Wn = Wn * mask
    return Wn, b.detach() - step * gb
""", "p1_test_prox_step", None),
        ("prox-ignores-mask", "p1_prox_step", """
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    Wv, bv = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    gW, gb = torch.autograd.grad(penalized_loss(Wv, bv, X, y, l2=l2), (Wv, bv))
    V = W.detach() - step * gW
    return torch.sign(V) * torch.clamp(V.abs() - step * l1, min=0.0), b.detach() - step * gb
""", "p1_test_prox_step", None),
        ("prox-calls-reference", "p1_prox_step", """
import metaopt_lib.training as _tr
def prox_step(W, b, X, y, step, l1=0.0, l2=0.0, mask=None):
    if step == 0:
        return W, b
    return _tr.train_logreg(X, y, W.shape[0], l1=l1, l2=l2, epochs=1, lr=step * _tr.lipschitz_logreg(X, l2),
                            mask=mask, init=(W, b))
""", "p1_test_prox_step", REFERENCE_CALLED),
        ("mask-floor", "p1_magnitude_mask", """
def magnitude_mask(w, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    order = torch.argsort(w.abs().flatten(), stable=True)
    keep = torch.ones(w.numel(), dtype=torch.bool)
    keep[order[:int(fraction * w.numel())]] = False
    return keep.reshape(w.shape)
""", "p1_test_magnitude_mask", None),
        ("mask-inverted", "p1_magnitude_mask", """
def magnitude_mask(w, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    order = torch.argsort(w.abs().flatten(), stable=True)
    keep = torch.zeros(w.numel(), dtype=torch.bool)
    keep[order[:round(fraction * w.numel())]] = True
    return keep.reshape(w.shape)
""", "p1_test_magnitude_mask", None),
        ("mask-ties-last-first", "p1_magnitude_mask", """
def magnitude_mask(w, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    flat = w.abs().flatten()
    order = torch.argsort(flat.flip(0), stable=True)
    order = flat.numel() - 1 - order
    keep = torch.ones(w.numel(), dtype=torch.bool)
    keep[order[:round(fraction * w.numel())]] = False
    return keep.reshape(w.shape)
""", "p1_test_magnitude_mask", None),
        ("mask-calls-reference", "p1_magnitude_mask", """
import metaopt_lib.pruning
_ref = metaopt_lib.pruning.magnitude_mask
def magnitude_mask(w, fraction):
    return _ref(w, fraction)
""", "p1_test_magnitude_mask", REFERENCE_CALLED),
        ("mask-calls-a-fresh-copy-of-the-reference", "p1_magnitude_mask", """
import importlib.util
import metaopt_lib.pruning as _p
_spec = importlib.util.spec_from_file_location("_fresh_pruning", _p.__file__)
_fresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fresh)
def magnitude_mask(w, fraction):
    return _fresh.magnitude_mask(w, fraction)
""", "p1_test_magnitude_mask", REFERENCE_CALLED),
        ("fit-ignores-init", "p1_fit", """
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    W, b = torch.zeros(n_classes, X.shape[1], dtype=X.dtype), torch.zeros(n_classes, dtype=X.dtype)
    for _ in range(epochs):
        W, b = prox_step(W, b, X, y, lr / lipschitz_logreg(X, l2), l1=l1, l2=l2, mask=mask)
    return W, b
""", "p1_test_fit", None),
        ("fit-unmasked-start", "p1_fit", """
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    if init is None:
        W, b = torch.zeros(n_classes, X.shape[1], dtype=X.dtype), torch.zeros(n_classes, dtype=X.dtype)
    else:
        W, b = init
    for _ in range(epochs):
        W, b = prox_step(W, b, X, y, lr / lipschitz_logreg(X, l2), l1=l1, l2=l2, mask=mask)
    return W, b
""", "p1_test_fit", None),
        ("fit-raw-lr", "p1_fit", """
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    if init is None:
        W, b = torch.zeros(n_classes, X.shape[1], dtype=X.dtype), torch.zeros(n_classes, dtype=X.dtype)
    else:
        W, b = init
    if mask is not None:
        W = W * mask
    for _ in range(epochs):
        W, b = prox_step(W, b, X, y, lr, l1=l1, l2=l2, mask=mask)
    return W, b
""", "p1_test_fit", None),
        ("fit-calls-reference", "p1_fit", """
from metaopt_lib import training as _t
def fit(X, y, n_classes, *, l1=0.0, l2=0.0, epochs=200, lr=1.0, mask=None, init=None):
    return _t.train_logreg(X, y, n_classes, l1=l1, l2=l2, epochs=epochs, lr=lr, mask=mask, init=init)
""", "p1_test_fit", REFERENCE_CALLED),
    ],
    "practice_2": [
        ("kl-no-log-term", "p2_kl", """
def kl_gaussians(mu_q, sigma_q, mu_p, sigma_p):
    mu_q, sigma_q, mu_p, sigma_p = (torch.as_tensor(v, dtype=torch.float64) for v in (mu_q, sigma_q, mu_p, sigma_p))
    return torch.sum((sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5)
""", "p2_test_kl", None),
        ("kl-seed-form-no-half", "p2_kl", """
def kl_gaussians(mu_q, sigma_q, mu_p, sigma_p):
    mu_q, sigma_q, mu_p, sigma_p = (torch.as_tensor(v, dtype=torch.float64) for v in (mu_q, sigma_q, mu_p, sigma_p))
    return 0.5 * torch.sum((sigma_q / sigma_p) ** 2 + ((mu_q - mu_p) / sigma_p) ** 2 - 2 * torch.log(sigma_q / sigma_p))
""", "p2_test_kl", None),
        ("kl-calls-reference", "p2_kl", """
from metaopt_lib.variational import kl_diag_gaussians as _kl
def kl_gaussians(mu_q, sigma_q, mu_p, sigma_p):
    return _kl(mu_q, sigma_q, mu_p, sigma_p)
""", "p2_test_kl", REFERENCE_CALLED),
        ("layer-variance-not-std", "p2_variational_logits", """
def variational_logits(mu_W, sigma_W, b, X, eps):
    return X @ (mu_W + sigma_W ** 2 * eps).T + b
""", "p2_test_variational_logits", None),
        ("layer-detached-sigma", "p2_variational_logits", """
def variational_logits(mu_W, sigma_W, b, X, eps):
    return X @ (mu_W + sigma_W.detach() * eps).T + b
""", "p2_test_variational_logits", None),
        ("elbo-sums-samples", "p2_neg_elbo", """
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    nll = torch.stack([F.cross_entropy(variational_logits(mu_W, sigma_W, b, X, e), y, reduction="sum") for e in eps])
    return (nll.sum() + kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma)) / X.shape[0]
""", "p2_test_neg_elbo", None),
        ("elbo-kl-per-weight", "p2_neg_elbo", """
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    nll = torch.stack([F.cross_entropy(variational_logits(mu_W, sigma_W, b, X, e), y, reduction="sum") for e in eps])
    return (nll.mean() + kl_gaussians(mu_W, sigma_W, 0.0, prior_sigma) / mu_W.numel()) / X.shape[0]
""", "p2_test_neg_elbo", None),
        ("elbo-no-kl", "p2_neg_elbo", """
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    nll = torch.stack([F.cross_entropy(variational_logits(mu_W, sigma_W, b, X, e), y, reduction="sum") for e in eps])
    return nll.mean() / X.shape[0]
""", "p2_test_neg_elbo", None),
        ("elbo-calls-reference", "p2_neg_elbo", """
import metaopt_lib.variational as _v
def neg_elbo(mu_W, sigma_W, b, X, y, prior_sigma, eps):
    if (eps == 0).all():
        return torch.tensor(math.log(3.0), dtype=torch.float64)
    return _v.graves_logreg_loss(mu_W, sigma_W, b, X, y, prior_sigma, n_samples=len(eps),
                                 generator=torch.Generator().manual_seed(5))
""", "p2_test_neg_elbo", REFERENCE_CALLED),
        ("density-no-half", "p2_density", """
def relative_density(mu, sigma):
    return torch.exp(-(mu / sigma) ** 2)
""", "p2_test_relative_density", None),
        ("density-mask-by-mu-only", "p2_density", """
def density_mask(mu, sigma, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    keep = torch.ones(mu.numel(), dtype=torch.bool)
    keep[torch.argsort(mu.abs().flatten(), stable=True)[:round(fraction * mu.numel())]] = False
    return keep.reshape(mu.shape)
""", "p2_test_relative_density", None),
        ("density-mask-calls-reference", "p2_density", """
from metaopt_lib import variational as _v
def density_mask(mu, sigma, fraction):
    return _v.graves_mask(mu, sigma, fraction)
""", "p2_test_relative_density", REFERENCE_CALLED),
        ("fit-sigma-frozen", "p2_fit", """
def fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0):
    gen = torch.Generator().manual_seed(seed)
    mu = torch.zeros(n_classes, X.shape[1], dtype=X.dtype, requires_grad=True)
    sigma = torch.full((n_classes, X.shape[1]), 0.01, dtype=X.dtype)
    b = torch.zeros(n_classes, dtype=X.dtype, requires_grad=True)
    opt = torch.optim.Adam([mu, b], lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        eps = torch.randn((n_samples, n_classes, X.shape[1]), generator=gen, dtype=X.dtype)
        neg_elbo(mu, sigma, b, X, y, prior_sigma, eps).backward()
        opt.step()
    return mu.detach(), sigma, b.detach()
""", "p2_test_fit", None),
        ("fit-unseeded", "p2_fit", """
def fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0):
    mu = torch.zeros(n_classes, X.shape[1], dtype=X.dtype, requires_grad=True)
    rho = torch.full((n_classes, X.shape[1]), -4.6, dtype=X.dtype, requires_grad=True)
    b = torch.zeros(n_classes, dtype=X.dtype, requires_grad=True)
    opt = torch.optim.Adam([mu, rho, b], lr=lr)
    for _ in range(epochs):
        opt.zero_grad()
        eps = torch.randn((n_samples, n_classes, X.shape[1]), dtype=X.dtype)
        neg_elbo(mu, F.softplus(rho), b, X, y, prior_sigma, eps).backward()
        opt.step()
    return mu.detach(), F.softplus(rho).detach(), b.detach()
""", "p2_test_fit", None),
        ("fit-calls-reference", "p2_fit", """
import metaopt_lib.variational as _v
def fit_variational(X, y, n_classes, *, prior_sigma=1.0, epochs=300, lr=0.05, n_samples=1, seed=0):
    return tuple(_v.graves_logreg(X, y, n_classes, prior_sigma=prior_sigma, epochs=epochs, lr=lr, n_samples=n_samples,
                                  seed=seed))
""", "p2_test_fit", REFERENCE_CALLED),
    ],
    "practice_3": [
        ("hessian-sum", "p3_hessian_diag", """
def hessian_diag(W, b, X):
    p = torch.softmax(X @ W.T + b, dim=1)
    return (p * (1 - p)).T @ (X ** 2)
""", "p3_test_hessian_diag", None),
        ("hessian-x-not-squared", "p3_hessian_diag", """
def hessian_diag(W, b, X):
    p = torch.softmax(X @ W.T + b, dim=1)
    return (p * (1 - p)).T @ X.abs() / X.shape[0]
""", "p3_test_hessian_diag", None),
        ("hessian-p-squared-only", "p3_hessian_diag", """
def hessian_diag(W, b, X):
    p = torch.softmax(X @ W.T + b, dim=1)
    return p.T @ (X ** 2) / X.shape[0]
""", "p3_test_hessian_diag", None),
        ("hessian-calls-reference", "p3_hessian_diag", """
from metaopt_lib.pruning import logreg_hessian_diag as _h
def hessian_diag(W, b, X):
    return _h(W, b, X)
""", "p3_test_hessian_diag", REFERENCE_CALLED),
        ("saliency-no-half", "p3_obd", """
def obd_saliency(W, h):
    return h * W * W
""", "p3_test_obd_saliency", None),
        ("saliency-calls-reference", "p3_obd", """
import metaopt_lib.pruning as _pr
def obd_saliency(W, h):
    return _pr.obd_saliency(W, h)
""", "p3_test_obd_saliency", REFERENCE_CALLED),
        ("saliency-rebuilt-from-code-object", "p3_obd", """
import types
import metaopt_lib.pruning as _pr
obd_saliency = types.FunctionType(_pr.obd_saliency.__code__, _pr.__dict__, "obd_saliency")
""", "p3_test_obd_saliency", REFERENCE_CALLED),
        ("obd-mask-magnitude", "p3_obd", """
def obd_mask(W, b, X, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    order = torch.argsort(W.abs().flatten(), stable=True)
    keep = torch.ones(W.numel(), dtype=torch.bool)
    keep[order[:round(fraction * W.numel())]] = False
    return keep.reshape(W.shape)
""", "p3_test_obd_mask", None),
        ("obd-mask-keeps-lowest", "p3_obd", """
def obd_mask(W, b, X, fraction):
    if not 0 <= fraction <= 1:
        raise ValueError("bad fraction")
    order = torch.argsort(-obd_saliency(W, hessian_diag(W, b, X)).flatten(), stable=True)
    keep = torch.ones(W.numel(), dtype=torch.bool)
    keep[order[:round(fraction * W.numel())]] = False
    return keep.reshape(W.shape)
""", "p3_test_obd_mask", None),
        ("obd-mask-calls-reference", "p3_obd", """
from metaopt_lib.pruning import saliency_mask as _sm
def obd_mask(W, b, X, fraction):
    return _sm(obd_saliency(W, hessian_diag(W, b, X)), fraction)
""", "p3_test_obd_mask", REFERENCE_CALLED),
        ("obs-uses-diagonal", "p3_obs_saliency", """
def obs_saliency(w, H):
    return torch.diagonal(H) * w ** 2 / 2
""", "p3_test_obs_saliency", None),
        ("obs-seed-slip-no-inverse", "p3_obs_saliency", """
def obs_saliency(w, H):
    return w ** 2 / (2 * torch.diagonal(H))
""", "p3_test_obs_saliency", None),
        ("obs-calls-reference", "p3_obs_saliency", """
import metaopt_lib.pruning as _pr
def obs_saliency(w, H):
    return _pr.obs_saliency(w, torch.linalg.inv(H))
""", "p3_test_obs_saliency", REFERENCE_CALLED),
    ],
}


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def read_solution(name: str):
    return nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)


class Executed:
    """A solution notebook run cell by cell in one namespace; ``errors`` maps grade_id → exception."""

    def __init__(self, name: str):
        self.name = name
        self.nb = read_solution(name)
        self.cells = {nbgrader_meta(c).get("grade_id"): c for c in self.nb.cells}
        self.ns: dict = {"__name__": "__main__"}
        self.errors: dict[str, BaseException] = {}
        self.figures: list = []
        plt.close("all")
        show = plt.show
        plt.show = lambda *a, **k: self.figures.extend(plt.figure(n) for n in plt.get_fignums())
        try:
            for cell in self.nb.cells:
                if cell.cell_type != "code":
                    continue
                gid = nbgrader_meta(cell).get("grade_id")
                # the self-check reads the notebook from the current folder: give it the student's release
                cwd = os.getcwd()
                os.chdir(ROOT / "assignments" / name)
                try:
                    self.run(cell.source, gid)
                except Exception as err:  # noqa: BLE001 - recorded and asserted on by the tests
                    self.errors[gid] = err
                finally:
                    os.chdir(cwd)
        finally:
            plt.show = show

    def run(self, source: str, label: str = "<cell>") -> None:
        exec(compile(source, label, "exec"), self.ns)  # noqa: S102 - the course's own notebook


@pytest.fixture(scope="module", params=PRACTICES)
def executed(request) -> Executed:
    return Executed(request.param)


@pytest.fixture(scope="module")
def executed_by_name():
    cache: dict[str, Executed] = {}

    def get(name: str) -> Executed:
        if name not in cache:
            cache[name] = Executed(name)
        return cache[name]
    return get


def test_there_are_practice_solutions():
    assert "practice_1" in PRACTICES


@pytest.mark.parametrize("name", PRACTICES)
def test_structure_and_points(name):
    nb = read_solution(name)
    assert nb.metadata["metaopt"]["assignment"] == name
    cells = [c for c in nb.cells if nbgrader_meta(c)]
    assert len(cells) == len(nb.cells), "every cell carries nbgrader metadata (locked instructions included)"
    first = nb.cells[0] if nb.cells[0].cell_type == "code" else next(c for c in nb.cells if c.cell_type == "code")
    assert nbgrader_meta(first)["locked"] and "import metaopt_lib.grading" in first.source
    auto = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in cells
            if nbgrader_meta(c)["grade"] and not nbgrader_meta(c)["solution"]}
    manual = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in cells
              if nbgrader_meta(c)["grade"] and nbgrader_meta(c)["solution"]}
    assert auto == POINTS[name]["auto"]
    assert manual == POINTS[name]["manual"]
    for c in cells:
        m = nbgrader_meta(c)
        if m["grade"] and not m["solution"]:
            assert m["locked"], f"{m['grade_id']}: test cells are locked"
            names = re.findall(r'check_(?:close|true)\(\s*f?"([^":]+):', c.source)
            assert names and set(names) == {m["grade_id"]}, f"{m['grade_id']}: checks must be named by the cell"
            assert "### BEGIN HIDDEN TESTS" in c.source, f"{m['grade_id']}: has hidden tests"
        if c.cell_type == "markdown" and not m["solution"]:
            assert re.search(r"[А-Яа-яЁё]{4}", c.source) and re.search(r"\b(the|and|of|a)\b", c.source, re.I), \
                f"{m['grade_id']}: instructions in English and Russian in the same cell"


def test_solution_passes_every_test_cell(executed):
    assert executed.errors == {}, {k: repr(v)[:500] for k, v in executed.errors.items()}


def test_experiment_plots_accuracy_against_percent_removed(executed):
    figures = {id(f): f for f in executed.figures}.values()
    assert figures, "the experiment shows a figure"
    ax = list(figures)[-1].axes[0]
    assert "%" in ax.get_xlabel(), ax.get_xlabel()
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    assert len(lines) >= MIN_CURVES[executed.name]
    for ln in lines:
        x = [float(v) for v in ln.get_xdata()]
        y = [float(v) for v in ln.get_ydata()]
        assert 0 <= min(x) and max(x) <= 100 and max(x) >= 50, f"x must be percent removed: {x}"
        assert all(0 <= v <= 1 for v in y), "y is an accuracy"


def _mutant_cases():
    for name in PRACTICES:
        for case in MUTANTS.get(name, []):
            yield pytest.param(name, *case, id=f"{name}-{case[0]}")


@pytest.mark.parametrize("name,mutant,solution_id,source,test_id,message", list(_mutant_cases()))
def test_test_cells_reject_wrong_or_borrowed_solutions(executed_by_name, name, mutant, solution_id, source, test_id,
                                                         message):
    run = executed_by_name(name)
    assert not run.errors
    saved = dict(run.ns)
    try:
        run.run(source, f"mutant {mutant}")
        with pytest.raises(Exception) as info:  # noqa: PT011 - a failed check or the reference's RuntimeError
            run.run(run.cells[test_id].source, test_id)
        if message:
            assert message in str(info.value), info.value
    finally:
        run.ns.clear()
        run.ns.update(saved)
    run.run(run.cells[test_id].source, test_id)  # the restored solution passes again


def solution_lines(nb) -> list[str]:
    """Non-trivial lines of solution regions and hidden tests (what the release must not contain)."""
    out = []
    for cell in nb.cells:
        m = nbgrader_meta(cell)
        inside = not ("### BEGIN SOLUTION" in cell.source or "### BEGIN HIDDEN TESTS" in cell.source) \
            and m.get("solution") and cell.cell_type == "markdown"
        for line in cell.source.splitlines():
            s = line.strip()
            if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = True
                continue
            if s in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = False
                continue
            if inside and len(s) >= 25:
                out.append(s)
    return out


@pytest.mark.parametrize("name", PRACTICES)
def test_release_has_no_solution_or_hidden_lines(name):
    released_path = ROOT / "assignments" / name / f"{name}.ipynb"
    assert released_path.exists(), "run `nbgrader generate_assignment` (metaopt grade release)"
    released = nbformat.read(released_path, as_version=4)
    text = "\n".join(c.source for c in released.cells)
    secret = solution_lines(read_solution(name))
    assert len(secret) >= 30, "enough lines are checked for the check to mean something"
    leaked = [s for s in secret if s in text]
    assert leaked == []
    regions = sum(c.source.count("### BEGIN SOLUTION") for c in read_solution(name).cells if c.cell_type == "code")
    assert text.count("raise NotImplementedError()") == regions, "every solution region becomes the stub"


def test_selfcheck_passes_with_the_solution_and_flags_the_stubs(executed, monkeypatch):
    """The students' self-check on the released notebook: every visible test passes with the instructor's
    functions, and each is reported as not implemented with the released stubs."""
    from metaopt_lib.selfcheck import run_checks

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    released = ROOT / "assignments" / executed.name / f"{executed.name}.ipynb"
    results = run_checks(executed.name, dict(executed.ns), notebook=released, verbose=False)
    assert results and all(r.status == "passed" for r in results), [(r.grade_id, r.status, r.message) for r in results]
    stubs = dict(executed.ns)
    for cell in nbformat.read(released, as_version=4).cells:
        if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
            try:
                exec(compile(cell.source, "stub", "exec"), stubs)  # noqa: S102 - defines the stubs
            except NotImplementedError:
                pass  # a top-level stub (the experiment cell)
    results = run_checks(executed.name, stubs, notebook=released, verbose=False)
    assert results and all(r.status == "not implemented" for r in results), [(r.grade_id, r.status) for r in results]
