"""Black-box searchers against independent ground truths: enumeration, the paper's table, known optima."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import torch

from metaopt_lib import search
from metaopt_lib.search import Choice, Float, Int


def quadratic(config):
    """A 2-D quadratic with its minimum 0 at (x, y) = (0.3, -0.2)."""
    return (config["x"] - 0.3) ** 2 + 2 * (config["y"] + 0.2) ** 2


SQUARE = {"x": Float(-1.0, 1.0), "y": Float(-1.0, 1.0)}


def test_grid_enumerates_exactly_the_declared_grid():
    space = {"lr": Float(1e-3, 1e1, log=True), "depth": Int(1, 3), "act": Choice(("relu", "tanh")),
             "p": Float(0.0, 0.5)}
    configs = search.grid(space, {"lr": 5, "depth": 3, "p": 2})
    expected = [dict(lr=lr, depth=d, act=a, p=p) for lr, d, a, p in
                itertools.product([1e-3, 1e-2, 1e-1, 1e0, 1e1], [1, 2, 3], ["relu", "tanh"], [0.0, 0.5])]
    assert len(configs) == len(expected) == 60
    for got, want in zip(configs, expected):
        assert got.keys() == want.keys()
        assert got["lr"] == pytest.approx(want["lr"], rel=1e-12)
        assert (got["depth"], got["act"], got["p"]) == (want["depth"], want["act"], want["p"])


def test_grid_search_evaluates_every_grid_point_once():
    calls = []
    trials = search.grid_search(lambda c: calls.append(c) or quadratic(c), SQUARE, 5)
    assert len(trials) == len(calls) == 25
    assert len({(c["x"], c["y"]) for c in calls}) == 25
    best = min(trials, key=lambda t: t.loss)
    assert best.config == {"x": 0.5, "y": 0.0}  # the grid point nearest (0.3, -0.2) in the metric of the quadratic


def test_random_search_samples_within_the_space_and_log_uniformly():
    space = {"lr": Float(1e-4, 1e0, log=True), "n": Int(2, 64, log=True), "act": Choice(("a", "b", "c")),
             "p": Float(0.1, 0.2)}
    trials = search.random_search(lambda c: 0.0, space, 4000, seed=1)
    lr = np.array([t.config["lr"] for t in trials])
    p = np.array([t.config["p"] for t in trials])
    n = np.array([t.config["n"] for t in trials])
    assert lr.min() >= 1e-4 and lr.max() <= 1.0 and p.min() >= 0.1 and p.max() <= 0.2
    assert set(n.tolist()) <= set(range(2, 65)) and all(isinstance(v, int) for v in n.tolist())
    # log-uniform: each decade of [1e-4, 1] holds a quarter of the samples (uniform would put 90% in the last)
    decades = np.histogram(np.log10(lr), bins=[-4, -3, -2, -1, 0])[0] / len(lr)
    assert np.allclose(decades, 0.25, atol=0.03), decades
    assert np.mean(p < 0.15) == pytest.approx(0.5, abs=0.03)
    # integers own the cells [k - 1/2, k + 1/2] of a log-uniform draw on [1.5, 64.5]
    assert np.mean(n <= 8) == pytest.approx(math.log(8.5 / 1.5) / math.log(64.5 / 1.5), abs=0.03)
    counts = Counter(t.config["act"] for t in trials)
    assert set(counts) == {"a", "b", "c"} and min(counts.values()) > 1200


def test_random_search_is_seeded():
    a = search.random_search(quadratic, SQUARE, 5, seed=3)
    b = search.random_search(quadratic, SQUARE, 5, seed=3)
    c = search.random_search(quadratic, SQUARE, 5, seed=4)
    assert a == b and a != c


@pytest.mark.parametrize("n, eta, R, r", [(27, 3, 27, 1), (20, 2, 8, 1), (10, 3, 9, 1)])
def test_successive_halving_keeps_the_right_number_per_rung(n, eta, R, r):
    budgets = []
    trials = search.successive_halving(lambda c, b: budgets.append(b) or quadratic(c), SQUARE, n, r, R, eta)
    per_budget = Counter(t.budget for t in trials)
    s = round(math.log(R / r, eta))
    expected = {R / eta ** (s - i): max(n // eta ** i, 1) for i in range(s + 1)}
    assert per_budget == expected
    assert budgets == sorted(budgets)  # rung by rung
    # the survivors of a rung are its best configurations
    for lo, hi in zip(sorted(expected)[:-1], sorted(expected)[1:]):
        rung = sorted((t for t in trials if t.budget == lo), key=lambda t: t.loss)
        survivors = [t.config for t in trials if t.budget == hi]
        assert sorted(map(str, survivors)) == sorted(str(t.config) for t in rung[:expected[hi]])


def test_successive_halving_finds_the_known_optimum():
    """Objective: the quadratic plus a budget-dependent bias that hides the optimum at small budgets."""
    space = {"x": Choice(tuple(np.round(np.linspace(-1, 1, 21), 2)))}

    def objective(config, budget):
        x = config["x"]
        return (x - 0.3) ** 2 + (0.5 - 0.5 * x) / budget  # at budget 1 the best x is 0.55, at 81 → 0.3

    trials = search.successive_halving(objective, space, 81, 1, 81, eta=3, seed=0)
    final = [t for t in trials if t.budget == 81]
    assert len(final) == 1 and final[0].config["x"] == pytest.approx(0.3)


def test_hyperband_brackets_match_table_1_of_li_et_al_2018():
    # Li et al., JMLR 2018, Table 1: R = 81, eta = 3; (n_i, r_i) for s = 4..0
    table = [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert search.hyperband_brackets(81, 3) == table
    # the same brackets in other units: min budget 10 steps, max 810
    assert search.hyperband_brackets(810, 3, min_budget=10) == [[(n, 10 * r) for n, r in b] for b in table]


def test_hyperband_runs_every_bracket():
    trials = search.hyperband(lambda c, b: quadratic(c), SQUARE, 9, eta=3)
    expected = Counter()
    for bracket in search.hyperband_brackets(9, 3):
        for n, r in bracket:
            expected[r] += n
    assert Counter(t.budget for t in trials) == expected


def test_optuna_tpe_beats_random_on_a_quadratic():
    """Same budget of 40 trainings, ten seeds: TPE's best is typically several times closer to the minimum."""
    tpe = np.array([min(t.loss for t in search.optuna_search(quadratic, SQUARE, 40, seed=s)) for s in range(10)])
    rnd = np.array([min(t.loss for t in search.random_search(quadratic, SQUARE, 40, seed=s)) for s in range(10)])
    assert np.median(tpe) < np.median(rnd) / 3
    assert np.sum(tpe < rnd) >= 7
    assert len(search.optuna_search(quadratic, SQUARE, 12, seed=0)) == 12


