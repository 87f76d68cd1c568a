"""One door for every generated file: ``make generate`` rebuilds them, ``make check`` (``scripts/generated.py``)
verifies them against ``generated.json`` in seconds. The check is run here the way ``make check`` runs it (a
subprocess), on the repository and on a copy of it in which one generated file at a time is edited by hand."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generated.py"
MANIFEST = json.loads((ROOT / "generated.json").read_text(encoding="utf-8"))["files"]


def run_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "check", "--root", str(root)], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def course(tmp_path) -> Path:
    """A copy of every file the manifest names (generated files and their inputs), and every lecture and
    assignment source: enough for the check, which sees only these."""
    paths = set(MANIFEST) | {"generated.json"}
    for entry in MANIFEST.values():
        paths |= set(entry.get("inputs", {}))
    for pattern in ("lectures/src/*.py", "scripts/assignment_sources/*.py"):
        paths |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)}
    for rel in paths:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_check_passes_on_the_repository():
    start = time.perf_counter()
    result = run_check(ROOT)
    print(f"scripts/generated.py check: {time.perf_counter() - start:.1f} s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(MANIFEST)} generated files match" in result.stdout


def test_check_passes_on_the_copy_the_other_tests_edit(course):
    result = run_check(course)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_kind_of_generated_file_is_in_the_manifest():
    by = {entry["by"] for entry in MANIFEST.values()}
    assert by == {"make lectures", "make solutions", "make assignments", "make sample-class", "make environment"}
    for path in ("environment.yml", "metaopt_instructor/sample_class/roster.csv", "lectures/ru/00_notation.ipynb",
                 "solutions/theory_1/theory_1.ipynb", "assignments/practice_1/practice_1.ipynb"):
        assert path in MANIFEST, path


def _edit_notebook(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    cell["source"] = "".join(cell["source"]) + "\nA line added by hand."
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _edit_text(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n")


@pytest.mark.parametrize("path, edit, command, downstream", [
    ("lectures/en/01_hyperparameters.ipynb", _edit_notebook, "make lectures", []),
    # a solution notebook is also the input of its release, which is then out of date
    ("solutions/theory_2/theory_2.ipynb", _edit_notebook, "make solutions", ["assignments/theory_2/theory_2.ipynb"]),
    ("assignments/theory_1/theory_1.ipynb", _edit_notebook, "make assignments", []),
    ("metaopt_instructor/sample_class/roster.csv", _edit_text, "make sample-class", []),
    ("metaopt_instructor/sample_class/submissions/s02.zip", _edit_text, "make sample-class", []),
    ("environment.yml", _edit_text, "make environment", []),
])
def test_check_names_a_hand_edited_file_and_its_command(course, path, edit, command, downstream):
    edit(course / path)
    result = run_check(course)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(path + ":")]
    assert len(lines) == 1, result.stdout
    assert "edited by hand" in lines[0] and lines[0].endswith(f"run `{command}`"), lines[0]
    blamed = sorted(line.split(":")[0] for line in result.stdout.splitlines() if "problem(s)" not in line)
    assert blamed == sorted([path, *downstream]), result.stdout  # nothing else is blamed
    for other in downstream:
        assert f"out of date: {path} changed" in result.stdout


def test_a_changed_source_makes_its_outputs_stale(course):
    src = course / "lectures" / "src" / "02_evidence_gd.py"
    src.write_text(src.read_text(encoding="utf-8") + "\n# %%\nx = 1\n", encoding="utf-8")
    requirements = course / "requirements.txt"
    requirements.write_text(requirements.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = run_check(course)
    assert result.returncode == 1
    stale = sorted(line.split(":")[0] for line in result.stdout.splitlines() if "out of date" in line)
    assert stale == ["environment.yml", "lectures/en/02_evidence_gd.ipynb", "lectures/ru/02_evidence_gd.ipynb"], \
        result.stdout
    assert "make lectures && make environment" in result.stdout.splitlines()[-1]


def test_missing_unrecorded_and_orphaned_files_are_named(course):
    (course / "assignments" / "theory_3" / "theory_3.ipynb").unlink()
    shutil.copy(course / "lectures" / "src" / "00_notation.py", course / "lectures" / "src" / "09_new.py")
    (course / "solutions" / "stray").mkdir()
    (course / "solutions" / "stray" / "stray.ipynb").write_text("{}", encoding="utf-8")
    result = run_check(course)
    assert result.returncode == 1
    out = result.stdout
    assert re.search(r"^assignments/theory_3/theory_3.ipynb: missing — run `make assignments`$", out, re.M), out
    assert re.search(r"^lectures/en/09_new.ipynb: missing — run `make lectures`$", out, re.M), out
    assert re.search(r"^solutions/stray/stray.ipynb: in a generated folder but made by no source", out, re.M), out
    assert re.search(r"^assignments/stray/stray.ipynb: missing — run `make assignments`$", out, re.M), out


def test_a_lecture_run_and_saved_is_not_an_edit(course):
    """Outputs and run metadata are not the source's business (the same rule as `metaopt lectures check`)."""
    path = course / "lectures" / "ru" / "03_hypergradients.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = n + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
    nb["metadata"]["language_info"]["version"] = "3.11.9"
    path.write_text(json.dumps(nb, indent=2), encoding="utf-8")
    result = run_check(course)
    assert result.returncode == 0, result.stdout


