import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _torch_global_state():
    """One intra-op thread per test (the tests use small tensors, and two pytest workers share two cores), and
    torch's global state restored afterwards: tests that execute notebook code in-process (self-check, mutants)
    change the default dtype, the thread count or the grad mode, which must not leak into the next test."""
    dtype, threads, grad = torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled()
    torch.set_num_threads(1)
    yield
    torch.set_default_dtype(dtype)
    torch.set_grad_enabled(grad)
    torch.set_num_threads(threads)
