"""Synthetic student submissions made from an assignment's released notebook and its solution.

Used by the sample class (``metaopt_instructor/sample_class/make.py``), the tests and the benchmark. Each kind is a
function ``(released, solution) -> notebook or bytes``; the notebook starts from the released version with the
solution's answers filled in (``### BEGIN/END SOLUTION`` markers removed), as a diligent student would submit.
"""

from __future__ import annotations

import copy
import re

import nbformat

from metaopt_course import cells

_MARKERS = re.compile(r"^[ \t]*(?:" + re.escape(cells.BEGIN_SOLUTION) + "|" + re.escape(cells.END_SOLUTION) + r")[ \t]*\n?", re.M)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def answer_source(source: str) -> str:
    """The solution's answer as a student would write it (solution markers removed)."""
    return _MARKERS.sub("", source)


def correct(released, solution):
    """The released notebook with every answer cell filled with the instructor's solution."""
    answers = {_meta(c).get("grade_id"): c.source for c in solution.cells if _meta(c).get("solution")}
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if _meta(cell).get("solution") and gid in answers:
            cell.source = answer_source(answers[gid])
    return nb


def _code_answers(nb) -> list:
    return [c for c in nb.cells if cells.is_answer_cell(c)]


def _test_cells(nb) -> list:
    return [c for c in nb.cells if cells.is_test_cell(c)]


def partly_wrong(released, solution):
    """Correct except the last code answer, left as released (the stub raises NotImplementedError)."""
    nb = correct(released, solution)
    stub = {_meta(c).get("grade_id"): c.source for c in released.cells}
    last = _code_answers(nb)[-1]
    last.source = stub[_meta(last)["grade_id"]]
    return nb


def raising(released, solution):
    """Every code answer raises before defining anything (a student's bug): all autograded tests fail."""
    nb = correct(released, solution)
    for cell in _code_answers(nb):
        cell.source = "raise RuntimeError('student bug / ошибка студента')\n\n" + cell.source
    return nb


def hanging(released, solution):
    """The first code answer loops forever at the top level (one cell time-out; later tests then fail)."""
    nb = correct(released, solution)
    first = _code_answers(nb)[0]
    first.source = "import time\nwhile True:\n    time.sleep(0.5)\n\n" + first.source
    return nb


def deleted_test(released, solution):
    """Correct answers, the first test cell deleted (restored by the grader, marked tampered)."""
    nb = correct(released, solution)
    victim = _test_cells(nb)[0]
    nb.cells = [c for c in nb.cells if c is not victim]
    return nb


def edited_test(released, solution):
    """Answers partly wrong, every test cell's checks replaced by ``pass`` (restored, marked tampered)."""
    nb = partly_wrong(released, solution)
    for cell in _test_cells(nb):
        cell.source = "pass  # the tests are fine / тесты в порядке\n"
    return nb


def helpers_replaced(released, solution):
    """Correct answers plus code that replaces NumPy's and torch's comparison helpers. Harmless now (the verdict is
    not decided in the kernel): graded on its values like anybody else."""
    nb = correct(released, solution)
    first = _code_answers(nb)[0]
    first.source += ("\n\nimport numpy as _np, torch as _torch\n"
                     "_np.allclose = lambda *a, **k: True\n_torch.allclose = lambda *a, **k: True\n"
                     "_np.testing.assert_allclose = lambda *a, **k: None\n")
    return nb


def silenced_errors(released, solution):
    """Partly wrong answers plus code that hides every error output: the wrong answers still fail."""
    nb = partly_wrong(released, solution)
    first = _code_answers(nb)[0]
    first.source += ("\n\n_ip = get_ipython()\n_ip.showtraceback = lambda *a, **k: None\n"
                     "_ip._showtraceback = lambda *a, **k: None\n")
    return nb


# --- attacks on the grader (issue: verdicts decided outside the kernel). Each starts from WRONG answers (every code
# answer replaced by a function returning zeros), so any point it earns is a forged one.
_REPORT = cells.REPORT_MIME
_ZERO_ANSWER = "def {name}(*args, **kwargs):\n    return 0.0\n"


def _wrong(released, solution):
    nb = correct(released, solution)
    for cell in _code_answers(nb):
        names = re.findall(r"^def (\w+)\(", cell.source, re.M)
        cell.source = "\n".join(_ZERO_ANSWER.format(name=n) for n in names) or "pass\n"
    return nb


def _attack(released, solution, code: str):
    nb = _wrong(released, solution)
    first = _code_answers(nb)[0]
    first.source += "\n\n" + code
    return nb


