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


# Tests that execute notebooks under a time limit, and the grading tests that run several kernels at once, are
# marked `serial_heavy`: `make test` runs the rest on two xdist workers first, then these one after another in a
# single process. Run side by side, a grading batch (two sandboxed kernels) starved a timed lecture from 10 s to 70 s.
_SERIAL_HEAVY = ("test_lectures.py::test_lecture_executes_in_time", "test_assignments.py::test_nbgrader_pipeline",
                 "test_autograder.py::", "test_autograder_sample_class.py::", "test_sandbox.py::",
                 "test_grading_class.py::", "test_grader_views.py::",
                 "test_submission_path.py::test_the_submitted_zip_is_graded", "test_grading_scale.py::",
                 "test_site.py::")  # the website: one build (executes every lecture) and one browser


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(key in item.nodeid for key in _SERIAL_HEAVY):
            item.add_marker(pytest.mark.serial_heavy)


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
