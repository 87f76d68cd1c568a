"""Execute one student notebook: the only grading code that runs next to student code.

Self-contained on purpose (standard library, nbformat, nbclient, jupyter_client, and the course's cell roles from
``metaopt_course.cells``, which the sandbox binds with the student floors): the sandbox binds this one file
read-only, never the ``metaopt_instructor`` package, the course folder or the gradebook. Protocol:

* start-up, before anything is read: the kernel is started and imports what every graded notebook imports
  (``PRE_IMPORTS``, silently: no names, history or execution count left), so a sandbox started ahead of its
  notebook is warm when the notebook comes (``metaopt_instructor.execution.Sandboxes``). One process, one notebook.
* stdin: the prepared notebook (JSON). ``metadata.metaopt_grading.seed`` is the per-student seed of the hidden
  inputs, removed from the notebook and set in the kernel with ``metaopt_course.grading.set_hidden_seed`` (silently)
  before the first cell; the time limits count from here. The notebook is kept in memory, never written to disk,
  and the process makes itself non-dumpable.
* stdout: one JSON document ``{"notebook", "finished", "started", "timeouts", "killed", "dead_kernel",
  "deadline", "error", "reports", "cut", "cell_seconds", "seconds", "cpu"}``. ``reports`` maps the index of each test cell (nbgrader
  ``grade`` without ``solution``) to the check reports its checks sent (display outputs of MIME type
  ``application/vnd.metaopt.check+json``, taken out of the notebook); reports sent by other cells are dropped. The
  kernel's stdout/stderr go to /dev/null, and this process's own fd 1 is moved aside before the kernel starts, so
  student code cannot write into the reply. Nothing here decides a verdict: the grader does, outside the sandbox.

Limits: ``--cell-timeout`` per cell (the kernel is interrupted; a kernel still busy ``--grace`` seconds later is
killed with its process group, so one notebook never holds a worker longer than the cell limit plus the grace);
``--deadline`` for the whole notebook; output bounded in bytes per cell and per notebook (a note says what was cut);
rlimits set here and inherited by the kernel: address space, processes (effective only for a non-root uid), CPU
seconds, file size, no core dumps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import tempfile
import threading
import time

from metaopt_course import cells

# nbformat validates with jsonschema, whose format checkers compile ~40 lark grammars at import when the optional
# rfc3987_syntax is installed: 2–3 CPU-seconds in every executor, i.e. per notebook graded. Notebooks carry no
# URI formats worth checking here, so the executor never loads it (the import fails, jsonschema skips that check).
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL_NAME = "metaopt-grading"
REPORT_MIME = cells.REPORT_MIME
PRE_IMPORTS = ("numpy", "torch", "metaopt_lib", "metaopt_course.grading")
MAX_REPORTS = 5000          # reports kept per test cell
MAX_REPORT_BYTES = 1 << 20  # one report's JSON


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


def _size(out) -> int:
    return len(json.dumps(out, default=str))


def _cut_note(kind: str, limit_kb: int) -> dict:
    text = (f"[output cut: more than {limit_kb} KB {kind} / вывод обрезан: больше {limit_kb} КБ "
            f"{'в ячейке' if kind == 'in this cell' else 'в ноутбуке'}]\n")
    return {"output_type": "stream", "name": "stderr", "text": text}


def _client_class():
    from nbclient import NotebookClient

    class TrackingClient(NotebookClient):
        """Records which cells started, finished and timed out; stops starting cells after the deadline; takes the
        check reports out of test cells; bounds the outputs in bytes."""

        def __init__(self, *args, deadline: float, setup_timeout: int, cell_kb: int, notebook_kb: int, **kwargs):
            super().__init__(*args, **kwargs)
            self.setup_timeout = setup_timeout
            self.started: list[int] = []
            self.finished: list[int] = []
            self.timeouts: list[int] = []
            self.reports: dict[int, list[str]] = {}
            self.cell_seconds: dict[int, float] = {}
            self.cut: dict[int, int] = {}
            self.deadline_hit = False
            self._deadline = deadline
            self._current = None
            self._current_is_test = False
            self._cell_started = None     # monotonic time the running cell started (None when idle)
            self._cell_limit = None
            self._cell_bytes = 0
            self._total_bytes = 0
            self._cell_cap = cell_kb * 1024
            self._total_cap = notebook_kb * 1024
            self._cell_kb, self._notebook_kb = cell_kb, notebook_kb

        def _get_timeout(self, cell):
            timeout = super()._get_timeout(cell)
            if timeout is not None and cell is not None and cells.is_setup_cell(cell):
                timeout = max(timeout, self.setup_timeout)  # locked set-up cells import torch & co.
            remaining = max(1, int(self._deadline - time.monotonic()))
            timeout = remaining if timeout is None else min(timeout, remaining)
            self._cell_limit = timeout
            return timeout

        async def _async_handle_timeout(self, timeout, cell=None):
            if self._current is not None and self._current not in self.timeouts:
                self.timeouts.append(self._current)
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            data = content.get("data") if isinstance(content, dict) else None
            if msg.get("msg_type") in ("display_data", "execute_result") and isinstance(data, dict) \
                    and REPORT_MIME in data:
                report = data[REPORT_MIME]
                if self._current_is_test and cell_index == self._current and isinstance(report, str) \
                        and len(report) <= MAX_REPORT_BYTES:
                    kept = self.reports.setdefault(cell_index, [])
                    if len(kept) < MAX_REPORTS:
                        kept.append(report)
                return None  # reports never become outputs
            size = _size(content)
            if self._cell_bytes + size > self._cell_cap or self._total_bytes + size > self._total_cap:
                if cell_index not in self.cut:
                    self.cut[cell_index] = 0
                    kind = "in this cell" if self._cell_bytes + size > self._cell_cap else "in the notebook"
                    outs.append(_cut_note(kind, self._cell_kb if kind == "in this cell" else self._notebook_kb))
                self.cut[cell_index] += size
                return None
            self._cell_bytes += size
            self._total_bytes += size
            return super().output(outs, msg, display_id, cell_index)

        def _update_display_id(self, display_id, msg):
            if _size(msg.get("content", {})) > self._cell_cap:
                return  # an update may not grow an output past the limit
            return super()._update_display_id(display_id, msg)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell.cell_type != "code" or not cell.source.strip():
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if time.monotonic() >= self._deadline:
                self.deadline_hit = True
                return cell
            self._current = cell_index
            self._current_is_test = cells.is_test_cell(cell)
            self._cell_bytes = 0
            self.started.append(cell_index)
            self._cell_started = time.monotonic()
            try:
                result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            finally:
                self.cell_seconds[cell_index] = round(time.monotonic() - self._cell_started, 2)
                self._cell_started = None
            if cell_index in self.timeouts:
                cell.outputs.append({
                    "output_type": "error", "ename": "CellTimeoutError",
                    "evalue": "the cell exceeded its time limit / ячейка превысила лимит времени",
                    "traceback": ["CellTimeoutError: the cell exceeded its time limit / "
                                  "ячейка превысила лимит времени"]})
            self.finished.append(cell_index)
            return result

    return TrackingClient


def _kernel_spec(folder: str, python: str) -> str:
    spec_dir = os.path.join(folder, "kernels", KERNEL_NAME)
    os.makedirs(spec_dir)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--InteractiveShell.xmode=Minimal", "--HistoryManager.enabled=False"],
        "display_name": "metaopt grading", "language": "python",
        # figures stay in the graded notebook (inline backend): graders grade the plots they see
        "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "NBGRADER_EXECUTION": "autograde",
                "JOBLIB_MULTIPROCESSING": "0", "JOBLIB_TEMP_FOLDER": "/tmp"},
    }
    with open(os.path.join(spec_dir, "kernel.json"), "w", encoding="utf-8") as fh:
        json.dump(spec, fh)
    return os.path.join(folder, "kernels")


# Run silently in the fresh kernel before the notebook arrives (nothing is left in the user namespace, no history,
# no execution count): the imports every graded notebook pays for.
WARM_UP = """def _metaopt_warm_up():
    import importlib
    for name in %r:
        try:
            importlib.import_module(name)
        except Exception:
            pass