def test_optuna_is_seeded_and_respects_the_space():
    space = {"lr": Float(1e-3, 1.0, log=True), "k": Int(1, 5), "act": Choice(("relu", "tanh"))}
    f = lambda c: c["lr"] + c["k"] + (c["act"] == "tanh")  # noqa: E731
    a = search.optuna_search(f, space, 15, seed=0)
    assert a == search.optuna_search(f, space, 15, seed=0)
    for t in a:
        assert 1e-3 <= t.config["lr"] <= 1 and t.config["k"] in range(1, 6) and t.config["act"] in ("relu", "tanh")


def test_evolutionary_search_improves_over_its_initial_population():
    for seed in range(3):
        trials = search.evolutionary_search(quadratic, SQUARE, 60, population_size=10, seed=seed)
        assert len(trials) == 60
        initial = min(t.loss for t in trials[:10])
        final = min(t.loss for t in trials)
        assert final < 0.5 * initial
        for t in trials:
            assert -1 <= t.config["x"] <= 1 and -1 <= t.config["y"] <= 1


def test_mutate_changes_one_dimension_within_the_space():
    space = {"lr": Float(1e-3, 1.0, log=True), "act": Choice(("relu", "tanh", "gelu")), "k": Int(1, 9)}
    rng = np.random.default_rng(0)
    parent = {"lr": 0.01, "act": "relu", "k": 5}
    for _ in range(200):
        child = search.mutate(space, parent, rng, scale=0.3)
        changed = [k for k in parent if child[k] != parent[k]]
        assert len(changed) <= 1
        assert 1e-3 <= child["lr"] <= 1 and child["act"] in space["act"].options and 1 <= child["k"] <= 9
        if changed == ["act"]:
            assert child["act"] != "relu"


def test_unit_coordinates_round_trip():
    for dim in [Float(1e-4, 1.0, log=True), Float(-2.0, 3.0)]:
        for u in np.linspace(0, 1, 11):
            assert search.to_unit(dim, search.from_unit(dim, u)) == pytest.approx(u, abs=1e-12)
    for dim in [Int(1, 100, log=True), Int(-3, 7)]:
        for k in range(dim.low, dim.high + 1):
            assert search.from_unit(dim, search.to_unit(dim, k)) == k
    assert search.from_unit(Float(1e-4, 1.0, log=True), 0.5) == pytest.approx(1e-2)


