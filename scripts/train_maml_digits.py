"""Few-shot classification on rotated digits (offline Omniglot substitute): MAML and ANIL against pre-training.

5-way 1-shot episodes (5 query images per class) from metaopt_lib.tasks: 22 training classes (digits 0-2, 4, 5,
7, 8 and their rotations) and 8 held-out classes (digits 3, 6, 9), a 64-64-64-5 ReLU network. Four learners with
the same number of meta-iterations and episodes:

* MAML (second order, one inner step of size 0.4 as for Omniglot in Finn et al. 2017) and ANIL (the same with the
  inner loop on the head only, Raghu et al. 2020);
* "joint pre-training" — the baseline of S.-C. Chung's lecture (NSYSU): minimise Σ_n l^n(φ) over the same episodes, without adaptation;
* "classifier pre-training" — a 22-way classifier trained on all training-class images, then a new zero-initialised
  5-way head and the whole network fine-tuned on the support set (the usual transfer-learning baseline); once with
  the step 0.4 of the meta-learners ("classifier") and once with its own step tuned on episodes of the training
  classes over FINE_TUNE_GRID ("classifier_tuned").

Every learner is fine-tuned on 600 held-out episodes by 0..10 SGD steps on the support set; the accuracy on the
query set (mean ± 95% CI) goes to metaopt_lib/checkpoints/maml_digits.pt (< 300 kB).

    .venv/bin/python scripts/train_maml_digits.py          # ~1-2 min CPU
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from metaopt_lib import meta, tasks
from metaopt_lib.checkpoint import checkpoint_path
from metaopt_lib.seeding import set_seed

CHECKPOINT = checkpoint_path("maml_digits")
CONFIG = dict(n_way=5, k_shot=1, q_query=5, meta_batch=16, iters=2000, inner_lr=0.4, steps=1, meta_lr=1e-3,
              hidden=64, seed=0, eval_tasks=600, eval_steps=10, eval_seed=2024, clf_iters=2000, clf_batch=64)
HEAD = ("4.weight", "4.bias")
N_LOGGED = 20
FINE_TUNE_GRID = [0.03, 0.05, 0.1, 0.2, 0.4, 1.0]


def accuracy(net):
    """``acc(params, x, y)``: the share of correct argmax predictions of ``net`` with ``params``."""
    return meta.functional_loss(net, lambda out, y: (out.argmax(-1) == y).float().mean())


def train_meta(method: str, iters: int, seed: int = 0):
    torch.set_num_threads(1)
    gen = set_seed(seed)
    images = tasks.rotated_digits(tasks.digit_classes("train"))
    net = tasks.digits_net(CONFIG["n_way"], CONFIG["hidden"])
    loss = meta.functional_loss(net, F.cross_entropy)
    cpu = time.process_time()
    params, history = meta.meta_train(
        loss, meta.params_of(net),
        lambda: tasks.sample_episodes(images, CONFIG["n_way"], CONFIG["k_shot"], CONFIG["q_query"],
                                      CONFIG["meta_batch"], gen),
        iters, method=method, inner_lr=CONFIG["inner_lr"], steps=CONFIG["steps"], meta_lr=CONFIG["meta_lr"],
        head=HEAD if method == "anil" else None)
    return params, history, time.process_time() - cpu


def train_classifier(iters: int, seed: int = 0):
    """A 22-way classifier on all training-class images; its body with a new zero 5-way head."""
    torch.set_num_threads(1)
    gen = set_seed(seed)
    images = tasks.rotated_digits(tasks.digit_classes("train"))
    x = torch.cat(list(images.values()))
    y = torch.cat([torch.full((v.shape[0],), i) for i, v in enumerate(images.values())])
    net = tasks.digits_net(len(images), CONFIG["hidden"])
    opt = torch.optim.Adam(net.parameters(), lr=CONFIG["meta_lr"])
    cpu = time.process_time()
    history = []
    for _ in range(iters):
        idx = torch.randint(0, x.shape[0], (CONFIG["clf_batch"],), generator=gen)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    params = {k: v.detach().clone() for k, v in net.named_parameters()}
    params["4.weight"] = torch.zeros(CONFIG["n_way"], CONFIG["hidden"])
    params["4.bias"] = torch.zeros(CONFIG["n_way"])
    return params, history, time.process_time() - cpu


def held_out_episodes(split: str = "test", seed: int | None = None):
    images = tasks.rotated_digits(tasks.digit_classes(split))
    seed = CONFIG["eval_seed"] if seed is None else seed
    return tasks.sample_episodes(images, CONFIG["n_way"], CONFIG["k_shot"], CONFIG["q_query"],
                                 CONFIG["eval_tasks"], torch.Generator().manual_seed(seed))


def evaluate(params, adapt=None, lr=None, episodes=None) -> torch.Tensor:
    """Query accuracy of every held-out episode after 0..10 inner steps of size ``lr``, shape (11, 600)."""
    net = tasks.digits_net(CONFIG["n_way"], CONFIG["hidden"])
    return meta.adaptation_curve(meta.functional_loss(net, F.cross_entropy), params,
                                 held_out_episodes() if episodes is None else episodes,
                                 CONFIG["inner_lr"] if lr is None else lr, CONFIG["eval_steps"], adapt=adapt,
                                 metric=accuracy(net))


def tune_fine_tuning_lr(params) -> float:
    """The fine-tuning step of the classifier baseline: best mean accuracy after 10 steps on 600 episodes of the
    *training* classes (never the test classes), over the grid FINE_TUNE_GRID."""
    episodes = held_out_episodes("train", CONFIG["eval_seed"] + 1)
    scores = [evaluate(params, lr=lr, episodes=episodes)[-1].mean().item() for lr in FINE_TUNE_GRID]
    return FINE_TUNE_GRID[max(range(len(scores)), key=scores.__getitem__)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=CONFIG["iters"])
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    ckpt = {"config": {**CONFIG, "iters": args.iters}, "runs": {}}
    runs = {m: train_meta(m, args.iters, CONFIG["seed"]) for m in ("maml", "anil", "pretrain")}
    runs["classifier"] = train_classifier(CONFIG["clf_iters"] if args.iters >= 100 else args.iters, CONFIG["seed"])
    runs["classifier_tuned"] = runs["classifier"]  # the same network, fine-tuned with a tuned step
    for name, (params, history, cpu) in runs.items():
        lr = tune_fine_tuning_lr(params) if name == "classifier_tuned" else CONFIG["inner_lr"]
        curve = evaluate(params, adapt=HEAD if name == "anil" else None, lr=lr)
        stats = [meta.mean_ci95(row) for row in curve]
        ckpt["runs"][name] = {"state_dict": params, "first_losses": history[:N_LOGGED], "cpu_seconds": cpu,
                              "fine_tune_lr": lr,
                              "heldout_acc_mean": [m for m, _ in stats], "heldout_acc_ci95": [c for _, c in stats]}
        best = max(range(len(stats)), key=lambda s: stats[s][0])
        print(f"{name:16s} lr {lr:4.2f}, {cpu:6.1f} s CPU; held-out 5-way 1-shot accuracy after 1 step {stats[1][0]:.3f} ± "
              f"{stats[1][1]:.3f}, after 10 steps {stats[10][0]:.3f} ± {stats[10][1]:.3f}, best "
              f"{stats[best][0]:.3f} ± {stats[best][1]:.3f} at {best} steps")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
