"""metaopt_lib — the reference library of the metaopt course: the algorithms (floor 1 of 3).

It imports only numerical packages (torch, numpy, scipy, scikit-learn, optuna) and itself; the course runtime
(``metaopt_course``: checks, self-check, widgets, variants, lecture build) stands on it, and the instructor's tools
(``metaopt_instructor``: grading, sandbox, release, distribution, demo) on both. ``tests/test_layers.py`` keeps
every import pointing down. One module per topic of the course (see README.md for the map):

* ``data``         — offline datasets: sklearn's digits and MNIST IDX files
* ``evidence``     — exact evidence of Bayesian linear regression; evidence by gradient descent
* ``search``       — black-box hyperparameter search
* ``hypergrad``    — hypergradients: unrolled (forward/reverse) and implicit (Neumann, CG)
* ``evograd``      — EvoGrad: hypergradients from an evolutionary step, first-order only
* ``bayesopt``     — Bayesian optimisation (GP surrogate, expected improvement), meta-feature warm starts
* ``hypernet``     — hypernetworks and best-response functions
* ``meta``, ``tasks``, ``learned_opt`` — MAML family, task distributions, learned optimizers
* ``protonet``     — prototypical networks (metric-based meta-learning)
* ``schedule``, ``learned_blackbox`` — a learned step-size schedule; a tiny learned black-box optimizer
* ``pruning``, ``variational``, ``compression``, ``structure``, ``training`` — pruning and structure
* ``validate``     — the shared input checks (bilingual messages) and solver warnings of the modules above
* ``aliases``      — the type aliases the modules share (``Params``, ``TaskLoss``, ``BilevelLoss``, …)
* ``checkpoint``   — the one loader of the shipped checkpoints (``checkpoints/*.pt``, written by ``scripts/train_*``)
* ``seeding``, ``i18n`` — one call to seed Python, NumPy and torch; bilingual messages (EN + RU)

Modules are imported lazily: ``import metaopt_lib`` is cheap.
"""

__version__ = "0.1.0"
