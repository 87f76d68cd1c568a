"""Executions on a Dask cluster (``metaopt grade autograde --cluster tcp://HOST:PORT``).

The grading client prepares every submission, sends each one's prepared notebooks to the cluster, and records the
results as they come back: it stays the only writer of the gradebook. A Dask worker runs :func:`run_on_worker`,
i.e. the same ``metaopt_instructor.sandbox.execute`` as the local pool, in the bubblewrap sandbox of its own machine
(workers must run as root with bubblewrap installed to sandbox, and have this repository and its venv).

The assignment's data files (the source folder's entries other than notebooks) travel once per assignment as a
tar archive scattered to the cluster; a worker unpacks each archive once per process.

A lost worker (machine gone, process killed) is the scheduler's business: the tasks it held go back to the queue
and run on another worker (Dask's ``distributed.scheduler.allowed-failures``, 3 by default, bounds how many workers
one submission may take down with it; past that it is recorded as ``crashed``). Each submission's future
completes once, so each submission is recorded once.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import os
import queue
import tarfile
import tempfile
import threading
from pathlib import Path

from metaopt_instructor import sandbox

__all__ = ["pack_files", "run_on_worker", "DaskPool"]

_slots: "queue.Queue[int] | None" = None
_unpacked: dict[str, Path] = {}
_lock = threading.Lock()


def pack_files(folder: Path | None) -> bytes:
    """A tar archive of the folder's data files (what ``sandbox`` binds into the work folder); empty bytes when
    there are none."""
    entries = sandbox._extra_files(folder)
    if not entries:
        return b""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path in entries:
            tar.add(path, arcname=path.name)
    return buf.getvalue()


def _files_folder(archive: bytes) -> Path | None:
    """The archive unpacked in a folder of this worker process (once per archive)."""
    if not archive:
        return None
    key = hashlib.sha256(archive).hexdigest()
    with _lock:
        if key not in _unpacked:
            folder = Path(tempfile.mkdtemp(prefix=f"metaopt-files-{key[:12]}-"))
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(folder, filter="data")
            os.chmod(folder, 0o755)
            _unpacked[key] = folder
        return _unpacked[key]


def _slot_pool() -> "queue.Queue[int]":
    global _slots
    with _lock:
        if _slots is None:
            _slots = queue.Queue()
            for i in range(sandbox.SLOTS_PER_RUN):
                _slots.put(i)
        return _slots


def run_on_worker(notebooks: dict[str, bytes], archive: bytes, limits: sandbox.Limits,
                  sandbox_mode: bool | None) -> dict[str, sandbox.Execution]:
    """Execute one submission's prepared notebooks here (on a Dask worker): {notebook name: Execution}."""
    files = _files_folder(archive)
    slots = _slot_pool()
    slot = slots.get()
    try:
        out = {}
        for name, data in notebooks.items():
            try:
                out[name] = sandbox.execute(data, files, limits, slot=slot, sandbox=sandbox_mode)
            except Exception as err:  # the machine, not the student
                out[name] = sandbox.Execution(None, False, None, f"{type(err).__name__}: {err}", 0.0, False)
        return out
    finally:
        slots.put(slot)


class DaskPool:
    """Sends jobs to the Dask scheduler at ``address``; ``submit(job)`` returns a ``concurrent.futures.Future``
    resolved with the job (its ``executions`` filled) when the cluster returns it."""

    def __init__(self, address: str, limits: sandbox.Limits, sandbox_mode: bool | None, source_dir: Path,
                 timeout: float = 20):
        from distributed import Client

        from metaopt_instructor.course import GradingError

        self.limits, self.sandbox_mode, self.source_dir = limits, sandbox_mode, source_dir
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise GradingError(f"cannot reach the Dask scheduler at {address} ({err}); start it with "
                               f"`dask scheduler` and workers with `dask worker {address}`") from None
        self._archives: dict[str, object] = {}

    def workers(self) -> int:
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())

    def _archive(self, assignment: str):
        if assignment not in self._archives:
            data = pack_files(self.source_dir / assignment)
            self._archives[assignment] = self.client.scatter(data, broadcast=False, hash=True) if data else b""
        return self._archives[assignment]

    def execute(self, payload: bytes, files_from: Path | None, limits: sandbox.Limits, slot: int = 0,
                sandbox: bool | None = None) -> sandbox.Execution:
        """``sandbox.execute`` on a worker (blocking): the reference runs of ``release.reference_reports``."""
        archive = pack_files(files_from)
        archive = self.client.scatter(archive, hash=True) if archive else b""
        mode = self.sandbox_mode if sandbox is None else sandbox
        remote = self.client.submit(run_on_worker, {"notebook": payload}, archive, limits, mode, pure=False,
                                    key=f"reference-{os.urandom(6).hex()}")
        return remote.result()["notebook"]

    def submit(self, job) -> concurrent.futures.Future:
        result: concurrent.futures.Future = concurrent.futures.Future()
        remote = self.client.submit(run_on_worker, job.notebooks, self._archive(job.assignment), self.limits,
                                    self.sandbox_mode, pure=False,
                                    key=f"execute-{job.student}-{job.assignment}-{os.urandom(4).hex()}")

        def done(fut) -> None:
            try:
                job.executions.update(fut.result())
            except BaseException as err:  # KilledWorker (it took several workers down), cancelled, …
                for name in job.notebooks:
                    job.executions[name] = sandbox.Execution(None, False, None,
                                                             f"cluster: {type(err).__name__}: {err}", 0.0, False)
            result.set_result(job)

        remote.add_done_callback(done)
        result.remote = remote  # keeps the Dask future (and so the task) alive
        return result

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "DaskPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
