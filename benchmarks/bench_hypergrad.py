"""Benchmark: hypergradients of ridge regression with one weight decay per feature (d = 200, n = 2000, float64).

Part 1 — implicit differentiation (Neumann series, conjugate gradient) against reverse-mode differentiation through
T unrolled gradient steps, T = 1, 10, 100, 1000. Every configuration runs in its own subprocess, which reports its
wall and CPU time and its peak resident memory read from the OS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``,
minus the peak reached before the hypergradient work starts). Costs are counted in gradients and Hessian-vector
products (HVP) and as a time ratio to one gradient of the training loss.

Part 2 — at the exact optimum, metaopt_lib's IFT with conjugate gradient against torchopt's implicit
differentiation (``torchopt.diff.implicit.custom_root`` with ``torchopt.linear_solve.solve_cg``, benchmark-only
dependency) and the closed form: equal results (relative error against the closed form) and time ratios.

Run: ``.venv/bin/python benchmarks/bench_hypergrad.py`` (prints tables; nothing is asserted).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

D, N, N_VAL = 200, 2000, 2000
STEPS = (1, 10, 100, 1000)
NEUMANN_K = 20
METHODS = ("unrolled", "ift-neumann", "ift-cg")


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2 ** 20  # Linux reports KiB, macOS bytes


def _problem():
    import torch

    from metaopt_lib import hypergrad as hg
    from metaopt_lib.seeding import set_seed

    torch.set_default_dtype(torch.float64)
    g = set_seed(0)
    w = torch.randn(D, generator=g)
    X = torch.randn(N + N_VAL, D, generator=g)
    y = X @ w + torch.randn(N + N_VAL, generator=g)
    lam = torch.logspace(-2, 0, D)
    Xt, yt, Xv, yv = X[:N], y[:N], X[N:], y[N:]
    _, exact = hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)
    return dict(Xt=Xt, yt=yt, Xv=Xv, yv=yv, lam=lam, exact=exact,
                inner=hg.ridge_inner_loss(Xt, yt), outer=hg.ridge_outer_loss(Xv, yv))


def _timed(fn, repeat=5):
    """Median wall and CPU seconds of ``fn()`` over ``repeat`` calls (after one warm-up call) and its result."""
    out = fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def _grad_time(p):
    from torch.func import grad

    w = p["Xt"].new_zeros(D)
    g = grad(p["inner"])
    return _timed(lambda: g(w, p["lam"]), repeat=20)[1]  # CPU seconds: less sensitive to a loaded machine


def child(method: str, steps: int) -> dict:
    """One configuration: train T steps from w = 0, then one hypergradient; report time, memory and accuracy."""
    import torch
    from torch.func import grad

    from metaopt_lib import hypergrad as hg

    torch.set_num_threads(1)
    p = _problem()
    H = p["Xt"].T @ p["Xt"] / N + torch.diag(p["lam"])
    lmax = float(torch.linalg.eigvalsh(H).max())
    lr = 1.0 / lmax
    t_grad = _grad_time(p)
    w0 = torch.zeros(D)
    base_rss = _maxrss_mb()
    stats: dict = {}
    c0, t0 = time.process_time(), time.perf_counter()
    if method == "unrolled":
        hyper = hg.unrolled_hypergrad_reverse(p["inner"], p["outer"], w0, p["lam"], steps, lr)
        cost = f"{steps} grad + {steps} backward-of-grad (~HVP)"
    else:
        g = grad(p["inner"])
        w = w0
        with torch.no_grad():
            for _ in range(steps):  # the inner training: no graph kept
                w = w - lr * g(w, p["lam"])
        if method == "ift-neumann":
            hyper = hg.ift_hypergrad(p["inner"], p["outer"], w, p["lam"], "neumann", K=NEUMANN_K, alpha=lr,
                                     stats=stats)
        else:
            hyper = hg.ift_hypergrad(p["inner"], p["outer"], w, p["lam"], "cg", rtol=1e-10, stats=stats)
        cost = f"{steps} grad (train) + {stats['grads']} grad + {stats['hvps']} HVP + {stats['mixed']} mixed"
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    err = float((hyper - p["exact"]).norm() / p["exact"].norm())
    return dict(method=method, steps=steps, wall_ms=1e3 * wall, cpu_ms=1e3 * cpu, ratio=cpu / t_grad,
                grad_ms=1e3 * t_grad, peak_extra_mb=_maxrss_mb() - base_rss, peak_mb=_maxrss_mb(), rel_err=err,
                cost=cost)


def ift_only() -> dict:
    """At the exact optimum: closed form vs metaopt_lib IFT-CG vs IFT-Neumann vs torchopt's implicit CG."""
    import torch
    import torchopt
    from torch.func import grad

    from metaopt_lib import hypergrad as hg

    torch.set_num_threads(1)
    p = _problem()
    Xt, yt, Xv, yv, lam = p["Xt"], p["yt"], p["Xv"], p["yv"], p["lam"]
    t_grad = _grad_time(p)
    rows = []

    def closed():
        return hg.ridge_hypergrad_exact(Xt, yt, Xv, yv, lam)[1]

    rows.append(("closed form (Cholesky)", *_timed(closed), "2 Cholesky solves"))

    stats: dict = {}

    def ours_cg():
        w = hg.ridge_solution(Xt, yt, lam)
        return hg.ift_hypergrad(p["inner"], p["outer"], w, lam, "cg", rtol=1e-12, stats=stats)

    rows.append(("metaopt_lib IFT-CG (rtol 1e-12)", *_timed(ours_cg), None))
    rows[-1] = rows[-1][:4] + (f"{stats['grads']} grad + {stats['hvps']} HVP + {stats['mixed']} mixed",)

    H = Xt.T @ Xt / N + torch.diag(lam)
    alpha = 1.0 / float(torch.linalg.eigvalsh(H).max())
    k_neu = 100

    def ours_neumann():
        w = hg.ridge_solution(Xt, yt, lam)
        return hg.ift_hypergrad(p["inner"], p["outer"], w, lam, "neumann", K=k_neu, alpha=alpha)

    rows.append((f"metaopt_lib IFT-Neumann (K = {k_neu})", *_timed(ours_neumann),
                 f"2 grad + {k_neu} HVP + 1 mixed"))

    def optimality(w, lam_, X_, y_):
        return grad(lambda ww: 0.5 * ((X_ @ ww - y_) ** 2).sum() / N + 0.5 * (lam_ * ww * ww).sum())(w)

    @torchopt.diff.implicit.custom_root(optimality, argnums=1,
                                        solve=torchopt.linear_solve.solve_cg(rtol=1e-12, maxiter=10 * D))
    def solve(w_init, lam_, X_, y_):
        return hg.ridge_solution(X_, y_, lam_.detach())

    def torchopt_cg():
        lam_ = lam.clone().requires_grad_()
        w = solve(torch.zeros(D), lam_, Xt, yt)
        loss = 0.5 * ((Xv @ w - yv) ** 2).sum() / N_VAL
        (g_lam,) = torch.autograd.grad(loss, lam_)
        return g_lam

    rows.append(("torchopt custom_root + solve_cg (rtol 1e-12)", *_timed(torchopt_cg), "CG with autograd HVPs"))
    exact = closed()
    out = []
    for name, wall, cpu, value, cost in rows:
        out.append(dict(name=name, wall_ms=1e3 * wall, cpu_ms=1e3 * cpu, ratio=cpu / t_grad,
                        rel_err=float((value - exact).norm() / exact.norm()), cost=cost))
    return dict(rows=out, grad_ms=1e3 * t_grad)