def test_best_so_far_costs_and_running_minimum():
    trials = [search.Trial({}, 3.0, 1), search.Trial({}, 5.0, 3), search.Trial({}, 2.0, 9), search.Trial({}, 4.0, 9)]
    cost, best = search.best_so_far(trials, max_budget=9)
    assert np.allclose(cost, [1 / 9, 4 / 9, 13 / 9, 22 / 9]) and best.tolist() == [3, 3, 2, 2]
    cost, best = search.best_so_far([search.Trial({}, 1.0), search.Trial({}, 0.5)])
    assert cost.tolist() == [1, 2] and best.tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match="max_budget"):
        search.best_so_far(trials)


@pytest.mark.parametrize("space, message", [
    ({}, "non-empty"),
    ({"lr": Float(0.0, 1.0, log=True)}, "low > 0"),
    ({"lr": Float(1.0, 1.0)}, "low < high"),
    ({"k": Choice(())}, "at least one"),
    ({"k": (0, 1)}, "unknown dimension"),
])
def test_bad_spaces_are_refused_with_a_message(space, message):
    with pytest.raises(ValueError, match=message):
        search.random_search(quadratic, space, 3)


def test_bad_search_arguments():
    with pytest.raises(ValueError, match="eta"):
        search.hyperband_brackets(81, eta=1)
    with pytest.raises(ValueError, match="max_budget"):
        search.successive_halving(lambda c, b: 0, SQUARE, 9, 10, 1)
    with pytest.raises(ValueError, match="tournament_size"):
        search.evolutionary_search(quadratic, SQUARE, 5, population_size=10)


def _digits_split():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    return X[:1000], y[:1000], X[1000:], y[1000:]


def test_logistic_regression_objective_matches_an_autograd_trainer():
    """The hand-written gradient of the objective against torch.autograd on the same loss."""
    X, y, Xv, yv = _digits_split()
    objective = search.logistic_regression_objective(X, y, Xv, yv, max_steps=20)
    config = {"lr": 0.5, "weight_decay": 1e-3, "momentum": 0.9}
    W = torch.zeros(64, 10, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=0.5, momentum=0.9)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(X.double() @ W + b, y) + 1e-3 * (W ** 2).sum()
        loss.backward()
        opt.step()
    want = torch.nn.functional.cross_entropy(Xv.double() @ W + b, yv).item()
    assert objective(config) == pytest.approx(want, rel=1e-9)
    assert objective(config, 5) > objective(config, 20)  # more training, lower validation loss here


def test_coarse_to_fine_zooms_in_around_the_best():
    trials = search.coarse_to_fine(quadratic, SQUARE, n_rounds=4, n_per_round=10, shrink=0.5, seed=0)
    assert len(trials) == 40
    for k in range(1, 4):
        best = min(trials[:10 * k], key=lambda t: t.loss).config
        half_width = 2 * 0.5 ** k / 2  # the unit box of width 0.5^k is 2 * 0.5^k wide on [-1, 1]
        for t in trials[10 * k:10 * (k + 1)]:
            for name in ("x", "y"):
                centre = min(max(best[name], -1 + half_width), 1 - half_width)
                assert abs(t.config[name] - centre) <= half_width + 1e-12
    # same budget of 40 trainings, ten seeds: zooming in is typically an order of magnitude closer to the minimum
    zoom = np.array([min(t.loss for t in search.coarse_to_fine(quadratic, SQUARE, 4, 10, seed=s)) for s in range(10)])
    rnd = np.array([min(t.loss for t in search.random_search(quadratic, SQUARE, 40, seed=s)) for s in range(10)])
    assert np.median(zoom) < np.median(rnd) / 10 and np.sum(zoom < rnd) >= 8


def test_coarse_to_fine_fixes_choices_after_the_first_round():
    space = {"x": Float(-1.0, 1.0), "act": Choice(("a", "b"))}
    trials = search.coarse_to_fine(lambda c: quadratic({"x": c["x"], "y": -0.2}) + (c["act"] == "b"), space, 3, 8)
    best_act = min(trials[:8], key=lambda t: t.loss).config["act"]
    assert {t.config["act"] for t in trials[8:]} == {best_act}
    with pytest.raises(ValueError, match="shrink"):
        search.coarse_to_fine(quadratic, SQUARE, 2, 2, shrink=1.0)



