"""Train the MAML sinusoid checkpoint of lecture 05: MAML and the pre-training baseline at K = 5 and K = 10.

Setting of Finn, Abbeel & Levine (2017), §5.1: tasks y = A sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5];
a 1-40-40-1 ReLU network; one inner SGD step of size α = 0.01 on K support points; K query points; meta-batch 25;
Adam with step 1e-3. The baseline ("pre-training") is trained with the same budget on the joint loss of the same
tasks, without adaptation. Every model is then evaluated on 600 held-out tasks (their own seed) with K support
points and 100 query points, after 0..10 inner steps of size 0.01; mean and 95% CI go into the checkpoint.

    .venv/bin/python scripts/train_maml_sinusoid.py            # ~2.5 min CPU per MAML model, 4 models in parallel
    .venv/bin/python scripts/train_maml_sinusoid.py --iters 50 --out /tmp/x.pt   # a quick run

The checkpoint (metaopt_lib/checkpoints/maml_sinusoid.pt, < 100 kB) holds the four state dicts, the first
meta-losses of every run (tests/test_checkpoints_meta.py reruns the first steps), the held-out curves and the CPU
time of each training run.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
import torch.nn.functional as F

from metaopt_lib import meta, tasks
from metaopt_lib.checkpoint import checkpoint_path
from metaopt_lib.seeding import set_seed

CHECKPOINT = checkpoint_path("maml_sinusoid")
CONFIG = dict(inner_lr=0.01, steps=1, meta_batch=25, meta_lr=1e-3, iters=20000, seed=0,
              eval_tasks=600, eval_query=100, eval_steps=10, eval_seed=2024)
RUNS = [("maml", 5), ("maml", 10), ("pretrain", 5), ("pretrain", 10)]
N_LOGGED = 50  # meta-losses kept for the reproducibility test


def train(method: str, k_shot: int, iters: int, seed: int = 0, progress: bool = False):
    """Train one model; return (state_dict, meta-loss history, CPU seconds)."""
    torch.set_num_threads(1)
    gen = set_seed(seed)
    net = tasks.sinusoid_net()
    loss = meta.functional_loss(net, F.mse_loss)
    cpu = time.process_time()
    params, history = meta.meta_train(
        loss, meta.params_of(net), lambda: tasks.sample_sinusoid_tasks(CONFIG["meta_batch"], k_shot, generator=gen),
        iters, method=method, inner_lr=CONFIG["inner_lr"], steps=CONFIG["steps"], meta_lr=CONFIG["meta_lr"],
        progress=progress)
    return params, history, time.process_time() - cpu


def held_out_tasks(k_shot: int):
    """The 600 held-out evaluation tasks (same tasks for every model with the same K)."""
    gen = torch.Generator().manual_seed(CONFIG["eval_seed"] + k_shot)
    amp, phase = tasks.sample_sinusoid_params(CONFIG["eval_tasks"], gen)
    return tasks.sinusoid_tasks(amp, phase, k_shot, CONFIG["eval_query"], gen)


def evaluate(params, k_shot: int) -> torch.Tensor:
    """Query MSE of every held-out task after 0..10 inner steps, shape (11, 600)."""
    loss = meta.functional_loss(tasks.sinusoid_net(), F.mse_loss)
    return meta.adaptation_curve(loss, params, held_out_tasks(k_shot), CONFIG["inner_lr"], CONFIG["eval_steps"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=CONFIG["iters"])
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--jobs", type=int, default=4, help="models trained in parallel processes")
    args = parser.parse_args(argv)
    ckpt = {"config": {**CONFIG, "iters": args.iters}, "runs": {}}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:  # one single-threaded process per model
        results = list(pool.map(train, *zip(*[(m, k, args.iters, CONFIG["seed"]) for m, k in RUNS])))
    for (method, k), (params, history, cpu) in zip(RUNS, results):
        curve = evaluate(params, k)
        stats = [meta.mean_ci95(row) for row in curve]
        ckpt["runs"][f"{method}_k{k}"] = {
            "method": method, "k_shot": k, "state_dict": {n: v.clone() for n, v in params.items()},
            "first_losses": history[:N_LOGGED], "cpu_seconds": cpu,
            "final_train_loss": sum(history[-200:]) / len(history[-200:]),
            "heldout_mse_mean": [m for m, _ in stats], "heldout_mse_ci95": [c for _, c in stats]}
        m, c = stats[1]
        print(f"{method:8s} K={k:2d}: {args.iters} iterations, {cpu:6.1f} s CPU; held-out MSE after 1 step "
              f"{m:.3f} ± {c:.3f}, after 10 steps {stats[10][0]:.3f} ± {stats[10][1]:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
