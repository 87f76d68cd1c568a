"""Generic checks of every nbgrader assignment in ``solutions/<name>/<name>.ipynb``.

Static checks (cheap): metadata names the assignment, cell metadata is consistent, check names carry their test
cell's grade id, instructions are bilingual, theory notebooks balance manual and automatic points, the released
notebook carries no solution nor hidden test, the jupytext source (when there is one) matches the notebook.

Pipeline checks (one test per assignment, xdist-friendly): in a temporary course folder, nbgrader's Python API
generates the student version (which must equal ``assignments/<name>/``), autogrades the instructor's solution
(full marks on every autograded cell, no error anywhere, every recorded check passed) and the blank released
notebook (runs to the end, setup cells do not raise, 0 on every autograded cell), each in under 60 s.
The repository's own ``var`` is never touched.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
RELEASED = ROOT / "assignments"
NAMES = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file()) if SOLUTIONS.is_dir() else []
THEORY = [n for n in NAMES if n.startswith("theory_")]
AUTOGRADE_LIMIT_S = 60.0
CHECK_CALL = re.compile(r"(?:check_close|check_true|probe)\(\s*f?[\"']([^\"':]+):")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")

if not NAMES:
    pytest.skip("no assignments in solutions/ yet", allow_module_level=True)


def _nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _source(name: str) -> nbformat.NotebookNode:
    return _nb(SOLUTIONS / name / f"{name}.ipynb")


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    m = _nbg(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def _is_manual(cell) -> bool:
    m = _nbg(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


def _is_answer(cell) -> bool:
    m = _nbg(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("grade")


def _strip_regions(text: str, begin: str, end: str) -> str:
    out, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------------------
# static checks
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_metadata_names_the_assignment(name):
    assert _source(name).metadata.get("metaopt", {}).get("assignment") == name
    released = RELEASED / name / f"{name}.ipynb"
    assert released.is_file(), f"{released} missing: run `nbgrader generate_assignment {name}`"
    assert _nb(released).metadata.get("metaopt", {}).get("assignment") == name


@pytest.mark.parametrize("name", NAMES)
def test_cells_are_consistent(name):
    nb = _source(name)
    ids = [_nbg(c).get("grade_id") for c in nb.cells if _nbg(c)]
    assert len(ids) == len(set(ids)), "duplicate grade ids"
    tests = [c for c in nb.cells if _is_test(c)]
    assert tests, "no autograded test cell"
    for cell in nb.cells:
        m = _nbg(cell)
        if m.get("grade"):
            assert float(m.get("points", 0)) > 0, f"graded cell {m['grade_id']} without points"
        if _is_test(cell):
            assert m.get("locked"), f"test cell {m['grade_id']} must be locked"
            names = CHECK_CALL.findall(cell.source)
            assert names, f"test cell {m['grade_id']} calls no check_close/check_true/probe"
            wrong = sorted({n for n in names if n != m["grade_id"]})
            assert not wrong, f"checks in {m['grade_id']} are named after another cell: {wrong}"
            bare = re.findall(r"^\s*assert\b", _strip_regions(cell.source, "BEGIN HIDDEN", "END HIDDEN"), re.M)
            assert not bare, f"test cell {m['grade_id']} uses bare assert; use metaopt_course.grading checks"
        if _is_answer(cell):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if cell.cell_type == "code" and ("### BEGIN SOLUTION" in cell.source):
            assert m.get("solution"), f"solution region in a non-solution cell {m.get('grade_id')}"


@pytest.mark.parametrize("name", NAMES)
def test_every_test_cell_probes_hidden_values(name):
    """A test cell passes only when its hidden probes match the reference's values: one without any can never pass."""
    for cell in _source(name).cells:
        if _is_test(cell):
            hidden = "\n".join(part.split("### END HIDDEN TESTS")[0]
                               for part in cell.source.split("### BEGIN HIDDEN TESTS")[1:])
            assert re.search(r"\bprobe\(", hidden), f"{_nbg(cell)['grade_id']}: no probe( in its hidden tests"


@pytest.mark.parametrize("name", NAMES)
def test_instructions_are_bilingual(name):
    for cell in _source(name).cells:
        if cell.cell_type != "markdown" or _is_manual(cell):
            continue
        text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", " ", cell.source, flags=re.S)
        assert CYRILLIC.search(text) and LATIN.search(text), \
            f"instruction cell is not in both languages:\n{cell.source[:200]}"