def test_coarse_to_fine_draws_exactly_the_papers_boxes_by_a_hand_written_loop():
    """A reference loop on SQUARE (x, y uniform on [-1, 1]): round 0 draws u ~ U(0, 1) per dimension; round k draws
    uniformly in the unit box of width shrink^k around the best so far, pushed inside [0, 1]; the same numpy stream."""
    shrink, rounds, per = 0.6, 3, 5
    trials = search.coarse_to_fine(quadratic, SQUARE, rounds, per, shrink=shrink, seed=3)
    rng = np.random.default_rng(3)
    expected = []
    for k in range(rounds):
        best = min(expected, key=quadratic) if expected else None
        for _ in range(per):
            config = {}
            for name in ("x", "y"):
                u = rng.random()
                if best is not None:
                    width = shrink ** k
                    lo = min(max((best[name] + 1) / 2 - width / 2, 0.0), 1.0 - width)
                    u = lo + width * u
                config[name] = -1 + 2 * u
            expected.append(config)
    for t, e in zip(trials, expected, strict=True):
        assert t.config == pytest.approx(e, abs=1e-12)
        assert t.loss == pytest.approx(quadratic(e), abs=1e-12)


# ------------------------------------------------------------------------------ independent references (issue 13)
def test_evolution_removes_the_oldest_member_not_the_worst():
    """Regularised evolution against a hand-written loop with the same random stream: the population is a queue
    (the oldest leaves); removing the worst instead gives different trials on this objective."""
    def reference(aging):
        rng = np.random.default_rng(5)
        trials = []
        for _ in range(6):
            config = search.sample_config(SQUARE, rng)
            trials.append(search.Trial(config, quadratic(config)))
        population = list(trials)
        while len(trials) < 40:
            picks = rng.choice(len(population), size=3, replace=False)
            parent = min((population[int(i)] for i in picks), key=lambda t: t.loss)
            child_config = search.mutate(SQUARE, parent.config, rng, 0.1)
            child = search.Trial(child_config, quadratic(child_config))
            trials.append(child)
            if aging:
                population = population[1:] + [child]
            else:
                worst = max(range(len(population)), key=lambda i: population[i].loss)
                population = population[:worst] + population[worst + 1:] + [child]
        return trials

    got = search.evolutionary_search(quadratic, SQUARE, 40, population_size=6, tournament_size=3, seed=5)
    assert [(t.config, t.loss) for t in got] == [(t.config, t.loss) for t in reference(True)]
    assert [t.config for t in got] != [t.config for t in reference(False)]


def test_logistic_regression_objective_is_inf_when_training_ends_worse_than_it_started():
    """A run whose final training objective is finite but above L(0) = log K is a divergence (inf), also when it is
    only 1.3 log K; the final objective is recomputed with torch.optim.SGD on the same loss."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(12, 2, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1] * 6)
    W = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([W, b], lr=5.0)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(X @ W + b, y).backward()
        opt.step()
    final = torch.nn.functional.cross_entropy(X @ W + b, y).item()
    assert math.log(2) < final < 1.5 * math.log(2)  # finite, worse than the start
    objective = search.logistic_regression_objective(X, y, X, y)
    assert objective({"lr": 5.0, "weight_decay": 0.0}, 3) == math.inf
    assert math.isfinite(objective({"lr": 0.5, "weight_decay": 0.0}, 3))


def test_hyperband_uses_eta_3_by_default():
    """Without eta: Li et al. (2018), Table 1, R = 81, η = 3 (the paper's default)."""
    assert search.hyperband_brackets(81) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]


@pytest.mark.parametrize("lr", [0.0, -0.5])
def test_logistic_regression_objective_refuses_a_step_size_of_zero_or_below(lr):
    """lr = 0 would return the starting loss log K as if the model had been trained: refused, both languages."""
    X = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.tensor([0, 1, 0, 1, 0, 1])
    objective = search.logistic_regression_objective(X, y, X, y, max_steps=3)
    with pytest.raises(ValueError) as err:
        objective({"lr": lr, "weight_decay": 0.0})
    assert f"argument config['lr'] = {lr:g} must be" in str(err.value)
    assert f"аргумент config['lr'] = {lr:g} должен быть" in str(err.value)


def test_evolutionary_search_with_a_tournament_of_one_picks_a_random_parent():
    """tournament_size = 1 (no selection pressure) is allowed: the trials equal a hand-written loop that draws one
    member of the population as the parent from the same numpy generator."""
    got = search.evolutionary_search(quadratic, SQUARE, 12, population_size=4, tournament_size=1, seed=2)
    rng = np.random.default_rng(2)
    trials = []
    for _ in range(4):
        c = search.sample_config(SQUARE, rng)
        trials.append((c, quadratic(c)))
    population = list(trials)
    while len(trials) < 12:
        parent = population[int(rng.choice(len(population), size=1, replace=False)[0])]
        c = search.mutate(SQUARE, parent[0], rng, 0.1)
        trials.append((c, quadratic(c)))
        population = population[1:] + [trials[-1]]
    assert len(got) == 12
    for t, (c, loss) in zip(got, trials):
        assert t.config == pytest.approx(c)
        assert t.loss == pytest.approx(loss)
