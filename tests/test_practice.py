"""The practice assignments (pruning logistic regression), graded on values outside the student's kernel.

1. The instructor's functions (the reference every student's hidden probes are compared with) agree with
   INDEPENDENT ground truths on random instances: the library's references (``metaopt_lib.training``,
   ``.variational``, ``.pruning``), torch.distributions' KL, the full autograd Hessian, the KKT system of OBS.
   (The hidden test cells only probe values; these checks are why the reference's values deserve to be expected.)
2. Every plausible wrong answer of ``tests/mutants_practice.py`` fails exactly the test cells of its function and no
   other (``metaopt_instructor.inprocess``: the grader's verdicts, without the sandbox), and fails them again on a second
   student's hidden inputs, with the reference run once per assignment and seed; answers that call the library's reference fail their cell (``forbid``).
3. The reference's hidden inputs depend on the per-student seed; the solution as a student submits it passes every
   cell; the points are read from the notebooks' metadata (7 automatic + 3 manual each); the experiment plots
   accuracy against the percent of parameters removed; the release leaks nothing; the self-check works.

Generic nbgrader checks (validation, autograde of the solution and the blank release, regeneration) are in
``tests/test_assignments.py``; the same wrong answers through the sandboxed grader in ``tests/test_grading_class.py``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from metaopt_instructor.inprocess import failed_cells, judge, run_notebook  # noqa: E402
from mutants_practice import BORROWED, NAMED, answer_sources  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRACTICES = [p for p in ("practice_1", "practice_2", "practice_3")
             if (ROOT / "solutions" / p / f"{p}.ipynb").exists()]
REFERENCE_CALLED = "reference implementation of metaopt_lib was called"
SEED, OTHER_SEED = 11, 12  # two per-student hidden-input seeds (0 is what students see in the self-check)
AUTO_POINTS, MANUAL_POINTS = 7, 3
MIN_CURVES = {"practice_1": 6, "practice_2": 2, "practice_3": 3}  # the experiment's figure
NAME_CALL = re.compile(r"(?:check_close|check_true|probe)\(\s*f?[\"']([^\"':]+):")

pytestmark = pytest.mark.notebook


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def read_solution(name: str):
    return nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)


def read_release(name: str):
    return nbformat.read(ROOT / "assignments" / name / f"{name}.ipynb", as_version=4)


def experiment_id(name: str) -> str:
    return f"p{name[-1]}_experiment"


def solution_functions(name: str) -> dict:
    """The namespace of the solution's set-up and answer cells (not the experiment, not the tests): the instructor's
    functions, as the reference run defines them."""
    ns: dict = {"__name__": "__main__"}
    for cell in read_solution(name).cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id", "")
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        if cell.cell_type != "code" or is_test or gid == experiment_id(name) or gid.endswith("_selfcheck"):
            continue
        exec(compile(cell.source, f"<{gid}>", "exec"), ns)  # noqa: S102 - the course's own notebook
    return ns


@pytest.fixture(scope="module")
def functions():
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            cache[name] = solution_functions(name)
        return cache[name]
    return get


@pytest.fixture(scope="module")
def reference():
    """Reference runs shared by every test of the module: (name, seed) -> (reports, figures). The run of ``SEED``
    includes the experiment (its figure is checked); other runs skip it (it grades nothing automatically)."""
    cache: dict = {}

    def get(name: str, seed: int = SEED):
        if (name, seed) not in cache:
            plt.close("all")
            answers = {} if seed == SEED else {experiment_id(name): "pass"}
            reports = run_notebook(read_solution(name), seed=seed, answers=answers)
            cache[(name, seed)] = (reports, [plt.figure(n) for n in plt.get_fignums()])
            plt.close("all")
        return cache[(name, seed)]
    return get


# Test cells too slow to re-run for every wrong answer (a fit of a few hundred Adam steps, twice): they run for the
# wrong answers of their own function and for the first wrong answer of every other answer cell (the one
# tests/test_grading_class.py also grades in the sandbox), which shows that cell's independence of that function.
SLOW_TESTS = {"p2_test_fit"}


def _test_ids(name: str) -> set[str]:
    return {nbgrader_meta(c)["grade_id"] for c in read_solution(name).cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def _cells_to_run(name: str, gid: str, source: str, expected: set[str]) -> set[str]:
    first = next(s for _, g, s, _ in NAMED[name] if g == gid)
    return _test_ids(name) if source == first else (_test_ids(name) - SLOW_TESTS) | expected


def _no_experiment(name: str, answers: dict[str, str]) -> dict[str, str]:
    return {experiment_id(name): "pass", **answers}


def _random(*shape, g, scale=1.0):
    return scale * torch.randn(*shape, generator=g, dtype=torch.float64)


# ------------------------------------------------------------------------------------------------------------------
# structure and points
# ------------------------------------------------------------------------------------------------------------------

def test_there_are_practice_solutions():
    assert "practice_1" in PRACTICES


@pytest.mark.parametrize("name", PRACTICES)
def test_structure_and_points_from_metadata(name):
    nb = read_solution(name)
    assert nb.metadata["metaopt"]["assignment"] == name
    cells = [c for c in nb.cells if nbgrader_meta(c)]
    assert len(cells) == len(nb.cells), "every cell carries nbgrader metadata (locked instructions included)"
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert nbgrader_meta(first)["locked"] and "import metaopt_course.grading" in first.source
    auto = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in cells
            if nbgrader_meta(c)["grade"] and not nbgrader_meta(c)["solution"]}
    manual = {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in cells
              if nbgrader_meta(c)["grade"] and nbgrader_meta(c)["solution"]}
    assert sum(auto.values()) == AUTO_POINTS, auto
    assert sum(manual.values()) == MANUAL_POINTS, manual
    # every graded function has wrong answers in the table, and they name existing cells
    answers = {nbgrader_meta(c)["grade_id"] for c in cells if c.cell_type == "code" and nbgrader_meta(c)["solution"]}
    assert {gid for _, gid, _, _ in NAMED[name]} == answers - {experiment_id(name)}
    assert set().union(*(cells_ for *_, cells_ in NAMED[name])) == set(auto), "every test cell is aimed at"
    for c in cells:
        m = nbgrader_meta(c)
        if m["grade"] and not m["solution"]:
            assert m["locked"], f"{m['grade_id']}: test cells are locked"
            assert set(NAME_CALL.findall(c.source)) == {m["grade_id"]}, f"{m['grade_id']}: checks named by the cell"
            hidden = c.source.split("### BEGIN HIDDEN TESTS", 1)[-1].split("### END HIDDEN TESTS", 1)[0]
            assert "### BEGIN HIDDEN TESTS" in c.source and "probe(" in hidden and "hidden_generator(" in hidden, \
                f"{m['grade_id']}: hidden probes on per-student inputs"
        if c.cell_type == "markdown" and not m["solution"]:
            assert re.search(r"[А-Яа-яЁё]{4}", c.source) and re.search(r"\b(the|and|of|a)\b", c.source, re.I), \
                f"{m['grade_id']}: instructions in English and Russian in the same cell"


# ------------------------------------------------------------------------------------------------------------------
# 1. the reference against independent ground truths
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.skipif("practice_1" not in PRACTICES, reason="no practice_1")
def test_practice_1_reference_matches_the_library(functions):
    from metaopt_lib import pruning, training

    ns = functions("practice_1")
    for seed in range(5):
        g = torch.Generator().manual_seed(100 + seed)
        n, d, k = 30 + 10 * seed, 3 + seed, 2 + seed % 3
        X, y = _random(n, d, g=g), torch.randint(0, k, (n,), generator=g)
        W, b = _random(k, d, g=g, scale=0.5), _random(k, g=g, scale=0.2)
        mask = torch.rand(k, d, generator=g) > 0.4
        for l1, l2 in [(0.0, 0.0), (0.05, 0.0), (0.0, 0.1), (0.02, 0.03)]:
            # the loss and its gradient: metaopt_lib.training.logreg_loss
            Wa, Wb = W.clone().requires_grad_(True), W.clone().requires_grad_(True)
            ours, ref = ns["penalized_loss"](Wa, b, X, y, l1=l1, l2=l2), training.logreg_loss(Wb, b, X, y, l1=l1, l2=l2)
            torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
            ours.backward()
            ref.backward()
            torch.testing.assert_close(Wa.grad, Wb.grad, rtol=1e-10, atol=1e-12)
            # one ISTA step = train_logreg's first (FISTA) iteration from init, with and without a mask
            for m in (None, mask):
                start = W if m is None else W * m
                lr = 0.7
                step = lr / training.lipschitz_logreg(X, l2)
                Ws, bs = ns["prox_step"](start, b, X, y, step, l1=l1, l2=l2, mask=m)
                Wr, br = training.train_logreg(X, y, k, l1=l1, l2=l2, epochs=1, lr=lr, mask=m, init=(start, b))
                torch.testing.assert_close(Ws, Wr, rtol=1e-10, atol=1e-12)
                torch.testing.assert_close(bs, br, rtol=1e-10, atol=1e-12)
                assert not (Ws.requires_grad or bs.requires_grad)
                Wf, bf = ns["fit"](X, y, k, l1=l1, l2=l2, epochs=1, lr=lr, mask=m, init=(W, b))
                torch.testing.assert_close(Wf, Wr, rtol=1e-10, atol=1e-12)
                torch.testing.assert_close(bf, br, rtol=1e-10, atol=1e-12)
        # the magnitude mask: metaopt_lib.pruning.magnitude_mask (ties included)
        w = torch.randint(-3, 4, (k, d + 5), generator=g).double() if seed % 2 else _random(k, d + 5, g=g)
        for f in (0.0, 0.1, 0.3, 0.5, 0.77, 1.0):
            assert torch.equal(ns["magnitude_mask"](w, f), pruning.magnitude_mask(w, f))
        with pytest.raises(ValueError, match="доля"):
            ns["magnitude_mask"](w, 1.2)


@pytest.mark.skipif("practice_1" not in PRACTICES, reason="no practice_1")
def test_practice_1_fit_reaches_the_minimiser(functions):
    """ISTA (the student's fit) and the library's FISTA converge to the same minimiser of a strongly convex loss."""
    from metaopt_lib import training

    ns = functions("practice_1")
    g = torch.Generator().manual_seed(7)
    X, y = _random(60, 4, g=g), torch.randint(0, 3, (60,), generator=g)
    W, b = ns["fit"](X, y, 3, l2=0.05, epochs=3000)
    Wr, br = training.train_logreg(X, y, 3, l2=0.05, epochs=3000, lr=1.0)
    torch.testing.assert_close(W, Wr, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(b, br, rtol=1e-5, atol=1e-7)
    Wz, bz = ns["fit"](X, y, 3, epochs=0)
    assert (Wz == 0).all() and (bz == 0).all()


@pytest.mark.skipif("practice_2" not in PRACTICES, reason="no practice_2")
def test_practice_2_reference_matches_torch_distributions_and_the_library(functions):
    import torch.nn.functional as F
    from torch.distributions import Normal, kl_divergence

    from metaopt_lib import pruning, variational

    ns = functions("practice_2")
    for seed in range(5):
        g = torch.Generator().manual_seed(200 + seed)
        k, d, n = 2 + seed % 3, 3 + seed, 20 + 5 * seed
        mq, sq = _random(k, d, g=g), torch.rand(k, d, generator=g, dtype=torch.float64) + 0.05
        mp, sp = _random(k, d, g=g), torch.rand(k, d, generator=g, dtype=torch.float64) + 0.1
        truth = kl_divergence(Normal(mq, sq), Normal(mp, sp)).sum()
        torch.testing.assert_close(ns["kl_gaussians"](mq, sq, mp, sp), truth, rtol=1e-10, atol=1e-12)
        truth0 = kl_divergence(Normal(mq, sq), Normal(torch.zeros((), dtype=torch.float64), torch.tensor(0.7, dtype=torch.float64))).sum()
        torch.testing.assert_close(ns["kl_gaussians"](mq, sq, 0.0, 0.7), truth0, rtol=1e-10, atol=1e-12)
        # the layer: F.linear with the reparameterised weights, gradients by autograd on both sides
        X, b, eps = _random(n, d, g=g), _random(k, g=g), _random(k, d, g=g)
        mu, sig = mq.clone().requires_grad_(True), sq.clone().requires_grad_(True)
        out = ns["variational_logits"](mu, sig, b, X, eps)
        torch.testing.assert_close(out, F.linear(X, mq + sq * eps, b), rtol=1e-12, atol=1e-12)
        gmu, gsig = torch.autograd.grad(out.sum(), (mu, sig))
        torch.testing.assert_close(gmu, X.sum(0).expand(k, d), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(gsig, X.sum(0) * eps, rtol=1e-10, atol=1e-12)
        # -ELBO / n: metaopt_lib.variational.graves_logreg_loss with the same noise (drawn one sample at a time)
        y = torch.randint(0, k, (n,), generator=g)
        for S in (1, 3):
            gen_seed = 300 + seed
            gen = torch.Generator().manual_seed(gen_seed)
            eps_s = torch.stack([torch.randn((k, d), generator=gen, dtype=torch.float64) for _ in range(S)])
            # (a float64 prior scale: the library makes a Python float a float32 tensor)
            ref = variational.graves_logreg_loss(mq, sq, b, X, y, torch.tensor(0.8, dtype=torch.float64),
                                                 n_samples=S, generator=torch.Generator().manual_seed(gen_seed))
            torch.testing.assert_close(ns["neg_elbo"](mq, sq, b, X, y, 0.8, eps_s), ref, rtol=1e-10, atol=1e-12)
        # relative density and its mask: metaopt_lib.variational.relative_density / graves_mask
        torch.testing.assert_close(ns["relative_density"](mq, sq), variational.relative_density(mq, sq),
                                   rtol=1e-12, atol=1e-300)
        for f in (0.0, 0.2, 0.5, 0.9, 1.0):
            assert torch.equal(ns["density_mask"](mq, sq, f), variational.graves_mask(mq, sq, f))
            assert torch.equal(ns["density_mask"](mq, sq, f),
                               pruning.saliency_mask(-ns["relative_density"](mq, sq), f)
                               | (ns["relative_density"](mq, sq) == ns["relative_density"](mq, sq).max()) * (f == 0))
        with pytest.raises(ValueError):
            ns["density_mask"](mq, sq, -0.1)


@pytest.mark.skipif("practice_2" not in PRACTICES, reason="no practice_2")
def test_practice_2_fit_matches_the_library(functions):
    """fit_variational (Adam on the same noise from the same seed) follows metaopt_lib.variational.graves_logreg."""
    from metaopt_lib import variational

    ns = functions("practice_2")
    g = torch.Generator().manual_seed(9)
    X = _random(80, 4, g=g)
    y = torch.argmax(X @ _random(3, 4, g=g, scale=2.0).T + torch.tensor([1.5, -1.0, 0.0], dtype=torch.float64), 1)
    ours = ns["fit_variational"](X, y, 3, prior_sigma=1.0, epochs=150, lr=0.05, seed=3)
    ref = variational.graves_logreg(X, y, 3, prior_sigma=1.0, epochs=150, lr=0.05, seed=3)
    for a, r in zip(ours, ref):
        torch.testing.assert_close(a, r, rtol=1e-6, atol=1e-8)
    assert (ours[1] > 0).all() and not any(t.requires_grad for t in ours)


def _mean_ce(X, y, b):
    return lambda W: torch.nn.functional.cross_entropy(X @ W.T + b, y)


@pytest.mark.skipif("practice_3" not in PRACTICES, reason="no practice_3")
def test_practice_3_reference_matches_autograd_and_the_library(functions):
    from torch.autograd.functional import hessian

    from metaopt_lib import pruning, training

    ns = functions("practice_3")
    for seed in range(5):
        g = torch.Generator().manual_seed(400 + seed)
        k, d, n = 2 + seed % 3, 3 + seed, 25 + 5 * seed
        X, y = _random(n, d, g=g), torch.randint(0, k, (n,), generator=g)
        W, b = _random(k, d, g=g), _random(k, g=g, scale=0.3)
        # the exact diagonal: the full autograd Hessian of the mean cross-entropy in W
        full = hessian(_mean_ce(X, y, b), W).reshape(k * d, k * d)
        h = ns["hessian_diag"](W, b, X)
        torch.testing.assert_close(h, torch.diagonal(full).reshape(k, d), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(h, pruning.logreg_hessian_diag(W, b, X), rtol=1e-10, atol=1e-14)
        torch.testing.assert_close(ns["obd_saliency"](W, h), pruning.obd_saliency(W, h), rtol=1e-12, atol=1e-15)
        # the OBD mask uses the Hessian of the penalised objective (autograd of logreg_loss with l2)
        for l2 in (0.0, 0.01, 0.3):
            full_l2 = hessian(lambda V: training.logreg_loss(V, b, X, y, l2=l2), W).reshape(k * d, k * d)
            saliency = pruning.obd_saliency(W, torch.diagonal(full_l2).reshape(k, d))
            for f in (0.0, 0.1, 0.3, 0.5, 0.75, 1.0):
                assert torch.equal(ns["obd_mask"](W, b, X, f, l2=l2), pruning.saliency_mask(saliency, f)), (l2, f)
        with pytest.raises(ValueError):
            ns["obd_mask"](W, b, X, 1.5)
        # OBS: the minimum of ½ δᵀHδ subject to δ_q = −θ_q, by the KKT system, for every q
        u = 2 + seed
        A = _random(u, u, g=g)
        H = A @ A.T + 0.3 * torch.eye(u, dtype=torch.float64)
        w = _random(u, g=g)
        kkt = []
        for q in range(u):
            e = torch.zeros(u, dtype=torch.float64)
            e[q] = 1.0
            system = torch.zeros(u + 1, u + 1, dtype=torch.float64)
            system[:u, :u], system[:u, u], system[u, :u] = H, e, e
            rhs = torch.zeros(u + 1, dtype=torch.float64)
            rhs[u] = -w[q]
            delta = torch.linalg.solve(system, rhs)[:u]
            kkt.append(0.5 * delta @ H @ delta)
        obs = ns["obs_saliency"](w, H)
        torch.testing.assert_close(obs, torch.stack(kkt), rtol=1e-8, atol=1e-12)
        torch.testing.assert_close(obs, pruning.obs_saliency(w, torch.linalg.inv(H)), rtol=1e-10, atol=1e-14)
        hd = torch.rand(u, generator=g, dtype=torch.float64) + 0.1
        torch.testing.assert_close(ns["obs_saliency"](w, torch.diag(hd)), ns["obd_saliency"](w, hd), rtol=1e-12,
                                   atol=1e-15)


# ------------------------------------------------------------------------------------------------------------------
# 2. grading on values: the reference, its seeds, the wrong answers
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PRACTICES)
def test_reference_passes_as_submitted_and_hidden_inputs_follow_the_seed(name, reference):
    ref, _ = reference(name, SEED)
    assert {g: r.error for g, r in ref.items() if r.error} == {}
    # the solution as a student submits it (no markers), another run: bit-identical values, every cell passes
    submitted = run_notebook(read_solution(name), seed=SEED, answers=_no_experiment(name, answer_sources(name)))
    verdicts = judge(ref, submitted, read_release(name))
    assert set(verdicts) == set(ref) and failed_cells(verdicts) == set(), verdicts
    # another student's seed: other hidden inputs in every cell (some probed value differs), same check names
    other, _ = reference(name, OTHER_SEED)
    released = "\n".join(c.source for c in read_release(name).cells)
    for gid, run in ref.items():
        hidden = {r["name"]: r["value"] for r in run.reports if r["name"] not in released}
        hidden_other = {r["name"]: r["value"] for r in other[gid].reports if r["name"] not in released}
        assert hidden and set(hidden) == set(hidden_other), gid
        assert any(hidden[k] != hidden_other[k] for k in hidden), f"{gid}: hidden inputs do not depend on the seed"
        assert any(not isinstance(v, bool) and v not in (0, 1, 0.0, 1.0) for v in hidden.values()), \
            f"{gid}: needs a probe whose value requires a correct implementation"


def _cases(table):
    for name in PRACTICES:
        for label, gid, source, cells in table.get(name, []):
            yield pytest.param(name, gid, source, cells, id=f"{name}-{label}")


@pytest.mark.parametrize("name,gid,source,expected", list(_cases(NAMED)))
def test_wrong_answer_costs_exactly_its_cells(name, gid, source, expected, reference):
    ref, _ = reference(name, SEED)
    cells = _cells_to_run(name, gid, source, expected)
    cand = run_notebook(read_solution(name), seed=SEED, answers=_no_experiment(name, {gid: source}), only_tests=cells)
    verdicts = judge(ref, cand, read_release(name))
    assert set(verdicts) == cells
    assert failed_cells(verdicts) == expected, {g: v for g, v in verdicts.items() if not v.passed}
    # another student's hidden inputs catch it too (its own cells only: the others were shown independent above)
    other, _ = reference(name, OTHER_SEED)
    cand = run_notebook(read_solution(name), seed=OTHER_SEED, answers=_no_experiment(name, {gid: source}),
                        only_tests=expected)
    assert failed_cells(judge(other, cand, read_release(name))) == expected, f"not caught with seed {OTHER_SEED}"


@pytest.mark.parametrize("name,gid,source,expected", list(_cases(BORROWED)))
def test_borrowed_reference_fails_its_cell(name, gid, source, expected, reference):
    ref, _ = reference(name, SEED)
    cells = (_test_ids(name) - SLOW_TESTS) | expected
    cand = run_notebook(read_solution(name), seed=SEED, answers=_no_experiment(name, {gid: source}), only_tests=cells)
    assert failed_cells(judge(ref, cand, read_release(name))) == expected
    for cell in expected:  # stopped by forbid, or earlier by a visible check the library's variant does not meet
        error = cand[cell].error or ""
        assert REFERENCE_CALLED in error or error.startswith("GradingCheckFailed"), (cell, error)


# ------------------------------------------------------------------------------------------------------------------
# 3. the experiment, the release, the self-check
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PRACTICES)
def test_experiment_plots_accuracy_against_percent_removed(name, reference):
    reports, figures = reference(name, SEED)
    assert {g: r.error for g, r in reports.items() if r.error} == {}
    assert figures, "the experiment shows a figure"
    ax = figures[-1].axes[0]
    assert "%" in ax.get_xlabel(), ax.get_xlabel()
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    assert len(lines) >= MIN_CURVES[name]
    for ln in lines:
        x = [float(v) for v in ln.get_xdata()]
        y = [float(v) for v in ln.get_ydata()]
        assert 0 <= min(x) and max(x) <= 100 and max(x) >= 50, f"x must be percent removed: {x}"
        assert all(0 <= v <= 1 and not math.isnan(v) for v in y), "y is an accuracy"


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
    assert released_path.exists(), "run `metaopt grade release`"
    text = "\n".join(c.source for c in read_release(name).cells)
    secret = solution_lines(read_solution(name))
    assert len(secret) >= 30, "enough lines are checked for the check to mean something"
    assert [s for s in secret if s in text] == []
    assert "probe(" not in text and "hidden_generator(" not in text, "hidden probes stay out of the release"
    regions = sum(c.source.count("### BEGIN SOLUTION") for c in read_solution(name).cells if c.cell_type == "code")
    assert text.count("raise NotImplementedError()") == regions, "every solution region becomes the stub"


@pytest.mark.parametrize("name", PRACTICES)
def test_selfcheck_passes_with_the_solution_and_flags_the_stubs(name, functions, monkeypatch):
    """The students' self-check on the released notebook: every visible test passes with the instructor's
    functions, and each is reported as not implemented with the released stubs."""
    from metaopt_course.selfcheck import run_checks

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    released = ROOT / "assignments" / name / f"{name}.ipynb"
    ns = functions(name)
    results = run_checks(name, dict(ns), notebook=released, verbose=False)
    assert results and all(r.status == "passed" for r in results), [(r.grade_id, r.status, r.message) for r in results]
    stubs = dict(ns)
    for cell in read_release(name).cells:
        if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
            try:
                exec(compile(cell.source, "stub", "exec"), stubs)  # noqa: S102 - defines the stubs
            except NotImplementedError:
                pass  # a top-level stub (the experiment cell)
    results = run_checks(name, stubs, notebook=released, verbose=False)
    assert results and all(r.status == "not implemented" for r in results), [(r.grade_id, r.status) for r in results]