def _run_child(*args) -> dict:
    res = subprocess.run([sys.executable, "-W", "ignore::FutureWarning", __file__, *args], capture_output=True,
                         text=True, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"Ridge hypergradient, d = {D}, n = {N} (+{N_VAL} validation), float64, 1 thread per process; "
          f"Neumann K = {NEUMANN_K}, CG rtol 1e-10")
    print("\nPart 1: implicit differentiation vs unrolled reverse mode, one subprocess per row")
    head = (f"{'method':12s} {'T':>5s} {'wall ms':>9s} {'cpu ms':>9s} {'x grad':>8s} {'peak MB':>8s} "
            f"{'+MB':>7s} {'rel.err':>9s}  cost")
    print(head)
    print("-" * len(head))
    for steps in STEPS:
        for method in METHODS:
            r = _run_child("--child", method, str(steps))
            print(f"{r['method']:12s} {r['steps']:5d} {r['wall_ms']:9.1f} {r['cpu_ms']:9.1f} {r['ratio']:8.1f} "
                  f"{r['peak_mb']:8.0f} {r['peak_extra_mb']:7.1f} {r['rel_err']:9.2e}  {r['cost']}")
    print("(T = inner gradient steps from w = 0; IFT times include the T training steps, which keep no graph; "
          "'+MB' = peak RSS growth during the work; 'x grad' = CPU time / CPU time of one gradient; "
          "rel.err against the closed-form hypergradient at λ; part 1 times are single runs, part 2 medians of 5)")
    print("\nPart 2: at the exact optimum (subprocess)")
    res = _run_child("--ift-only")
    head = f"{'method':46s} {'wall ms':>9s} {'cpu ms':>9s} {'x grad':>8s} {'rel.err':>9s}  cost"
    print(head)
    print("-" * len(head))
    for r in res["rows"]:
        print(f"{r['name']:46s} {r['wall_ms']:9.2f} {r['cpu_ms']:9.2f} {r['ratio']:8.1f} {r['rel_err']:9.2e}  "
              f"{r['cost']}")
    rows = {r["name"].split(" (")[0]: r for r in res["rows"]}
    ours, theirs = rows["metaopt_lib IFT-CG"], rows["torchopt custom_root + solve_cg"]
    print(f"one gradient of the training loss: {res['grad_ms']:.3f} ms CPU ('x grad' = CPU time / that); "
          f"metaopt_lib IFT-CG / torchopt time ratio: {ours['cpu_ms'] / theirs['cpu_ms']:.2f} (CPU), "
          f"{ours['wall_ms'] / theirs['wall_ms']:.2f} (wall)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--ift-only":
        print(json.dumps(ift_only()))
    else:
        main()
