"""metaopt_lib.seeding against the generators seeded by hand (the reference: each library's own seeding call)."""

import random

import numpy as np
import torch

from metaopt_lib import seeding


def _draw(gen):
    return random.random(), float(np.random.rand()), float(torch.rand(())), float(torch.rand((), generator=gen))


def test_default_seed_is_zero_for_every_generator():
    """``set_seed()`` without an argument is seed 0 in Python, NumPy, PyTorch and the returned generator."""
    got = _draw(seeding.set_seed())
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    assert got == _draw(torch.Generator().manual_seed(0))
    assert seeding.DEFAULT_SEED == 0


def test_returned_generator_is_seeded_with_the_given_seed():
    got = _draw(seeding.set_seed(123))
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    assert got == _draw(torch.Generator().manual_seed(123))