_metaopt_warm_up()
del _metaopt_warm_up
""" % (PRE_IMPORTS,)
SET_SEED = "import metaopt_course.grading as _metaopt_g\n_metaopt_g.set_hidden_seed(%d)\ndel _metaopt_g\n"


async def _silent(kc, code: str, timeout: float) -> bool:
    """Runs ``code`` in the kernel without output, history or execution count; whether it succeeded."""
    import queue

    msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = await kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            return False
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg.get("content", {}).get("status") == "ok"


def _kill_kernel(km) -> None:
    """SIGKILL the kernel and its process group (the kernel runs in a session of its own)."""
    try:
        pid = km.provisioner.process.pid if km.provisioner is not None else None
    except AttributeError:
        pid = None
    if pid is None:
        return
    try:
        pgid = os.getpgid(pid)
        if pgid != os.getpgid(0):
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _watchdog(client, km, grace: float, stop: threading.Event, killed: list, stuck) -> None:
    """Kill a kernel that is still busy ``grace`` seconds after its cell's limit (SIGINT ignored, a blocked kernel).
    If the client has not noticed the death a few seconds later (its sockets flooded), ``stuck()`` replies with what
    ran so far and ends this process: the worker is free within the cell limit plus the grace, whatever happens."""
    while not stop.wait(0.5):
        started, limit = client._cell_started, client._cell_limit
        if started is None or limit is None:
            continue
        if time.monotonic() > started + limit + grace:
            index = client._current
            if index is not None and index not in client.timeouts:
                client.timeouts.append(index)
            killed.append(index)
            _kill_kernel(km)
            if not stop.wait(3.0) and client._cell_started is not None:
                client.cell_seconds[index] = round(time.monotonic() - started, 2)
                stuck()
            return


def _result(client, nb, start: float, **extra) -> dict:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime  # the executor and its (reaped) kernel
    return {"dead_kernel": False, "error": None, **extra, "notebook": nb, "started": client.started, "cpu": cpu,
            "finished": client.finished, "timeouts": client.timeouts, "deadline": client.deadline_hit,
            "reports": {str(k): v for k, v in client.reports.items()},
            "cut": {str(k): v for k, v in client.cut.items()},
            "cell_seconds": {str(k): v for k, v in client.cell_seconds.items()},
            "seconds": time.monotonic() - start}


def run(payload, *, cell_timeout: int, setup_timeout: int, total_timeout: int, workdir: str, python: str,
        grace: float = 10.0, cell_kb: int = 512, notebook_kb: int = 8192, reply=None) -> dict:
    """Start the kernel and import what every notebook imports, THEN call ``payload()`` (bytes: the prepared
    notebook; blocks until the grader sends it), set the hidden-input seed silently and execute the notebook;
    returns the reply. The time limits count from the payload's arrival. ``reply(result)``, when given, is called
    by the watchdog instead (and the process ends) if a killed kernel leaves the client stuck."""
    return asyncio.run(_run(payload, cell_timeout=cell_timeout, setup_timeout=setup_timeout,
                            total_timeout=total_timeout, workdir=workdir, python=python, grace=grace,
                            cell_kb=cell_kb, notebook_kb=notebook_kb, reply=reply))


async def _run(payload, *, cell_timeout, setup_timeout, total_timeout, workdir, python, grace, cell_kb,
               notebook_kb, reply) -> dict:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import DeadKernelError

    private = tempfile.mkdtemp(prefix="metaopt-exec-")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(private, "runtime")
    ksm = KernelSpecManager(kernel_dirs=[_kernel_spec(private, python)])
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
    client = _client_class()(
        nbformat.v4.new_notebook(), km=km, kernel_name=KERNEL_NAME, timeout=cell_timeout, startup_timeout=120,
        allow_errors=True, interrupt_on_timeout=True, record_timing=False, resources={"metadata": {"path": workdir}},
        deadline=time.monotonic() + 10 ** 9, setup_timeout=setup_timeout, cell_kb=cell_kb, notebook_kb=notebook_kb)
    outcome = {}
    # warm: a fresh kernel of this process alone, before any student's notebook exists here
    try:
        await client.async_start_new_kernel(stdout=open(os.devnull, "wb"), stderr=open(os.devnull, "wb"))
        await client.async_start_new_kernel_client()
        await _silent(client.kc, WARM_UP, setup_timeout)
        nbformat.validate(client.nb)  # loads the validator before the notebook comes
    except Exception as err:
        outcome["error"] = f"the kernel did not start: {type(err).__name__}: {err}"
    loop = asyncio.get_running_loop()
    raw = await loop.run_in_executor(None, payload)
    start = time.monotonic()
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as err:  # nothing came (a warm sandbox that was not used) or not a notebook
        if km.has_kernel:
            await km.shutdown_kernel(now=True)
        return _result(client, client.nb, start, killed=[], error=f"no notebook on stdin ({type(err).__name__})")
    del raw
    seed = int((nb.metadata.pop("metaopt_grading", None) or {}).get("seed", 0))
    client.nb = nb
    client._deadline = start + total_timeout
    if not outcome and not await _silent(client.kc, SET_SEED % seed, setup_timeout):
        outcome["error"] = "the hidden-input seed could not be set in the kernel"
    stop, killed = threading.Event(), []

    def stuck():
        result = _result(client, nb, start, killed=[k for k in killed if k is not None])
        if reply is not None:
            reply(result)
            os._exit(0)

    guard = threading.Thread(target=_watchdog, args=(client, km, grace, stop, killed, stuck), daemon=True)
    guard.start()
    try:
        if not outcome:
            await client.async_execute()
    except DeadKernelError:
        outcome["dead_kernel"] = True
    except Exception as err:  # the client gave up, …
        outcome["error"] = f"{type(err).__name__}: {err}"
    finally:
        stop.set()
        try:
            if km.has_kernel:
                await km.shutdown_kernel(now=True)
        except Exception:
            pass
    if killed:
        outcome["dead_kernel"] = False  # killed by us for its time limit, not a crash of its own
    return _result(client, nb, start, killed=[k for k in killed if k is not None], **outcome)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell-timeout", type=int, required=True)
    parser.add_argument("--setup-timeout", type=int, required=True, help="locked set-up cells (not tests)")
    parser.add_argument("--total-timeout", type=int, required=True)
    parser.add_argument("--grace", type=float, required=True, help="seconds after a cell's limit before the kill")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--nproc", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("--cell-output-kb", type=int, required=True)
    parser.add_argument("--notebook-output-kb", type=int, required=True)
    parser.add_argument("--workdir", default=".")
    args = parser.parse_args(argv)

    _no_dump()
    reply = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed from here on (or by the kernel) cannot reach the reply
    _set_limits(args.memory_mb, args.nproc, args.cpu_seconds, args.file_mb)
    lock = threading.Lock()

    def send(result: dict) -> None:
        with lock:  # once: by the main thread, or by the watchdog when the client is stuck
            if not reply.closed:
                json.dump(result, reply, allow_nan=True)
                reply.flush()
                reply.close()

    result = run(sys.stdin.buffer.read, cell_timeout=args.cell_timeout, setup_timeout=args.setup_timeout,
                 total_timeout=args.total_timeout, workdir=os.path.abspath(args.workdir), python=sys.executable,
                 grace=args.grace, cell_kb=args.cell_output_kb, notebook_kb=args.notebook_output_kb, reply=send)
    send(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