def forged_checks(released, solution):
    """Wrong answers; the check functions redefined in the notebook's namespace to report the visible expected
    values, and hidden probes reporting a guess (what the old design's test cells looked up by name)."""
    return _attack(released, solution, f"""
import json as _json
from IPython.display import publish_display_data as _pub
def _send(name, value):
    _pub({{{_REPORT!r}: _json.dumps({{"name": name, "value": value}})}})
def _plain(v):
    return v.tolist() if hasattr(v, "tolist") else v
def check_close(name, value, expected, **kw):
    _send(name, _plain(expected))
def check_true(name, condition, message=""):
    _send(name, True)
def probe(name, value, **kw):
    _send(name, 1.0)
""")


def patched_internals(released, solution):
    """Wrong answers; the grading module's internals replaced: comparisons always true, every report rewritten."""
    return _attack(released, solution, """
import metaopt_course.grading as _g
_g.values_close = lambda *a, **k: True
_orig = _g._report
_g._report = lambda entry: _orig({**entry, "value": 1.0})
""")


def double_reports(released, solution):
    """Wrong answers; every check reported twice, once with the visible expected value: a report a correct
    notebook never sends (marked tampered), and still no point."""
    return _attack(released, solution, f"""
import json as _json
import metaopt_course.grading as _g
from IPython.display import publish_display_data as _pub
_orig_close = _g.check_close
def check_close(name, value, expected, **kw):
    _pub({{{_REPORT!r}: _json.dumps({{"name": name, "value": expected.tolist() if hasattr(expected, "tolist") else expected}})}})
    _orig_close(name, value, expected, **kw)
""")


def leaking_hook(released, solution):
    """Correct answers; an IPython hook prints every cell's source base64-encoded, right away and again in the
    next cell (the old design put the hidden tests into the feedback this way)."""
    nb = correct(released, solution)
    first = _code_answers(nb)[0]
    first.source += """

import base64 as _b64
_seen = []
def _leak(info):
    _seen.append(_b64.b64encode(info.raw_cell.encode()).decode())
    print("LEAK " + " ".join(_seen))
get_ipython().events.register("pre_run_cell", _leak)
"""
    return nb


def huge_output(released, solution):
    """Correct answers; 200 × 1 MB written to stdout (bounded in bytes by the executor)."""
    nb = correct(released, solution)
    _code_answers(nb)[0].source += "\n\nfor _i in range(200):\n    print('x' * 1_000_000)\n"
    return nb


def sigint_proof_hang(released, solution):
    """Correct answers, then an endless loop that ignores the interrupt (killed after the cell limit + grace)."""
    nb = correct(released, solution)
    _code_answers(nb)[0].source += ("\n\nimport signal as _signal\n_signal.signal(_signal.SIGINT, _signal.SIG_IGN)\n"
                                    "while True:\n    pass\n")
    return nb


def descriptor_flood(released, solution):
    """Correct answers, then junk written to every descriptor of the kernel (its sockets to the executor)."""
    nb = correct(released, solution)
    _code_answers(nb)[0].source += ("\n\nimport os as _os\nfor _fd in range(3, 256):\n    try:\n"
                                    "        _os.write(_fd, b'\\x00' * 65536)\n    except OSError:\n        pass\n"
                                    "import time as _time\n_time.sleep(3600)\n")
    return nb


def exits(released, solution):
    """Correct answers, then ``sys.exit(0)`` (crashed, not graded)."""
    nb = correct(released, solution)
    _code_answers(nb)[0].source += "\n\nimport sys as _sys\n_sys.exit(0)\n"
    return nb


def hard_exit(released, solution):
    """Correct answers, then ``os._exit(0)``: the kernel dies (crashed)."""
    nb = correct(released, solution)
    _code_answers(nb)[0].source += "\n\nimport os as _os\n_os._exit(0)\n"
    return nb


def not_json(released, solution) -> bytes:
    """A truncated notebook (what a crashed editor leaves behind)."""
    text = nbformat.writes(correct(released, solution))
    return text[: len(text) // 2].encode("utf-8")


KINDS = {f.__name__: f for f in (correct, partly_wrong, raising, hanging, deleted_test, edited_test,
                                 helpers_replaced, silenced_errors, not_json)}
ATTACKS = {f.__name__: f for f in (forged_checks, patched_internals, double_reports, leaking_hook, huge_output,
                                   sigint_proof_hang, descriptor_flood, exits, hard_exit)}


def to_bytes(result) -> bytes:
    return result if isinstance(result, bytes) else nbformat.writes(result).encode("utf-8")
