"""Train the LSTM-optimizer checkpoint of lecture 04 and compare it with tuned SGD and Adam.

Andrychowicz et al. (2016), §3.1: random quadratics f(θ) = ‖Wθ − y‖², W ∈ R^{10×10}, y ∈ R^10 i.i.d. N(0, 1),
θ_0 = 0; a coordinate-wise 2-layer LSTM with 20 units; the minimised meta-objective Σ_{t=1}^{100} f(θ_t) by
truncated backpropagation every 20 steps, Adam on φ. Baselines: SGD and Adam, each with its step size tuned on
a 13-value log grid 1e-4..1 on the training quadratics (256 problems of the training distribution, mean loss
after 100 steps). Evaluation: 1000 held-out quadratics from another seed; mean ± 95% CI of f(θ_100).

    .venv/bin/python scripts/train_lstm_opt.py                      # ~3 min CPU
    .venv/bin/python scripts/train_lstm_opt.py --iters 3 --out /tmp/l.pt

Writes metaopt_lib/checkpoints/lstm_opt.pt (< 50 kB): φ, the tuned step sizes, the first meta-losses
(tests/test_checkpoints_meta.py reruns them), the held-out mean curves and final-loss statistics.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from metaopt_lib import learned_opt as lo
from metaopt_lib.checkpoint import checkpoint_path
from metaopt_lib.meta import mean_ci95
from metaopt_lib.seeding import set_seed

CHECKPOINT = checkpoint_path("lstm_opt")
CONFIG = dict(iters=250, batch=128, dim=10, horizon=100, truncation=20, meta_lr=3e-3, hidden=20, layers=2,
              seed=0, tune_problems=256, tune_seed=1, eval_problems=1000, eval_seed=2024,
              lr_grid=torch.logspace(-4, 0, 13).tolist())
N_LOGGED = 5


def problems(n: int, seed: int):
    W, y = lo.random_quadratics(n, CONFIG["dim"], torch.Generator().manual_seed(seed))
    return lo.quadratic_problems(W, y), torch.zeros(n, CONFIG["dim"])


def train(iters: int, seed: int = 0, progress: bool = False):
    """Train φ; return (φ, meta-loss history, CPU seconds)."""
    torch.set_num_threads(1)
    gen = set_seed(seed)

    def sample():
        W, y = lo.random_quadratics(CONFIG["batch"], CONFIG["dim"], gen)
        return lo.quadratic_problems(W, y), torch.zeros(CONFIG["batch"], CONFIG["dim"])

    cpu = time.process_time()
    phi, history = lo.meta_train_lstm(lo.init_lstm_optimizer(CONFIG["hidden"], CONFIG["layers"], gen), sample,
                                      iters, CONFIG["horizon"], CONFIG["truncation"], CONFIG["meta_lr"],
                                      progress=progress)
    return phi, history, time.process_time() - cpu


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=CONFIG["iters"])
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    phi, history, cpu = train(args.iters, CONFIG["seed"], progress=True)
    steps = CONFIG["horizon"]
    f_tune, th_tune = problems(CONFIG["tune_problems"], CONFIG["tune_seed"])
    f_eval, th_eval = problems(CONFIG["eval_problems"], CONFIG["eval_seed"])
    result = {"config": {**CONFIG, "iters": args.iters}, "phi": phi, "first_losses": history[:N_LOGGED],
              "history": history, "cpu_seconds": cpu, "curves": {}, "final": {}, "lr": {}, "grid_finals": {}}
    curves = {"lstm": lo.lstm_curve(phi, f_eval, th_eval, steps)}
    for name in ("sgd", "adam"):
        best, finals = lo.tune_learning_rate(name, CONFIG["lr_grid"], f_tune, th_tune, steps)
        result["lr"][name], result["grid_finals"][name] = best, finals
        curves[name] = lo.hand_optimizer_curve(name, best, f_eval, th_eval, steps)
    for name, curve in curves.items():
        result["curves"][name] = curve.mean(1)
        result["final"][name] = mean_ci95(curve[-1])
        lr = f" (lr {result['lr'][name]:.2g})" if name in result["lr"] else ""
        print(f"{name:5s}{lr:13s} held-out f(θ_100) = {result['final'][name][0]:.4f} ± {result['final'][name][1]:.4f}")
    for name in ("sgd", "adam"):  # paired differences on the same held-out problems
        result["final"][f"lstm_minus_{name}"] = mean_ci95(curves["lstm"][-1] - curves[name][-1])
        print(f"f_lstm − f_{name} = {result['final'][f'lstm_minus_{name}'][0]:.4f} ± "
              f"{result['final'][f'lstm_minus_{name}'][1]:.4f}")
    print(f"training: {args.iters} iterations, {cpu:.1f} s CPU")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(result, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