@pytest.mark.parametrize("name", NAMES)
def test_no_plotting_under_grading(name):
    code = "\n".join(c.source for c in _source(name).cells if c.cell_type == "code")
    if re.search(r"plt\.|ipywidgets|interact\(", code):
        assert "NBGRADER_EXECUTION" in code or "GRADING" in code, \
            "a notebook that plots must skip plots and widgets under nbgrader (NBGRADER_EXECUTION)"


@pytest.mark.parametrize("name", THEORY)
def test_theory_structure_and_balance(name):
    nb = _source(name)
    manual = sum(float(_nbg(c)["points"]) for c in nb.cells if _is_manual(c))
    auto = sum(float(_nbg(c)["points"]) for c in nb.cells if _is_test(c))
    assert manual > 0 and auto > 0
    assert 0.4 <= manual / (manual + auto) <= 0.6, f"manual {manual} vs auto {auto} points"
    assert sum(_is_answer(c) for c in nb.cells) >= 2, "at least two autograded functions"
    for cell in nb.cells:
        if _is_test(cell):
            assert "### BEGIN HIDDEN TESTS" in cell.source, f"{_nbg(cell)['grade_id']} has no hidden tests"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"rubric", text, re.I) and "Критерии оценивания" in text, "no grading rubric"


@pytest.mark.parametrize("name", THEORY)
def test_theory_hidden_tests_probe_per_student_inputs(name):
    """Hidden regions only probe the student's values on inputs from ``hidden_generator`` (no expected value, no
    verdict in the kernel, no fixed seed shared by all students); every check states its tolerances."""
    import ast

    for cell in _source(name).cells:
        if not _is_test(cell):
            continue
        gid = _nbg(cell)["grade_id"]
        hidden = "\n".join(cell.source.split("### BEGIN HIDDEN TESTS")[1:])
        assert "hidden_generator(" in hidden, f"{gid}: hidden inputs must come from hidden_generator"
        for banned in ("manual_seed", "torch.manual_seed", "check_close(", "check_true(", "torch.distributions",
                       "scipy.optimize", "metaopt_lib.evidence"):
            assert banned not in hidden, f"{gid}: hidden tests use {banned} (ground truth belongs in pytest)"
        assert re.search(r"\bprobe\(", hidden), f"{gid}: hidden tests probe nothing"  # how many: test_theory_grading
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("check_close", "probe"):
                given = {k.arg for k in node.keywords}
                assert {"rtol", "atol"} <= given, f"{gid}: {node.func.id} at line {node.lineno} without stated rtol/atol"


@pytest.mark.parametrize("name", NAMES)
def test_release_has_no_solution_nor_hidden_tests(name):
    folder = RELEASED / name
    src = _source(name)
    hidden = []
    for cell in src.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 25:
                hidden.append(line.strip())
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text, f"{path} contains {marker}"
            if path.suffix == ".ipynb":
                released_code = "\n".join(c.source for c in _nb(path).cells)
                leaked = [h for h in hidden if h in released_code and h not in _strip_regions(
                    "\n".join(c.source for c in src.cells), "BEGIN HIDDEN", "END HIDDEN")]
                assert not leaked, f"hidden test lines leaked into {path}: {leaked[:3]}"


