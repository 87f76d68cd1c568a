"""One second-order MAML meta-step four ways: metaopt_lib, plain torch.func + vmap, higher, torchopt.

Sinusoid regression of Finn et al. 2017 (1-40-40-1 ReLU net, meta-batch 25, K = 10 support and 10 query points,
one inner SGD step of size 0.01). Each implementation computes the meta-gradient ∇_θ (1/25) Σ_i L^q_i(θ − α∇L^s_i(θ))
on the same tasks; the script checks that all meta-gradients agree within 1e-5 and prints the wall and CPU time
per meta-step (median and minimum over repeats, best of several interleaved rounds) and the ratios to the
plain vmap version. higher 0.2.1 and torchopt 0.7.3 are
benchmark-only dependencies (requirements-bench.txt); they loop over tasks as their documentation shows.

    .venv/bin/python benchmarks/bench_maml.py [--repeats 200] [--rounds 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from metaopt_lib import meta, tasks
from metaopt_lib.seeding import set_seed

ALPHA = 0.01


def setup():
    gen = set_seed(0)
    net = tasks.sinusoid_net()
    batch = tasks.sample_sinusoid_tasks(25, 10, generator=gen)
    return net, batch


def by_metaopt(net, batch):
    loss = meta.functional_loss(net, F.mse_loss)
    params = dict(net.named_parameters())
    return lambda: meta.maml_grad(loss, params, batch, ALPHA)[0]


def by_plain_vmap(net, batch):
    """The practical limit on a CPU: nested torch.func.grad under vmap, written out for this one network."""
    params = {k: v.detach() for k, v in net.named_parameters()}

    def mse(p, x, y):
        return F.mse_loss(functional_call(net, p, (x,)), y)

    def task_loss(p, xs, ys, xq, yq):
        g = grad(mse)(p, xs, ys)
        return mse({k: p[k] - ALPHA * g[k] for k in p}, xq, yq)

    meta_grad = grad(lambda p: vmap(task_loss, in_dims=(None, 0, 0, 0, 0))(p, *batch).mean())
    return lambda: meta_grad(params)


def by_higher(net, batch):
    import higher

    inner_opt = torch.optim.SGD(net.parameters(), lr=ALPHA)
    names = [k for k, _ in net.named_parameters()]

    def step():
        net.zero_grad()
        n = batch.n_tasks
        for i in range(n):
            with higher.innerloop_ctx(net, inner_opt, copy_initial_weights=False) as (fnet, diffopt):
                diffopt.step(F.mse_loss(fnet(batch.xs[i]), batch.ys[i]))
                (F.mse_loss(fnet(batch.xq[i]), batch.yq[i]) / n).backward()
        return {k: p.grad.clone() for k, p in zip(names, net.parameters())}

    return step


def by_torchopt(net, batch):
    import torchopt

    inner_opt = torchopt.MetaSGD(net, lr=ALPHA)
    names = [k for k, _ in net.named_parameters()]

    def step():
        net.zero_grad()
        n = batch.n_tasks
        for i in range(n):
            state = torchopt.extract_state_dict(net, enable_visual=False)
            inner_opt.step(F.mse_loss(net(batch.xs[i]), batch.ys[i]))
            (F.mse_loss(net(batch.xq[i]), batch.yq[i]) / n).backward()
            torchopt.recover_state_dict(net, state)
        return {k: p.grad.clone() for k, p in zip(names, net.parameters())}

    return step


def timeit(fn, repeats):
    """(median wall, minimum wall, median CPU) seconds per call; the minimum is the least disturbed by other
    processes on a shared machine (the advice of Python's timeit)."""
    for _ in range(max(3, repeats // 10)):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=100, help="timed meta-steps per implementation and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the table gives the best round)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    builders = {"metaopt_lib": by_metaopt, "torch.func + vmap": by_plain_vmap, "higher": by_higher,
                "torchopt": by_torchopt}
    fns, grads = {}, {}
    for name, build in builders.items():
        net, batch = setup()  # a fresh, identical network for each implementation
        try:
            fns[name] = build(net, batch)
        except ImportError as err:
            print(f"{name}: not installed ({err}); pip install -r requirements-bench.txt")
            continue
        grads[name] = fns[name]()
    ref = grads["torch.func + vmap"]
    print(f"MAML meta-step: sinusoid, 1-40-40-1 net, meta-batch 25, K=10, one inner step; "
          f"{args.threads} thread(s), median of {args.repeats} steps, best of {args.rounds} rounds")
    errors = {name: max((g[k] - ref[k]).abs().max().item() for k in ref) for name, g in grads.items()}
    best = {name: (float("inf"),) * 3 for name in fns}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            best[name] = tuple(map(min, best[name], timeit(fn, args.repeats)))
    base = best["torch.func + vmap"]
    print(f"{'implementation':20s} {'wall ms':>8s} {'min ms':>8s} {'CPU ms':>8s} {'min/vmap':>9s} {'CPU/vmap':>9s} "
          f"{'max |Δgrad|':>12s}")
    for name, (w, m, c) in best.items():
        print(f"{name:20s} {w * 1e3:8.2f} {m * 1e3:8.2f} {c * 1e3:8.2f} {m / base[1]:9.2f} {c / base[2]:9.2f} "
              f"{errors[name]:12.1e}")
    lib = best["metaopt_lib"]
    for name in ("torchopt", "higher"):
        if name in best:
            print(f"metaopt_lib is {best[name][1] / lib[1]:.1f}x (min wall) / {best[name][2] / lib[2]:.1f}x (CPU) "
                  f"faster than {name}")
    worst = max(errors.values())
    print(f"all meta-gradients agree within 1e-5: {worst <= 1e-5} (max deviation {worst:.1e})")
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
