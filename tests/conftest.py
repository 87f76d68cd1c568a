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


# Tests that execute notebooks under a time limit, and the grading tests that run several kernels at once, carry
# the marker `serial_heavy` (registered in pyproject.toml) at the test or in their module's `pytestmark`:
# `make test` runs the rest on two xdist workers first, then these one after another in a single process. Run side
# by side, a grading batch (two sandboxed kernels) starved a timed lecture from 10 s to 70 s.


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server (``metaopt_instructor.database.PrivateServer``) shared by the session's tests, each of
    which creates its own database. Skipped where no server can start, unless METAOPT_REQUIRE_POSTGRES is set
    (``.ci/run`` sets it after installing PostgreSQL, so that CI never skips these tests)."""
    import shutil
    import tempfile

    from metaopt_instructor.database import PrivateServer, ServerUnavailable

    folder = tempfile.mkdtemp(prefix="metaopt-pg-")
    try:
        server = PrivateServer(folder).start()
    except ServerUnavailable as err:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("METAOPT_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"no PostgreSQL server can be started here: {err}")
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