def _builder():
    spec = importlib.util.spec_from_file_location("make_assignment_notebook",
                                                  ROOT / "scripts" / "make_assignment_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_jupytext_source_matches_notebook(name):
    if not (ROOT / "scripts" / "assignment_sources" / f"{name}.py").is_file():
        pytest.skip(f"{name} has no jupytext source")
    builder = _builder()
    assert not builder.drift(name), \
        f"solutions/{name}/{name}.ipynb differs from its source: run scripts/make_assignment_notebook.py {name}"


def test_builder_rejects_bad_cells(tmp_path, monkeypatch):
    builder = _builder()
    monkeypatch.setattr(builder, "SOURCES", tmp_path)
    (tmp_path / "bad.py").write_text('# %% nb="tests" gid="t"\nx = 1\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no points"):
        builder.build("bad")
    (tmp_path / "bad.py").write_text('# %%\nx = 1\n', encoding="utf-8")
    with pytest.raises(ValueError, match="no role"):
        builder.build("bad")


# ------------------------------------------------------------------------------------------------------------------
# the nbgrader pipeline in a temporary course folder
# ------------------------------------------------------------------------------------------------------------------

def _api(course: Path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = Config()
    cfg.merge(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config())
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.source_directory = "source"
    cfg.CourseDirectory.release_directory = "release"
    cfg.CourseDirectory.submitted_directory = "submitted"
    cfg.CourseDirectory.autograded_directory = "autograded"
    cfg.CourseDirectory.feedback_directory = "feedback"
    cfg.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    cfg.Execute.timeout = 120
    coursedir = CourseDirectory(config=cfg)
    return NbGraderAPI(coursedir=coursedir, config=cfg), cfg


def _scores(course: Path, name: str, student: str) -> dict[str, tuple[float | None, float, str]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(name, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                out[grade.name] = (grade.auto_score, grade.max_score, grade.cell.cell_type)
    return out


def _errors(notebook: Path, which) -> list[str]:
    found = []
    for cell in _nb(notebook).cells:
        if cell.cell_type == "code" and which(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    found.append(f"{_nbg(cell).get('grade_id')}: {output.get('ename')}: {output.get('evalue')}")
    return found


def _cpu_seconds() -> float:
    """CPU time of this process plus its finished children (the kernels nbgrader started)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.mark.serial_heavy
@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_pipeline(name, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # alembic
    monkeypatch.delenv("METAOPT_GRADING_RECORD", raising=False)
    monkeypatch.chdir(tmp_path)
    course = tmp_path / "course"
    shutil.copytree(SOLUTIONS / name, course / "source" / name)
    api, cfg = _api(course)

    # 1. the source validates (every test passes with the solutions in place)
    from nbgrader.validator import Validator

    result = Validator(config=cfg).validate(str(course / "source" / name / f"{name}.ipynb"))
    assert not result, f"validation of the source failed: {json.dumps(result, ensure_ascii=False)[:3000]}"

    # 2. a fresh release equals the committed one
    generated = api.generate_assignment(name, force=True, create=True)
    assert generated["success"], generated.get("error") or generated.get("log")
    fresh = {p.relative_to(course / "release" / name): p for p in (course / "release" / name).rglob("*") if p.is_file()}
    committed = {p.relative_to(RELEASED / name): p for p in (RELEASED / name).rglob("*") if p.is_file()}
    assert sorted(fresh) == sorted(committed), f"released files differ: {sorted(fresh)} vs {sorted(committed)}"
    for rel, path in fresh.items():
        assert path.read_bytes() == committed[rel].read_bytes(), \
            f"assignments/{name}/{rel} differs from a fresh generate_assignment: regenerate it, never edit by hand"

    # 3. autograde the instructor's solution and the blank release
    submissions = {"solution": course / "source" / name, "blank": course / "release" / name}
    for student, folder in submissions.items():
        shutil.copytree(folder, course / "submitted" / student / name)
        start, cpu = time.perf_counter(), _cpu_seconds()
        graded = api.autograde(name, student, force=True, create=True)
        elapsed = time.perf_counter() - start
        print(f"{name}/{student}: autograde {elapsed:.1f} s wall, {_cpu_seconds() - cpu:.1f} s CPU (with the kernel)")
        assert graded["success"], graded.get("error") or graded.get("log")
        assert elapsed < AUTOGRADE_LIMIT_S, f"autograding {name} took {elapsed:.0f} s"

    solution_scores = _scores(course, name, "solution")
    autograded = {k: v for k, v in solution_scores.items() if v[2] == "code"}
    assert autograded, "no autograded cell in the gradebook"
    for grade_id, (score, max_score, _) in autograded.items():
        assert score == max_score, f"solution scores {score}/{max_score} on {grade_id}"
    notebook = course / "autograded" / "solution" / name / f"{name}.ipynb"
    assert not _errors(notebook, lambda c: True), _errors(notebook, lambda c: True)
    # the reference run (as the grader makes it, in-process here): every test cell reports checks, all pass
    from metaopt_instructor.inprocess import failed_cells, judge, run_notebook

    reference = run_notebook(_source(name), seed=1)
    assert all(run.reports for run in reference.values()), "a test cell reports no check"
    assert set(reference) == set(autograded), "test cells of the reference run and of the gradebook differ"
    assert not failed_cells(judge(reference, reference, _nb(RELEASED / name / f"{name}.ipynb")))

    blank_scores = _scores(course, name, "blank")
    for grade_id, (score, max_score, cell_type) in blank_scores.items():
        if cell_type == "code":
            assert score == 0, f"the blank notebook scores {score}/{max_score} on {grade_id}"
    notebook = course / "autograded" / "blank" / name / f"{name}.ipynb"
    setup_errors = _errors(notebook, lambda c: _nbg(c).get("locked") and not _nbg(c).get("grade"))
    assert not setup_errors, f"setup cells of the blank notebook raise: {setup_errors}"


# ------------------------------------------------------------------------------------------------------------------
# the students' self-check
# ------------------------------------------------------------------------------------------------------------------

def _cell(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "locked": True, "solution": False, "task": False,
                                     "grade": False, **nbgrader}
    return cell


def test_selfcheck_reports_each_outcome(tmp_path, capsys, monkeypatch):
    from metaopt_course.selfcheck import run_checks

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["metaopt"] = {"assignment": "demo_1"}
    nb.cells = [
        _cell("def f(x):\n    return 2 * x", solution=True, grade_id="f"),
        _cell("check_close('t_ok:double', f(2), 4)", grade=True, grade_id="t_ok", points=2),
        _cell("check_close('t_bad:triple', f(2), 6)", grade=True, grade_id="t_bad", points=1),
        _cell("g()", grade=True, grade_id="t_todo", points=1),
        _cell("YOUR ANSWER HERE / ВАШ ОТВЕТ ЗДЕСЬ", grade=True, solution=True, grade_id="essay", points=3),
    ]
    nb.cells[-1].cell_type = "markdown"
    nb.cells[-1].pop("outputs", None)
    nb.cells[-1].pop("execution_count", None)
    path = tmp_path / "renamed.ipynb"
    nbformat.write(nb, path)
    monkeypatch.chdir(tmp_path)

    from metaopt_course.grading import check_close

    def g():
        raise NotImplementedError()

    namespace = {"f": lambda x: 2 * x, "g": g, "check_close": check_close}
    results = run_checks("demo_1", namespace)  # found by its metadata, not by its file name
    assert [(r.grade_id, r.status) for r in results] == [
        ("t_ok", "passed"), ("t_bad", "failed"), ("t_todo", "not implemented")]
    out = capsys.readouterr().out
    assert "PASS / пройден" in out and "FAIL / не пройден" in out and "TODO / не реализовано" in out
    assert "t_bad:triple" in out and "1 of 3" in out and "1 из 3" in out
    assert "hidden checks" in out and "not yet a point" in out  # honest: visible checks decide no point
    assert "essay" in out and "placeholder" in out and "заготовка" in out  # the written answer is still to do

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert run_checks("demo_1", namespace) == []
    monkeypatch.delenv("NBGRADER_EXECUTION")
    with pytest.raises(FileNotFoundError, match="нет ноутбука"):
        run_checks("demo_2", namespace)


@pytest.mark.parametrize("name", THEORY)
def test_selfcheck_on_released_theory_notebook(name, monkeypatch, capsys):
    """With the solution's functions every visible check passes; with the blank stubs none does."""
    from metaopt_course.selfcheck import run_checks

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    released = RELEASED / name / f"{name}.ipynb"
    for notebook, expected in ((_source(name), "passed"), (_nb(released), "not implemented")):
        namespace = {"__name__": "__main__"}
        monkeypatch.setenv("NBGRADER_EXECUTION", "1")  # the notebook's own self-check cell stays quiet
        for cell in notebook.cells:
            if cell.cell_type == "code" and not _is_test(cell):
                exec(compile(cell.source, f"<{name}:{_nbg(cell).get('grade_id')}>", "exec"), namespace)
        monkeypatch.delenv("NBGRADER_EXECUTION")
        results = run_checks(name, namespace, notebook=released, verbose=False)
        assert results and all(r.status == expected for r in results), [(r.grade_id, r.status, r.message)
                                                                          for r in results]

# The theory tests can fail: plausible wrong answers of every graded function (tests/instructor/mutants_theory.py) are
# judged in tests/instructor/test_theory_grading.py.
