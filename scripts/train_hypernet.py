"""Train the two hypernetworks of lecture 06 and save them to metaopt_lib/checkpoints/hypernet.pt.

* ``logreg_l2`` — the best response of Lorraine & Duvenaud (2018): multinomial logistic regression on sklearn's
  digits (the training part of ``load_digits().split_validation(0.25)``), penalty λ‖W‖², λ ~ log-uniform on
  [1e-3, 1e2]; the lecture compares it with models retrained at fixed λ and tunes λ on the validation part.
* ``mlp_l1`` — parametric complexity control (Grebenkova, Bakhteev & Strijov, 2023): a 64-32-10 ReLU MLP on the
  whole digits training set, sparsity-inducing penalty λ‖W‖₁, λ ~ log-uniform on [0.005, 2]; the lecture prunes the
  generated weights by magnitude for λ ∈ {0.01, 0.1, 1} and plots test accuracy against the percent removed.

Both minimise E_λ[−log p(D|G(λ;φ)) + λ R(G(λ;φ))] / N with metaopt_lib.hypernet.train_hypernet (full batch, Adam,
eight stratified λ per step, one thread, fixed seeds).

    .venv/bin/python scripts/train_hypernet.py                 # ~1 min CPU in all
    .venv/bin/python scripts/train_hypernet.py --steps 20 --out /tmp/x.pt   # a quick run

The checkpoint (< 300 kB) holds φ of each run, its configuration, the first ``N_LOGGED`` Monte-Carlo losses (the
test tests/test_hypernet.py reruns the first steps and compares) and the CPU seconds of the training.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from metaopt_lib import hypernet
from metaopt_lib.checkpoint import checkpoint_path
from metaopt_lib.data import load_digits

CHECKPOINT = checkpoint_path("hypernet")
RUNS = {
    "logreg_l2": dict(sizes=(64, 10), lam_range=(1e-3, 1e2), kind="l2", hidden=16, steps=4000, lr=0.01,
                      n_lambdas=8, seed=0, data="train_part_of_split_validation_0.25"),
    "mlp_l1": dict(sizes=(64, 32, 10), lam_range=(0.005, 2.0), kind="l1", hidden=16, steps=4000, lr=0.01,
                   n_lambdas=8, seed=0, data="whole_training_set"),
}
N_LOGGED = 50


def training_data(config: dict):
    """The training inputs of a run (digits, seeded split, as the lecture uses them)."""
    ds = load_digits()
    if config["data"] == "whole_training_set":
        return ds.X_train, ds.y_train
    X, y, _, _ = ds.split_validation(0.25, seed=0)
    return X, y


def train(name: str, steps: int | None = None, progress: bool = False):
    """Train one run of RUNS; return (φ, Monte-Carlo losses, CPU seconds)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: one thread is faster, and the sums are always added in one order
    try:
        config = RUNS[name]
        X, y = training_data(config)
        cpu = time.process_time()
        phi, losses = hypernet.train_hypernet(
            X, y, config["sizes"], config["lam_range"], kind=config["kind"], hidden=config["hidden"],
            steps=config["steps"] if steps is None else steps, n_lambdas=config["n_lambdas"], lr=config["lr"],
            seed=config["seed"], progress=progress)
        return phi, losses, time.process_time() - cpu
    finally:
        torch.set_num_threads(threads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="override the number of steps (quick runs)")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    checkpoint = {"runs": {}, "n_logged": N_LOGGED}
    for name, config in RUNS.items():
        phi, losses, cpu = train(name, args.steps, progress=True)
        checkpoint["runs"][name] = {"phi": phi, "config": {**config, "steps": len(losses)},
                                    "first_losses": losses[:N_LOGGED], "last_losses": losses[-100:],
                                    "cpu_seconds": cpu}
        print(f"{name}: {len(losses)} steps, loss {losses[0]:.4f} -> {sum(losses[-100:]) / 100:.4f}, {cpu:.1f} s CPU")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
