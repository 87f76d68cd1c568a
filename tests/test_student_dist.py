"""The student distribution (``metaopt student-dist``): what it contains, what it must never contain, its zip,
and that the ``metaopt`` command works from its files alone (and refuses instructor commands clearly).

The leak search here is independent of ``metaopt_instructor.dist``'s own pre-build check: it re-reads every
``solutions/*/*.ipynb`` and looks for every non-trivial line of every solution region and hidden test in every file
of the built folder (lines the releases show anyway are not secrets, nor generic lines that a verbatim copy of a library or lecture
file shares with a solution).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import dist

ROOT = Path(__file__).resolve().parents[1]
MIN_LEN = 25


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    folder, zip_path = dist.build(out)
    return folder, zip_path


def files_of(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def secrets() -> dict[str, str]:
    """line → notebook, for solution regions, hidden tests and manually graded answers of every solution."""
    public = ""
    notebooks = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    for path in notebooks:  # what the releases show anyway: text outside the regions / видимая часть заданий
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            kept, inside = [], False
            for line in cell.source.splitlines():
                if line.strip().startswith(("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")):
                    inside = True
                elif line.strip().startswith(("### END SOLUTION", "### END HIDDEN TESTS")):
                    inside = False
                elif not inside:
                    kept.append(line)
            public += "\n" + "\n".join(kept)
    out = {}
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            state = None
            if cell.cell_type == "markdown" and meta.get("solution"):
                state = "answer"
            for line in cell.source.splitlines():
                s = line.strip()
                if s.startswith("### BEGIN SOLUTION") or s.startswith("### BEGIN HIDDEN TESTS"):
                    state = "region"
                elif s.startswith("### END SOLUTION") or s.startswith("### END HIDDEN TESTS"):
                    state = None
                elif state and len(s) >= MIN_LEN and s not in public:
                    out.setdefault(s, path.name)
    return out


def _texts(folder: Path):
    """(path relative to the distribution, shown name, text) of every file of ``folder`` (or of one zip file,
    whose members are named without their top folder)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]:
        rel = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    yield name.split("/", 1)[-1], name, zf.read(name).decode("utf-8", errors="replace")
        else:
            yield rel, rel, path.read_bytes().decode("utf-8", errors="replace")


def search(folder: Path, lines: dict[str, str]) -> list[tuple[str, str]]:
    hits = []
    for rel, shown, text in _texts(folder):
        if rel.endswith(".ipynb"):
            try:
                text += "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            except Exception:  # noqa: BLE001 - searched as raw text anyway
                pass
        # a verbatim copy of a library/lecture file may share generic lines with a solution (public by design)
        original = ROOT / rel
        public = (original.read_text(encoding="utf-8", errors="replace")
                  if rel.startswith(("metaopt_lib/", "lectures/")) and original.is_file() else "")
        for line in lines:
            if line in text and line not in public:
                hits.append((shown, line))
    return hits


