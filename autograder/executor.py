"""Execute one student notebook: the only grading code that runs next to student code.

Self-contained on purpose (standard library, nbformat, nbclient, jupyter_client): the sandbox binds this one file
read-only, never the ``autograder`` package, the course folder or the gradebook. Protocol:

* stdin: the prepared notebook (JSON, hidden tests included). It is read into memory and never written to disk,
  so the kernel (same unprivileged uid) finds no copy of the hidden tests on disk; the process also makes itself
  non-dumpable so that the kernel cannot read its memory or its file descriptors through /proc.
* stdout: one JSON document ``{"notebook", "finished", "started", "timeouts", "dead_kernel", "deadline",
  "error", "records", "seconds", "cpu"}``. The kernel's stdout/stderr go to /dev/null, and this process's own fd 1 is
  moved aside before the kernel starts, so student code cannot write into the reply.

Limits: ``--cell-timeout`` per cell (the kernel is interrupted and the next cell runs), ``--deadline`` for the
whole notebook (no further cell starts after it; the grader also kills the process group from outside a little
later), and rlimits set here and inherited by the kernel: address space, processes (effective only for a
non-root uid), CPU seconds, file size, no core dumps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time

KERNEL_NAME = "metaopt-grading"
RECORD_ENV = "METAOPT_GRADING_RECORD"
MAX_RECORD_BYTES = 20 * 1024 * 1024


def _no_dump() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # pragma: no cover - non-Linux
        pass


def _set_limits(memory_mb: int, nproc: int, cpu_seconds: int, file_mb: int) -> None:
    def lower(which, value):
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    if memory_mb > 0:
        lower(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    if nproc > 0 and os.getuid() != 0:  # root ignores RLIMIT_NPROC
        lower(resource.RLIMIT_NPROC, nproc)
    if cpu_seconds > 0:
        lower(resource.RLIMIT_CPU, cpu_seconds)
    if file_mb > 0:
        lower(resource.RLIMIT_FSIZE, file_mb * 1024 * 1024)
    lower(resource.RLIMIT_CORE, 0)


def _client_class():
    from nbclient import NotebookClient

    class TrackingClient(NotebookClient):
        """Records which cells started, finished and timed out; stops starting cells after the deadline."""

        def __init__(self, *args, deadline: float, setup_timeout: int, **kwargs):
            super().__init__(*args, **kwargs)
            self.setup_timeout = setup_timeout
            self.started: list[int] = []
            self.finished: list[int] = []
            self.timeouts: list[int] = []
            self.deadline_hit = False
            self._deadline = deadline
            self._current = None

        def _get_timeout(self, cell):
            timeout = super()._get_timeout(cell)
            meta = (cell.get("metadata", {}).get("nbgrader", {}) or {}) if cell is not None else {}
            if timeout is not None and meta.get("locked") and not meta.get("grade") and not meta.get("solution"):
                timeout = max(timeout, self.setup_timeout)  # locked set-up cells import torch & co.
            remaining = max(1, int(self._deadline - time.monotonic()))
            return remaining if timeout is None else min(timeout, remaining)

        async def _async_handle_timeout(self, timeout, cell=None):
            if self._current is not None and self._current not in self.timeouts:
                self.timeouts.append(self._current)
            return await super()._async_handle_timeout(timeout, cell)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell.cell_type != "code" or not cell.source.strip():
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if time.monotonic() >= self._deadline:
                self.deadline_hit = True
                return cell
            self._current = cell_index
            self.started.append(cell_index)
            result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if cell_index in self.timeouts:
                cell.outputs.append({
                    "output_type": "error", "ename": "CellTimeoutError",
                    "evalue": "the cell exceeded its time limit / ячейка превысила лимит времени",
                    "traceback": ["CellTimeoutError: the cell exceeded its time limit / "
                                  "ячейка превысила лимит времени"]})
            self.finished.append(cell_index)
            return result

    return TrackingClient


def _kernel_spec(folder: str, records: str, python: str) -> str:
    spec_dir = os.path.join(folder, "kernels", KERNEL_NAME)
    os.makedirs(spec_dir)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 # tracebacks without source lines: hidden test code never reaches the outputs
                 "--InteractiveShell.xmode=Minimal", "--HistoryManager.enabled=False"],
        "display_name": "metaopt grading", "language": "python",
        "env": {RECORD_ENV: records, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "NBGRADER_EXECUTION": "autograde"},
    }
    with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    return os.path.join(folder, "kernels")


def run(raw: bytes, *, cell_timeout: int, setup_timeout: int, total_timeout: int, workdir: str, python: str) -> dict:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import DeadKernelError

    start = time.monotonic()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    del raw
    private = tempfile.mkdtemp(prefix="metaopt-exec-")
    records = os.path.join(private, "records.jsonl")
    open(records, "w").close()
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(private, "runtime")
    ksm = KernelSpecManager(kernel_dirs=[_kernel_spec(private, records, python)])
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    client = _client_class()(
        nb, km=km, kernel_name=KERNEL_NAME, timeout=cell_timeout, startup_timeout=120, allow_errors=True,
        interrupt_on_timeout=True, record_timing=False, resources={"metadata": {"path": workdir}},
        deadline=start + total_timeout, setup_timeout=setup_timeout)
    result = {"dead_kernel": False, "error": None}
    try:
        client.execute(stdout=open(os.devnull, "wb"), stderr=open(os.devnull, "wb"))
    except DeadKernelError:
        result["dead_kernel"] = True
    except Exception as err:  # kernel failed to start, the client gave up, …
        result["error"] = f"{type(err).__name__}: {err}"
    finally:
        try:
            if km.has_kernel:
                asyncio.run(km.shutdown_kernel(now=True))
        except Exception:
            pass
    lines = []
    try:
        with open(records, "rb") as fh:
            data = fh.read(MAX_RECORD_BYTES)
        lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        pass
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime  # the executor and its (reaped) kernel
    result.update(notebook=nb, started=client.started, cpu=cpu, finished=client.finished, timeouts=client.timeouts,
                  deadline=client.deadline_hit, records=lines, seconds=time.monotonic() - start)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--setup-timeout", type=int, default=180, help="locked set-up cells (not tests)")
    parser.add_argument("--total-timeout", type=int, default=600)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--nproc", type=int, default=0)
    parser.add_argument("--cpu-seconds", type=int, default=0)
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("--workdir", default=".")
    args = parser.parse_args(argv)

    _no_dump()
    raw = sys.stdin.buffer.read()
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed from here on (or by the kernel) cannot reach the reply
    _set_limits(args.memory_mb, args.nproc, args.cpu_seconds, args.file_mb)
    result = run(raw, cell_timeout=args.cell_timeout, setup_timeout=args.setup_timeout,
                 total_timeout=args.total_timeout,
                 workdir=os.path.abspath(args.workdir), python=sys.executable)
    json.dump(result, reply, allow_nan=True)
    reply.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
