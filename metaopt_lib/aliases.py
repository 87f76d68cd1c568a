"""The type aliases the library's modules share (one name, one meaning, everywhere).

``Params``      a model's parameters by name, as ``torch.func.functional_call`` takes them.
``TaskLoss``    ``loss(params, x, y)``: the loss of a model with ``params`` on a batch — MAML's task loss.
``BilevelLoss`` ``loss(params, hparams)``: an inner or outer loss of a bilevel problem over flat tensors.
``Objective``   ``f(θ)``: a scalar function of one flat tensor (an optimizee of a learned optimizer).
``BatchFunction`` ``f(x)``: a batch of scalar functions evaluated at the points ``x`` (learned black-box search).
``Embed``       ``embed(params, x)``: a functional embedding network (prototypical networks).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["Params", "TaskLoss", "BilevelLoss", "Objective", "BatchFunction", "Embed"]

Params = dict[str, torch.Tensor]
TaskLoss = Callable[[Params, torch.Tensor, torch.Tensor], torch.Tensor]
BilevelLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Objective = Callable[[torch.Tensor], torch.Tensor]
BatchFunction = Callable[[torch.Tensor], torch.Tensor]
Embed = Callable[[Params, torch.Tensor], torch.Tensor]
