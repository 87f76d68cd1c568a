"""metaopt_lib — the reference library of the metaopt course.

One module per topic of the course (see README.md for the map):

* ``variants``     — homework variant selection (the crc32 script of the homework)
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

Modules are imported lazily: ``import metaopt_lib`` is cheap.
"""

__version__ = "0.1.0"
