"""Run ``metaopt_instructor/executor.py`` on one prepared notebook, isolated from the course and from other students.

With bubblewrap and root (the instructor's machine, CI): a fresh root made of read-only binds of the system
(``/usr``, ``/etc``), the Python installation, the virtual environment and the two student
packages (``metaopt_lib``, ``metaopt_course``) only; size-limited
tmpfs over ``/tmp`` and over the work folder (which holds read-only binds of the assignment's data files) as the
only writable places, gone with the sandbox; no network (``--unshare-net``;
kernel and client both inside, talking over loopback); own pid namespace, killed with its parent; the executor and
the kernel run as an unprivileged uid of their own per worker slot (so RLIMIT_NPROC holds) without capabilities.
The course folder, the gradebook, ``solutions/``, other submissions and the hidden tests are not in that root.

Without bubblewrap (or not root): the same executor with the same rlimits and time limits, loudly NOT sandboxed.
The wall-clock limit per submission is enforced here by killing the whole process group (and, when we dropped to
a slot uid, every process of that uid).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXECUTOR = Path(__file__).resolve().with_name("executor.py")
SANDBOX_HOME = "/home/student"
SLOT_UID_BASE = 61000
SLOTS_PER_RUN = 64
RUN_RANGES = 60
_run_lock = None


def run_uid_base() -> int:
    """First uid of this process's range. Concurrent grading runs on one machine hold disjoint ranges (an flock
    per range, kept for the life of the process): RLIMIT_NPROC counts per uid machine-wide, and leftover
    processes of a slot uid are killed after each execution, which must never hit another run's students."""
    global _run_lock
    if _run_lock is None:
        import fcntl

        folder = Path(tempfile.gettempdir()) / "metaopt-grading-uids"
        folder.mkdir(mode=0o700, exist_ok=True)
        start = os.getpid() % RUN_RANGES
        for k in [(start + i) % RUN_RANGES for i in range(RUN_RANGES)]:
            fh = open(folder / f"range-{k}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            _run_lock = (fh, k)
            break
        else:
            raise RuntimeError("more than 60 grading runs at once on this machine")
    return SLOT_UID_BASE + _run_lock[1] * SLOTS_PER_RUN


@dataclasses.dataclass(frozen=True)
class Limits:
    """Every limit of one execution, in one place (a course overrides them with ``c.MetaoptGrading.<name>``)."""
    cell_timeout: int = 60          # seconds per cell (then the kernel is interrupted)
    grace: int = 10                 # seconds after a cell's limit before a kernel that ignores the interrupt is killed
    setup_timeout: int = 180        # seconds for a locked set-up cell (imports torch, loads data)
    total_timeout: int = 600        # seconds per submission (wall clock)
    memory_mb: int = 3072           # address space of the executor and of the kernel
    nproc: int = 64                 # processes+threads of the slot uid
    file_mb: int = 256              # largest file the code may write
    disk_mb: int = 1024             # size of the sandbox's writable folders (tmpfs: the work folder and /tmp)
    cell_output_kb: int = 512       # outputs kept per cell (text, figures); the rest is cut with a note
    notebook_output_kb: int = 8192  # outputs kept per notebook

    def executor_args(self) -> list[str]:
        return ["--cell-timeout", str(self.cell_timeout), "--setup-timeout", str(self.setup_timeout),
                "--total-timeout", str(self.total_timeout), "--grace", str(self.grace),
                "--memory-mb", str(self.memory_mb), "--nproc", str(self.nproc),
                "--cpu-seconds", str(2 * self.total_timeout + 60), "--file-mb", str(self.file_mb),
                "--cell-output-kb", str(self.cell_output_kb), "--notebook-output-kb", str(self.notebook_output_kb)]


@dataclasses.dataclass
class Execution:
    """What came back from one execution (``reply`` is the executor's JSON, None when it gave none)."""
    reply: dict | None
    killed: bool            # the wall-clock limit was hit and the process group was killed
    returncode: int | None
    stderr: str
    seconds: float
    sandboxed: bool


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def sandbox_status() -> tuple[bool, str]:
    """(usable, reason): bubblewrap sandboxing needs the bwrap binary, root (to drop to slot uids), setpriv, and
    a kernel/container that lets bwrap create the namespaces (tried once per process)."""
    if not sys.platform.startswith("linux"):
        return False, "not Linux"
    if bwrap_path() is None:
        return False, "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    if os.geteuid() != 0:
        return False, "grading must run as root to drop student code to an unprivileged uid"
    if shutil.which("setpriv") is None:
        return False, "setpriv (util-linux) is missing"
    probe = [bwrap_path(), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--die-with-parent",
             "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
             "setpriv", "--reuid", str(SLOT_UID_BASE), "--regid", str(SLOT_UID_BASE), "--clear-groups", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"bubblewrap does not run here ({err})"
    if done.returncode != 0:
        return False, f"bubblewrap cannot create its namespaces here: {done.stderr.strip()[:200]}"
    return True, "bubblewrap"


def _python_roots() -> list[Path]:
    """Folders the interpreter needs: the venv, the base installation, the real executable's folder."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
             Path(os.path.realpath(sys.executable)).parent.parent}
    return sorted(roots)


def _student_packages() -> list[Path]:
    """The two floors a submission may import: the algorithm library and the course runtime (never the
    instructor's package, whose folder holds the course's tools)."""
    import metaopt_course
    import metaopt_lib

    return [Path(m.__file__).resolve().parent for m in (metaopt_lib, metaopt_course)]


def _dirs_for(paths: list[Path]) -> list[str]:
    """``--dir`` arguments (mode 0755) for every ancestor of the bind targets, so the slot uid can traverse them."""
    args, seen = [], {"/"}
    for path in paths:
        for parent in reversed(path.parents):
            s = str(parent)
            if s in seen or s in ("/usr", "/etc", "/tmp", "/dev", "/proc"):
                continue
            seen.add(s)
            args += ["--perms", "0755", "--dir", s]
    return args


def bwrap_command(files_from: Path | None, uid: int, limits: Limits) -> list[str]:
    """The bubblewrap command line running the executor as ``uid``; its only writable places are two size-limited
    tmpfs (the work folder, holding read-only binds of the assignment's extra files, and /tmp)."""
    cmd = [bwrap_path(), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            cmd += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            cmd += ["--ro-bind", str(top), str(top)]
    binds = [p for p in _python_roots() if not str(p).startswith(("/usr/", "/etc/"))] + _student_packages()
    binds = [p for i, p in enumerate(binds) if not any(p != q and q in p.parents for q in binds)]
    size = str(limits.disk_mb * 1024 * 1024 // 2)
    cmd += ["--dev", "/dev", "--proc", "/proc", "--size", size, "--tmpfs", "/tmp", "--chmod", "1777", "/tmp"]
    cmd += _dirs_for(binds + [Path(SANDBOX_HOME) / "work", Path("/opt/metaopt/executor.py")])
    for path in binds:
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--size", size, "--perms", "0777", "--tmpfs", f"{SANDBOX_HOME}/work"]
    for path in _extra_files(files_from):
        cmd += ["--ro-bind", str(path), f"{SANDBOX_HOME}/work/{path.name}"]
    cmd += ["--ro-bind", str(EXECUTOR), "/opt/metaopt/executor.py",
            "--chdir", f"{SANDBOX_HOME}/work", "--hostname", "sandbox"]
    cmd += ["--clearenv"]
    for key, value in _sandbox_env(f"{SANDBOX_HOME}/work").items():
        cmd += ["--setenv", key, value]
    cmd += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--",
            sys.executable, "/opt/metaopt/executor.py", "--workdir", f"{SANDBOX_HOME}/work"]
    return cmd + limits.executor_args()


def _extra_files(folder: Path | None) -> list[Path]:
    """The assignment folder's entries other than notebooks (data files the notebook reads)."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix != ".ipynb" and p.name != ".ipynb_checkpoints"
                  and not p.is_symlink())


def _sandbox_env(home: str) -> dict[str, str]:
    return {"HOME": "/tmp", "TMPDIR": "/tmp", "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": os.pathsep.join(sorted({str(p.parent) for p in _student_packages()})),
            "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/mpl",
            "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
            "JOBLIB_MULTIPROCESSING": "0", "JOBLIB_TEMP_FOLDER": "/tmp"}


def plain_command(scratch: Path, uid: int | None, limits: Limits) -> list[str]:
    """Unsandboxed fallback: the executor with rlimits, dropped to ``uid`` when we are root and setpriv exists."""
    cmd = []
    if uid is not None:
        cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--no-new-privs", "--"]
    return cmd + [sys.executable, str(EXECUTOR), "--workdir", str(scratch / "work")] + limits.executor_args()


def _world_reachable(path: Path) -> bool:
    """Whether any user may execute ``path`` (every folder above it searchable by others)."""
    real = Path(os.path.realpath(path))
    try:
        if not os.stat(real).st_mode & 0o001:
            return False
        return all(os.stat(parent).st_mode & 0o001 for parent in real.parents)
    except OSError:
        return False


def slot_uid(slot: int, sandboxed: bool) -> int | None:
    """The unprivileged uid of a worker slot, or None when we cannot drop privileges (not root, no setpriv, or —
    unsandboxed — an interpreter other users cannot reach, e.g. under /root)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    if not sandboxed and not _world_reachable(Path(sys.executable)):
        return None
    return run_uid_base() + slot % SLOTS_PER_RUN


def make_scratch(files_from: Path | None, uid: int | None) -> Path:
    """A fresh scratch folder; ``work/`` holds a copy of the assignment's extra files (not notebooks)."""
    scratch = Path(tempfile.mkdtemp(prefix="metaopt-grade-"))
    work = scratch / "work"
    if files_from is not None and files_from.is_dir():
        shutil.copytree(files_from, work, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    else:
        work.mkdir()
    os.chmod(scratch, 0o711)
    if uid is not None and os.geteuid() == 0:
        for path in [work, *work.rglob("*")]:
            os.lchown(path, uid, uid)
    return scratch


def _kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (only used for per-slot uids that nothing else runs as)."""
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found = True
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass
        if not found:
            return
        time.sleep(0.1)


@dataclasses.dataclass
class Started:
    """A sandboxed executor started for ONE notebook, its kernel warming up (torch and the library imported) until
    :func:`finish` sends the notebook; never reused (one process per submission)."""
    proc: subprocess.Popen
    uid: int | None
    scratch: Path | None
    sandboxed: bool
    limits: Limits
    files_from: Path | None


def start(files_from: Path | None, limits: Limits, slot: int = 0, sandbox: bool | None = None) -> Started:
    """Starts the executor of one notebook in a fresh sandbox (scratch folder) of ``slot``'s uid; it starts its
    kernel and imports what every notebook imports, then waits for the notebook on its stdin."""
    usable, _ = sandbox_status()
    sandboxed = usable if sandbox is None else (sandbox and usable)
    uid = slot_uid(slot, sandboxed)
    scratch = None if sandboxed else make_scratch(files_from, uid)
    cmd = bwrap_command(files_from, uid, limits) if sandboxed else plain_command(scratch, uid, limits)
    env = None if sandboxed else {**os.environ, **_sandbox_env(str(scratch / "work")),
                                  "HOME": str(scratch / "work"), "TMPDIR": str(scratch / "work"),
                                  "IPYTHONDIR": str(scratch / "work" / ".ipython"),
                                  "MPLCONFIGDIR": str(scratch / "work" / ".mpl")}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=str(scratch / "work") if scratch else "/", env=env, start_new_session=True)
    return Started(proc, uid, scratch, sandboxed, limits, files_from)


def finish(started: Started, notebook_json: bytes) -> Execution:
    """Sends the notebook to a started executor and waits for its reply (killing the sandbox at the submission's
    wall-clock limit); then every process of the slot's uid is killed and the scratch folder removed."""
    proc, limits = started.proc, started.limits
    begin = time.monotonic()
    killed = False
    try:
        # the warm-up may still be running: it has the set-up cell's limit on top of the submission's
        out, err = proc.communicate(notebook_json, timeout=limits.total_timeout + limits.setup_timeout + 30)
    except subprocess.TimeoutExpired:
        killed = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    finally:
        _clean(started)
    reply = None
    if not killed and out:
        try:
            reply = json.loads(out)
        except ValueError:
            reply = None
    return Execution(reply=reply, killed=killed, returncode=proc.returncode,
                     stderr=err.decode("utf-8", "replace")[-4000:], seconds=time.monotonic() - begin,
                     sandboxed=started.sandboxed)


def discard(started: Started) -> None:
    """Ends a started executor that will not get a notebook (the batch ended, or the next job needs other files)."""
    try:
        os.killpg(started.proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    started.proc.communicate()
    _clean(started)


def _clean(started: Started) -> None:
    if started.uid is not None:
        _kill_uid(started.uid)  # a background process that left the process group, or a namespace still dying
    if started.scratch is not None:
        shutil.rmtree(started.scratch, ignore_errors=True)


def execute(notebook_json: bytes, files_from: Path | None, limits: Limits, slot: int = 0,
            sandbox: bool | None = None) -> Execution:
    """Execute a prepared notebook (JSON bytes) in a fresh sandbox; never raises for student behaviour."""
    return finish(start(files_from, limits, slot, sandbox), notebook_json)
