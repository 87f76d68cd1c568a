"""The grading sandbox itself (metaopt_instructor/sandbox.py + executor.py) on small notebooks without torch.

Needs bubblewrap and root (CI installs bubblewrap and runs as root); skipped with the reason otherwise, except the
unsandboxed fallback, which runs anywhere.
"""

from __future__ import annotations

import json
import os
import shutil

import nbformat
import pytest

from metaopt_instructor import sandbox
from metaopt_instructor.course import REPO_ROOT

USABLE, REASON = sandbox.sandbox_status()
needs_sandbox = pytest.mark.skipif(not USABLE, reason=f"no grading sandbox here: {REASON}")
pytestmark = [pytest.mark.sandbox, pytest.mark.xdist_group("sandbox"), pytest.mark.serial_heavy]
MARKER = "SECRET-HIDDEN-TEST-41c2"


def _run(cells: list[str], slot: int, sandbox_mode=True, **limits) -> sandbox.Execution:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    return sandbox.execute(nbformat.writes(nb).encode(), None, sandbox.Limits(**limits), slot=slot,
                           sandbox=sandbox_mode)


def _outputs(ex: sandbox.Execution, index: int) -> str:
    cell = ex.reply["notebook"]["cells"][index]
    return "".join(o.get("text", "") + o.get("ename", "") + o.get("evalue", "") for o in cell["outputs"])


def _slot_processes(slot: int) -> list[int]:
    uid = sandbox.run_uid_base() + slot
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _uid(p) == uid]


def _uid(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


PROBE = f"""
import json, os, socket
r = {{"uid": os.getuid(), "root_listing": sorted(os.listdir({str(REPO_ROOT)!r}))}}
def attempt(key, fn):
    try:
        fn()
        r[key] = "SUCCEEDED"
    except BaseException as err:
        r[key] = type(err).__name__
attempt("gradebook", lambda: open({str(REPO_ROOT / 'var' / 'gradebook.db')!r}, "rb").read(1))
attempt("solutions", lambda: os.listdir({str(REPO_ROOT / 'solutions')!r}))
attempt("nbgrader_config", lambda: open({str(REPO_ROOT / 'nbgrader_config.py')!r}).read())
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("write_usr", lambda: open("/usr/pwned", "w"))
attempt("write_venv", lambda: open(os.path.join(os.path.dirname(os.__file__), "pwned.py"), "w"))
attempt("parent_fd", lambda: os.listdir(f"/proc/{{os.getppid()}}/fd"))
attempt("parent_mem", lambda: open(f"/proc/{{os.getppid()}}/mem", "rb").read(1))
open("scratch.txt", "w").write("mine")
found = []
for top in ("/tmp", os.getcwd(), "/home", "/opt"):
    for folder, _, files in os.walk(top):
        for name in files:
            try:
                if b"{MARKER[:12]}" + b"{MARKER[12:]}" in open(os.path.join(folder, name), "rb").read():
                    found.append(os.path.join(folder, name))
            except OSError:
                pass
r["marker_files"] = found
print("PROBE " + json.dumps(r))
"""


@needs_sandbox
def test_student_code_sees_nothing_of_the_course():
    ex = _run([PROBE, f"# hidden test: {MARKER}\nprint('second cell ran')"], slot=40, cell_timeout=60)
    assert ex.sandboxed and ex.reply is not None, ex.stderr
    line = next(ln for ln in _outputs(ex, 0).splitlines() if ln.startswith("PROBE "))
    r = json.loads(line[6:])
    assert r["uid"] == sandbox.run_uid_base() + 40 and r["uid"] != 0
    # the course folder shows the two student floors only: no instructor's tools, no var/, no solutions
    assert r["root_listing"] == sorted({".venv", "metaopt_lib", "metaopt_course"} & set(r["root_listing"])), \
        r["root_listing"]
    assert {"metaopt_lib", "metaopt_course"} <= set(r["root_listing"])
    for key in ("gradebook", "solutions", "nbgrader_config", "network", "write_usr", "write_venv",
                "parent_fd", "parent_mem"):
        assert r[key] != "SUCCEEDED", (key, r)
    assert r["marker_files"] == []
    assert "second cell ran" in _outputs(ex, 1)


@needs_sandbox
def test_memory_and_fork_storm_yield_errors_not_a_dead_batch():
    cells = [
        "try:\n    x = bytearray(16 * 1024**3)\n    print('ALLOCATED')\nexcept MemoryError:\n    print('MEMORY LIMIT')",
        "import os, time\nn = 0\ntry:\n    for _ in range(500):\n        pid = os.fork()\n"
        "        if pid == 0:\n            time.sleep(60)\n            os._exit(0)\n        n += 1\n"
        "except OSError as err:\n    print('PROCESS LIMIT', type(err).__name__, n)",
        "n = 0\ntry:\n    with open('big.bin', 'wb') as fh:\n        for _ in range(64):\n"
        "            fh.write(bytes(16 * 1024**2))\n            fh.flush()\n            n += 16\n"
        "except OSError as err:\n    print('DISK LIMIT', type(err).__name__, n)",
        "print('still alive')",
    ]
    ex = _run(cells, slot=41, cell_timeout=60, memory_mb=2048, nproc=64, file_mb=512, disk_mb=256)
    assert ex.reply is not None, ex.stderr
    assert "MEMORY LIMIT" in _outputs(ex, 0)
    assert "PROCESS LIMIT" in _outputs(ex, 1)
    assert "DISK LIMIT" in _outputs(ex, 2)
    assert "still alive" in _outputs(ex, 3)
    assert _slot_processes(41) == []  # the forked children died with the sandbox


@needs_sandbox
def test_hang_that_ignores_interrupts_is_stopped_by_the_time_limits():
    cells = ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
             "print('never')"]
    ex = _run(cells, slot=42, cell_timeout=5, total_timeout=300, grace=5)
    # interrupted at 5 s, ignored, killed 5 s later: the worker is free long before the submission limit
    assert ex.reply is not None, ex.stderr
    assert ex.reply["timeouts"] == [0] and ex.reply["killed"] == [0], ex.reply
    assert ex.seconds < 5 + 5 + 30
    assert "never" not in _outputs(ex, 1)
    assert _slot_processes(42) == []


