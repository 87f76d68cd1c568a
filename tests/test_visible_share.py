"""benchmarks/visible_share.py on a tiny course of its own: a wrong answer the visible check catches, one it
misses (only hidden inputs would show it), and one whose cell raises — the share is counted by hand."""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

ANSWER = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
TEST = ('import torch\nfrom metaopt_course.grading import check_close, probe, hidden_generator\n'
        'check_close("test_double:three", double(3.0), 6.0)\n'
        '### BEGIN HIDDEN TESTS\n'
        'probe("test_double:hidden", double(50.0 + float(torch.rand(1, generator=hidden_generator(1)))))\n'
        '### END HIDDEN TESTS')


def _notebook(test_source: str, answer_source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import math", metadata={"nbgrader": {"grade_id": "setup", "locked": True,
                                                                          "grade": False, "solution": False}}),
        nbformat.v4.new_code_cell(answer_source, metadata={"nbgrader": {"grade_id": "double", "solution": True,
                                                                          "grade": False, "locked": False}}),
        nbformat.v4.new_code_cell(test_source, metadata={"nbgrader": {"grade_id": "test_double", "grade": True,
                                                                        "solution": False, "locked": True,
                                                                        "points": 1}}),
        nbformat.v4.new_code_cell('from metaopt_course.selfcheck import run_checks\nrun_checks("toy")',
                                  metadata={"nbgrader": {"grade_id": "selfcheck", "locked": True,
                                                         "grade": False, "solution": False}}),
    ]
    return nb


def test_share_on_a_tiny_table(tmp_path):
    for folder, test, answer in (("solutions", TEST, ANSWER),
                                 ("assignments", TEST.split("### BEGIN HIDDEN")[0].rstrip(),
                                  "def double(x):\n    raise NotImplementedError()")):
        (tmp_path / folder / "toy").mkdir(parents=True)
        nbformat.write(_notebook(test, answer), tmp_path / folder / "toy" / "toy.ipynb")
    table = tmp_path / "mutants_toy.py"
    table.write_text(
        "MUTANTS = {'toy': [\n"
        "    ('double', 'def double(x):\\n    return 3 * x', {'test_double'}),\n"           # visible catches it
        "    ('double', 'def double(x):\\n    return 2 * x if x < 10 else x', {'test_double'}),\n"  # hidden only
        "    ('double', 'def double(x) return 2 * x', {'test_double'}),\n"                # a syntax error
        "]}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "visible_share.py"), "--root", str(tmp_path),
                          "--mutants", str(table)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert sum(line.strip().startswith("caught") for line in lines) == 2
    assert sum(line.strip().startswith("MISSED") for line in lines) == 1
    assert "toy: 2/3 caught by visible checks (67%" in out.stdout
    assert "overall: 2/3 caught" in out.stdout


def test_a_solution_failing_its_visible_check_is_left_out(tmp_path):
    for folder in ("solutions", "assignments"):
        (tmp_path / folder / "toy").mkdir(parents=True)
        nbformat.write(_notebook('from metaopt_course.grading import check_close\n'
                                 'check_close("test_double:three", double(3.0), 7.0)', ANSWER),
                       tmp_path / folder / "toy" / "toy.ipynb")
    table = tmp_path / "m.py"
    table.write_text("MUTANTS = {'toy': [('double', 'def double(x):\\n    return x', {'test_double'})]}\n")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "visible_share.py"), "--root", str(tmp_path),
                          "--mutants", str(table)], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert "correct solution fails visible cells ['test_double']" in out.stdout
    assert "overall: 0/0" in out.stdout