def test_record_rewrites_the_manifest_the_check_then_accepts(course):
    _edit_text(course / "environment.yml")
    assert run_check(course).returncode == 1
    subprocess.run([sys.executable, str(SCRIPT), "record", "environment", "--root", str(course)], check=True,
                   capture_output=True, timeout=120)
    assert run_check(course).returncode == 0
    recorded = json.loads((course / "generated.json").read_text(encoding="utf-8"))["files"]
    assert set(recorded) == set(MANIFEST)  # the other groups' entries are kept as they were
    assert {p: e for p, e in recorded.items() if p != "environment.yml"} == \
        {p: e for p, e in MANIFEST.items() if p != "environment.yml"}


# --- the make targets ---------------------------------------------------------------------------------------------

def _make_dry_run(*targets: str) -> str:
    if not shutil.which("make"):
        pytest.skip("no make")
    return subprocess.run(["make", "-n", "--no-print-directory", *targets], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True).stdout


def _targets() -> list[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^([a-z][a-z-]*):", text, re.M)))


def test_make_generate_runs_every_generator_in_dependency_order():
    out = _make_dry_run("generate")
    steps = ["-m metaopt_course lectures build", "scripts/generated.py record lectures",
             "scripts/make_assignment_notebook.py", "scripts/generated.py record solutions",
             "-m metaopt_instructor grade release", "scripts/generated.py record assignments",
             "-m metaopt_instructor.sample_class.make", "scripts/generated.py record sample-class",
             "scripts/sync_environment.py", "scripts/generated.py record environment"]
    positions = [out.find(step) for step in steps]
    assert -1 not in positions, out
    assert positions == sorted(positions), out
    assert "scripts/generated.py check" in _make_dry_run("check")


def test_make_help_lists_every_target():
    if not shutil.which("make"):
        pytest.skip("no make")
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    named = set(re.findall(r"^make ([a-z][a-z-]*)", listed, re.M))
    assert set(_targets()) == named, (sorted(set(_targets()) - named), sorted(named - set(_targets())))


def test_benchmark_peers_stay_out_of_the_test_venv():
    out = _make_dry_run("bench", "mutation")
    installs = [line for line in out.splitlines() if "pip install" in line]
    assert any("requirements-bench.txt" in line for line in installs), out
    assert all(line.startswith(".venv-bench/") for line in installs), installs
    runs = [line for line in out.splitlines() if "benchmarks/" in line]
    assert runs and all(".venv-bench/bin/python" in line for line in runs), runs


def test_ci_checks_the_generated_files_before_the_tests():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert "make check" in lines and "make test" in lines
    assert lines.index("make check") < lines.index("make test")


def test_every_generated_file_says_what_generates_it():
    """Notebooks: notebook metadata ``metaopt.generated`` (nbgrader keeps it in the release); environment.yml: its
    header comment; the sample class (a CSV read by programs, zips): the folder's README.md, written by its script."""
    marks = {}
    for path, entry in MANIFEST.items():
        command = entry["by"]
        if path.startswith("metaopt_instructor/sample_class/"):
            mark = (ROOT / "metaopt_instructor" / "sample_class" / "README.md").read_text(encoding="utf-8")
        elif path.endswith(".ipynb"):
            meta = json.loads((ROOT / path).read_text(encoding="utf-8"))["metadata"]["metaopt"]
            mark = meta["generated"]
            source = {"make lectures": "lectures/src/", "make solutions": "scripts/assignment_sources/",
                      "make assignments": "scripts/assignment_sources/"}[command]
            assert meta["source"].startswith(source) and (ROOT / meta["source"]).is_file(), (path, meta)
        else:
            mark = (ROOT / path).read_text(encoding="utf-8").splitlines()[0]
            assert mark.startswith("# generated by"), (path, mark)
        assert f"`{command}`" in mark and ("do not edit" in mark or "not this file" in mark), (path, mark)
        marks[command] = mark
    assert len(marks) == 5