def test_a_kernel_with_flooded_descriptors_frees_the_worker_within_the_limit_plus_grace():
    """Junk written to every descriptor of the kernel (its sockets to the executor), then a sleep: interrupted at the
    cell limit, killed after the grace, and the executor replies even if its client never notices the death."""
    flood = ("import os, time\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'\\x00' * 65536)\n"
             "    except OSError:\n        pass\ntime.sleep(3600)")
    ex = _run([flood, "print('never')"], slot=45, sandbox_mode=USABLE, cell_timeout=5, total_timeout=300, grace=3)
    assert ex.reply is not None, ex.stderr
    # either the client chokes on the junk (an error: the submission is `crashed`) or the cell times out and the
    # kernel is killed; both end within the cell limit plus the grace
    assert ex.reply["error"] or 0 in ex.reply["timeouts"], {k: v for k, v in ex.reply.items() if k != "notebook"}
    assert ex.reply["cell_seconds"].get("0", 0) < 5 + 3 + 5, ex.reply["cell_seconds"]
    assert ex.seconds < 5 + 3 + 40
    assert _slot_processes(45) == []


REPORT = ("from IPython.display import publish_display_data as p\n"
          "p({'application/vnd.metaopt.check+json': '{\"name\": \"t:%s\", \"value\": 1}'})\n")


def _test_cell(source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 1,
                                 "schema_version": 3, "task": False}
    return cell


def test_reports_leave_only_test_cells_and_output_is_bounded_in_bytes():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(REPORT % "from_answer" + "print('x' * 300_000)\nprint('y' * 300_000)"),
                _test_cell(REPORT % "from_test" + "print('in test')")]
    limits = sandbox.Limits(cell_timeout=60, cell_output_kb=400, notebook_output_kb=8192)
    ex = sandbox.execute(nbformat.writes(nb).encode(), None, limits, slot=44, sandbox=USABLE)
    assert ex.reply is not None, ex.stderr
    assert ex.reply["reports"] == {"1": ['{"name": "t:from_test", "value": 1}']}
    cells = ex.reply["notebook"]["cells"]
    assert not any("application/vnd.metaopt.check+json" in json.dumps(c["outputs"]) for c in cells)
    first = _outputs(ex, 0)
    assert "output cut" in first and "y" * 1000 not in first
    assert "in test" in _outputs(ex, 1)