def test_contents(built):
    folder, _ = built
    files = files_of(folder)
    for required in ("README.md", "Makefile", "pyproject.toml", "requirements.txt", "environment.yml", ".gitignore",
                     "metaopt_lib/__init__.py", "metaopt_course/cli.py", "metaopt_course/grading.py"):
        assert required in files, required
    for lang in ("en", "ru", "src"):
        repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lectures" / lang).glob("*") if p.is_file()}
        assert repo <= files, f"lectures/{lang} incomplete: {sorted(repo - files)[:5]}"
    for released in (ROOT / "assignments").glob("*/*.ipynb"):
        rel = released.relative_to(ROOT).as_posix()
        assert rel in files and (folder / rel).read_bytes() == released.read_bytes(), rel
    library = {p.relative_to(ROOT).as_posix() for p in (ROOT / "metaopt_lib").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert library and library <= files, sorted(library - files)[:5]
    for forbidden in ("solutions/", "metaopt_instructor/", "tests/", "scripts/", "nbgrader_config.py", "benchmarks/",
                      "gradebook.db", "CONTRIBUTING.md"):
        assert not [f for f in files if f == forbidden or f.startswith(forbidden)], forbidden
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for needed in ("make lab", "metaopt variant", "make submit", "Установка", "Сдача", "self-check", "самопровер"):
        assert needed in readme, needed
    makefile = (folder / "Makefile").read_text(encoding="utf-8")
    for target in ("lab:", "variant:", "submit:", "help:", "grep -m1 '^torch==' requirements.txt"):
        assert target in makefile
    assert "metaopt_instructor" not in makefile and "pytest" not in makefile


def test_pyproject_installs_the_two_student_floors_only(built):
    folder, _ = built
    student = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    course = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert student["tool"]["setuptools"]["packages"]["find"]["include"] == ["metaopt_lib*", "metaopt_course*"]
    assert student["project"]["dynamic"] == course["project"]["dynamic"] == ["dependencies"]  # requirements.txt
    assert student["project"]["scripts"]["metaopt"] == "metaopt_course.cli:main"
    assert (folder / student["project"]["readme"]).is_file()
    for name in ("requirements.txt", "environment.yml"):
        assert (folder / name).read_bytes() == (ROOT / name).read_bytes()


def test_no_solution_nor_hidden_test_line_ships(built, tmp_path):
    folder, zip_path = built
    lines = secrets()
    by_notebook = {nb for nb in lines.values()}
    assert len(lines) >= 50 and any(n.startswith("practice_") for n in by_notebook), (len(lines), by_notebook)
    assert search(folder, lines) == []
    assert search(zip_path, lines) == []  # the zip too
    # the search can fail: a planted line is found / поиск способен найти утечку
    planted = tmp_path / "planted"
    planted.mkdir()
    line = sorted(lines)[len(lines) // 2]
    (planted / "notes.py").write_text(f"# harmless\n    {line}\n", encoding="utf-8")
    assert search(planted, lines) == [("notes.py", line)]
    (planted / "metaopt_lib").mkdir()
    (planted / "metaopt_lib" / "training.py").write_text(f"{line}\n", encoding="utf-8")  # not the real file
    assert ("metaopt_lib/training.py", line) in search(planted, lines)
    # and so does the build's own check
    assert dist.find_leaks(planted)


def test_zip_has_the_same_files(built):
    folder, zip_path = built
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        assert all(n.startswith(dist.ZIP_TOP + "/") for n in names)
        inside = {n[len(dist.ZIP_TOP) + 1:]: n for n in names}
        assert set(inside) == files_of(folder)
        for rel, name in inside.items():
            assert zf.read(name) == (folder / rel).read_bytes(), rel


STUDENT_PYTHON = """
import runpy, sys
# a student's environment has no instructor package: drop the course repository's editable-install finder
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if p not in ("", {repo!r}) and "__editable__" not in p]
import metaopt_course, metaopt_lib
for module in (metaopt_lib, metaopt_course):
    assert module.__file__.startswith({dist!r}), module.__file__
try:
    import metaopt_instructor
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("the instructor's package is importable from the student distribution")
sys.argv = ["metaopt", *sys.argv[1:]]
runpy.run_module("metaopt_course", run_name="__main__", alter_sys=True)
"""


def run_student(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    code = STUDENT_PYTHON.format(repo=str(ROOT), dist=str(folder))
    return subprocess.run([sys.executable, "-c", code, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def test_metaopt_command_works_from_the_distribution(built):
    folder, _ = built
    help_ = run_student(folder, "--help")
    assert help_.returncode == 0, help_.stderr
    assert "variant" in help_.stdout
    variant = run_student(folder, "variant", "Иванов", "Ivanov", "--json")
    assert variant.returncode == 0, variant.stderr
    assert '"theory"' in variant.stdout and '"practice"' in variant.stdout
    for command in (["grade", "autograde", "practice_1"], ["student-dist"]):
        refused = run_student(folder, *command)
        assert refused.returncode != 0
        text = refused.stdout + refused.stderr
        assert "for instructors" in text and "для преподавателей" in text, text
        assert "Traceback" not in text, text


def test_build_refuses_a_leaking_distribution(tmp_path, monkeypatch):
    """A solution line that reaches a shipped file stops the build and names it; the output stays untouched."""
    lines = secrets()
    line = sorted(lines)[0]
    real_stage = dist.stage

    def leaky_stage(root, dest):
        files = real_stage(root, dest)
        (dest / "metaopt_lib" / "oops.py").write_text(f"x = 1\n{line}\n", encoding="utf-8")
        return files

    monkeypatch.setattr(dist, "stage", leaky_stage)
    with pytest.raises(dist.LeakError, match="oops.py"):
        dist.build(tmp_path / "out")
    assert not (tmp_path / "out" / "student").exists() and not (tmp_path / "out" / dist.ZIP_NAME).exists()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_student_jupyterlab_has_no_instructor_nbgrader_tools(built, tmp_path):
    """`make lab` of the distribution, headless: nbgrader's formgrader / assignment list / course list server
    extensions are off, the Create Assignment / Formgrader / list lab plugins are disabled, Validate stays and runs
    without "No nbgrader_config.py file found" — all from the shipped .jupyter/, asked through the server's REST API."""
    import json
    import re
    import secrets as token_source
    import time
    import urllib.error
    import urllib.request

    folder, _ = built
    makefile = (folder / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert 'JUPYTER_CONFIG_DIR="$(CURDIR)/.jupyter"' in recipe and "jupyter lab" in recipe
    port, token = _free_port(), token_source.token_hex(16)
    home = tmp_path / "home"  # the student's own Jupyter settings are not where the switch is
    home.mkdir()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(folder / ".jupyter"), "HOME": str(home),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "OMP_NUM_THREADS": "1"}
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             f"--IdentityProvider.token={token}", "--notebook-dir=.", "--allow-root", "--ServerApp.port_retries=0"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def get(path, method="GET", data=None):
        request = urllib.request.Request(base + path, method=method, data=data,
                                         headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    try:
        deadline = time.time() + 180
        while True:
            try:
                if get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.time() < deadline, log.read_text()
            time.sleep(1)
        # server extensions: the instructor's routes are gone, Validate's is there
        for route in ("/formgrader", "/formgrader/gradebook", "/assignments", "/courses", "/formgraders"):
            assert get(route)[0] == 404, route
        assert get("/nbgrader_version?version=0.9.6") == (200, '{"success": true}')
        # lab extensions: @jupyter/nbgrader is installed, its instructor plugins are disabled in the page config
        status, listing = get("/lab/api/extensions")
        assert status == 200
        assert "jupyter-nbgrader" in {e["name"] for e in json.loads(listing)}
        status, page = get("/lab")
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        disabled = set(config["disabledExtensions"])
        assert set(dist.INSTRUCTOR_LAB_PLUGINS) <= disabled
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        # Validate runs with the student's configuration
        released = sorted((folder / "assignments").glob("theory_*/*.ipynb"))[0]
        status, body = get("/assignments/validate", "POST",
                           f"path={released.relative_to(folder).as_posix()}".encode())
        assert status == 200 and json.loads(body)["success"] is True, body
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    text = log.read_text()
    assert "nbgrader.server_extensions.validate_assignment | extension was successfully loaded" in text
    for name in dist.INSTRUCTOR_SERVER_EXTENSIONS:
        assert name not in text, name
    assert "No nbgrader_config.py" not in text


def test_validate_lists_unanswered_written_answers(built, tmp_path):
    """nbgrader's Validate with the distribution's configuration (``nbgrader validate``, as the Validate button runs
    it): a notebook whose code is right but whose written answer still reads YOUR ANSWER HERE fails and names it;
    once written, "Success!". Without the shipped configuration the same notebook passes (the issue's report)."""
    folder, _ = built

    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "schema_version": 3, "task": False, "grade": False,
                             "solution": False, "locked": False, **kw}}

    def notebook(written: str):
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell("def double(x):\n    return 2 * x", metadata=meta("double", solution=True)),
            nbformat.v4.new_code_cell('from metaopt_course.grading import check_close\n'
                                      'check_close("test_double:three", double(3.0), 6.0)',
                                      metadata=meta("test_double", grade=True, locked=True, points=1)),
            nbformat.v4.new_markdown_cell(written, metadata=meta("conclusions", grade=True, solution=True,
                                                                  points=2)),
            nbformat.v4.new_code_cell('from metaopt_course.selfcheck import run_checks\nrun_checks("toy")',
                                      metadata=meta("selfcheck", locked=True)),
        ]
        path = tmp_path / "toy.ipynb"
        nbformat.write(nb, path)
        return path

    def validate(config_dir):
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "PYTHONPATH": str(ROOT),
               "OMP_NUM_THREADS": "1"}
        return subprocess.run([sys.executable, "-m", "nbgrader", "validate", "toy.ipynb"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    notebook("YOUR ANSWER HERE")
    out = validate(folder / ".jupyter")
    assert "Success!" not in out.stdout and "VALIDATION FAILED" in out.stdout, out.stdout + out.stderr
    assert "conclusions" in out.stdout and "не сделано" in out.stdout
    empty = tmp_path / "no-config"
    empty.mkdir()
    assert "Success!" in validate(empty).stdout  # what nbgrader says by itself
    notebook("The bound is tight when the prior matches the data.")
    out = validate(folder / ".jupyter")
    assert "Success!" in out.stdout, out.stdout + out.stderr