def test_unsandboxed_fallback_still_runs_with_limits():
    ex = _run(["print(6 * 7)", "1/0", "print('after error')"], slot=43, sandbox_mode=False, cell_timeout=60)
    assert not ex.sandboxed
    assert ex.reply is not None, ex.stderr
    assert "42" in _outputs(ex, 0)
    assert "ZeroDivisionError" in _outputs(ex, 1)
    assert "after error" in _outputs(ex, 2)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_a_bwrap_that_cannot_create_namespaces_means_no_sandbox(monkeypatch):
    """In a container that forbids namespaces bwrap exists but fails: grading must fall back, not crash."""
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: "/bin/false")
    sandbox.sandbox_status.cache_clear()
    try:
        usable, reason = sandbox.sandbox_status()
    finally:
        sandbox.sandbox_status.cache_clear()
    assert not usable and "cannot create its namespaces" in reason


def _seeded(cells: list[str], seed: int) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["metaopt_grading"] = {"seed": seed}
    return nbformat.writes(nb).encode()


LEAVE_TRACES = """import os, sys, metaopt_course.grading as g
SECRET_OF_A = 41
os.environ['LEFT_BY_A'] = '1'
open('/tmp/left_by_a', 'w').write('a')
open('left_by_a', 'w').write('a')
sys.modules['left_by_a'] = sys
g.set_hidden_seed(7)
print('A', g.hidden_seed())"""

LOOK_FOR_TRACES = """import json, os, sys, metaopt_course.grading as g
print('B ' + json.dumps({"names": sorted(k for k in globals() if 'metaopt' in k or k == 'SECRET_OF_A'),
    "env": [k for k in os.environ if k == 'LEFT_BY_A' or 'SEED' in k],
    "files": [p for p in ('/tmp/left_by_a', 'left_by_a') if os.path.exists(p)],
    "module": 'left_by_a' in sys.modules, "seed": g.hidden_seed(), "torch_ready": 'torch' in sys.modules,
    "count": get_ipython().execution_count}))"""


def test_warm_sandboxes_start_ahead_and_serve_one_notebook_each():
    """The next notebook's sandbox is started (kernel up, torch imported) while the current one runs; it starts
    from nothing of the previous notebook (one process per notebook), and gets its own seed, set silently."""
    from metaopt_instructor.execution import Sandboxes

    limits = sandbox.Limits(cell_timeout=60)
    boxes = Sandboxes(1, USABLE, first_slot=46)
    boxes.warm_up(None, limits, 1)
    try:
        results = []
        for cells, seed in (([LEAVE_TRACES], 1234), ([LOOK_FOR_TRACES], 5678)):
            boxes.expect(None, limits)
            results.append(boxes.execute(_seeded(cells, seed), None, limits))
            # the warm sandbox of the next notebook is up beside the one that ran (the other slot of the lane)
            assert boxes._all[0].warm is None or boxes._all[0].warm[1].proc.poll() is None
    finally:
        boxes.close()
    a, b = results
    assert a.reply is not None and b.reply is not None, (a.stderr, b.stderr)
    assert "A 7" in _outputs(a, 0)
    line = next(ln for ln in _outputs(b, 0).splitlines() if ln.startswith("B "))
    seen = json.loads(line[2:])
    # the silent warm-up leaves no trace: the first cell is In[1], as in a fresh kernel (whose count reads 2 inside)
    assert seen == {"names": [], "env": [], "files": [], "module": False, "seed": 5678, "torch_ready": True,
                    "count": 2}, seen
    assert b.reply["notebook"]["cells"][0]["execution_count"] == 1
    if USABLE:
        assert _slot_processes(46) == [] and _slot_processes(47) == []


def test_an_unused_warm_sandbox_is_ended():
    from metaopt_instructor.execution import Sandboxes

    limits = sandbox.Limits(cell_timeout=60)
    boxes = Sandboxes(1, USABLE, first_slot=48)
    boxes.warm_up(None, limits, 1)
    warm = boxes._all[0].warm[1]
    boxes.close()
    assert warm.proc.poll() is not None
    if USABLE:
        assert _slot_processes(48) == [] and _slot_processes(49) == []
