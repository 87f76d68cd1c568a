"""What graders and students see after grading, on a toy course run the way an instructor runs it
(``metaopt grade release / collect / autograde / feedback / export`` in subprocesses, sandboxed when possible):

* feedback pages typeset formulas offline: no script comes from another host, MathJax is inlined, and headless
  Chromium (network blocked) renders the student's LaTeX as MathJax output;
* formgrader (a Jupyter server started at the course folder) serves MathJax itself, no CDN, and Chromium with
  the network blocked typesets the student's formulas there; every roster student is in its gradebook (also one
  who submitted nothing), with the roster's surnames;
* ``grades.csv`` has the surnames, the student's total over their own two variants, and flags a feedback page
  withheld because it showed a hidden test.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from metaopt_instructor import samples
from metaopt_instructor.course import Course
from metaopt_instructor.toycourse import HIDDEN_MARKER, make_toy_course, toy_solution

pytestmark = [pytest.mark.xdist_group("autograder"), pytest.mark.serial_heavy]

# all three surname pairs give theory_1 and practice_1, the toy course's two assignments
ROSTER = """student_id,surname_ru,surname_en
kuz,Кузнецов,Kuznetsov
sem,Семёнов,Semenov
vin,Виноградова,Vinogradova
"""
LATEX = r"Because $x^{2} = x \cdot x$ and $$\sum_{i=1}^{n} \alpha_i^2 \ge 0.$$"
# a line of the toy course's hidden tests (taken from the toy course itself, so it follows its changes)
HIDDEN_LINE = next(line for cell in toy_solution("theory_1", 2).cells for line in cell.source.splitlines()
                   if HIDDEN_MARKER in line)


def metaopt(*args) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "metaopt_instructor", *map(str, args)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, f"metaopt {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _with_latex(nb):
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = LATEX
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_toy_course(tmp_path_factory.mktemp("course"))
    metaopt("grade", "release", "--course-root", root, "--workers", "2")
    notebooks = {}
    for name in ("theory_1", "practice_1"):
        notebooks[name] = (nbformat.read(root / "assignments" / name / f"{name}.ipynb", as_version=4),
                           nbformat.read(root / "solutions" / name / f"{name}.ipynb", as_version=4))
    leaking = samples.correct(*notebooks["theory_1"])
    answer = next(c for c in leaking.cells if c.cell_type == "code" and c.metadata["nbgrader"].get("solution"))
    answer.source += f"\n# {HIDDEN_LINE}\n"  # a page showing this line must not be handed out
    inbox = root / "inbox"
    subs = {("kuz", "theory_1"): _with_latex(samples.correct(*notebooks["theory_1"])),
            ("kuz", "practice_1"): samples.correct(*notebooks["practice_1"]),
            ("sem", "theory_1"): leaking}
    for (student, name), nb in subs.items():
        (inbox / student).mkdir(parents=True, exist_ok=True)
        (inbox / student / f"{name}.ipynb").write_bytes(samples.to_bytes(nb))
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    metaopt("grade", "collect", "--course-root", root, "--from", inbox, "--roster", roster)
    metaopt("grade", "autograde", "--course-root", root, "--workers", "2", "--cell-timeout", "60")
    fb = metaopt("grade", "feedback", "--course-root", root)
    grades = root / "grades.csv"
    metaopt("grade", "export", "--course-root", root, "--output", grades, "--quiet")
    rows = list(csv.DictReader(grades.read_text(encoding="utf-8").splitlines()))
    return {"root": root, "rows": rows, "feedback": fb.stdout}


def _rows(graded, student):
    return [r for r in graded["rows"] if r["student_id"] == student]


def test_export_has_names_and_the_total_over_the_students_own_variants(graded):
    for student, ru, en in (("kuz", "Кузнецов", "Kuznetsov"), ("sem", "Семёнов", "Semenov"),
                            ("vin", "Виноградова", "Vinogradova")):
        rows = _rows(graded, student)
        assert {r["assignment"] for r in rows} == {"theory_1", "practice_1"}, rows
        assert all(r["surname_ru"] == ru and r["surname_en"] == en for r in rows), rows
        maxima = sum(float(r["max_score"]) for r in rows)
        assert maxima == 10 and all(float(r["student_max"]) == maxima for r in rows), rows
        assert all(float(r["student_total"]) == sum(float(x["score"]) for x in rows) for r in rows), rows
    kuz = _rows(graded, "kuz")
    assert all(float(r["auto_score"]) == 3 for r in kuz), kuz  # both correct: 3 automatic points each
    assert all(r["status"] == "missing" and r["student_total"] == "0" for r in _rows(graded, "vin"))


def test_a_withheld_feedback_page_is_flagged_in_the_export(graded):
    sem = {r["assignment"]: r for r in _rows(graded, "sem")}
    assert sem["theory_1"]["feedback"].startswith("WITHHELD"), sem
    assert "hidden test" in sem["theory_1"]["feedback"]
    assert not list((graded["root"] / "var/feedback/sem").rglob("*.html"))
    assert "sem theory_1" in graded["feedback"] and "deleted" in graded["feedback"]
    assert {r["feedback"] for r in _rows(graded, "kuz")} == {"written"}


def test_every_roster_student_is_in_the_gradebook_with_both_surnames(graded):
    course = Course(graded["root"])
    with course.gradebook() as gb:
        students = {s.id: (s.last_name, s.first_name) for s in gb.students}
    assert students == {"kuz": ("Кузнецов", "Kuznetsov"), "sem": ("Семёнов", "Semenov"),
                        "vin": ("Виноградова", "Vinogradova")}


def _page(graded, student="kuz", assignment="theory_1") -> Path:
    pages = sorted((graded["root"] / "var/feedback" / student / assignment).glob("*.html"))
    assert len(pages) == 1, pages
    return pages[0]


def test_feedback_pages_load_no_script_from_another_host(graded):
    pages = sorted((graded["root"] / "var/feedback").rglob("*.html"))
    assert len(pages) == 2, pages  # kuz's two; sem's page was withheld
    for page in pages:
        html = page.read_text(encoding="utf-8")
        tags = re.findall(r"<script\b[^>]*>", html, flags=re.I)
        remote = [t for t in tags if re.search(r"""src\s*=\s*["']?(https?:)?//""", t, flags=re.I)]
        assert tags and not remote, remote
        assert "cdnjs" not in html and "MathJax.Hub" not in html
        assert html.count("<!-- metaopt-mathjax -->") == 1
    assert r"\sum_{i=1}^{n}" in _page(graded).read_text(encoding="utf-8")  # the student's LaTeX is in the page


def test_feedback_formulas_are_typeset_in_a_browser_offline(graded):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    page_file = _page(graded)
    requests = []
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def guard(route):
                requests.append(route.request.url)
                if route.request.url.startswith(("file:", "data:", "blob:")):
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", guard)
            page.goto(page_file.as_uri())
            page.wait_for_selector("mjx-container svg", timeout=60_000)
            typeset = page.eval_on_selector_all("mjx-container", "els => els.length")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert typeset >= 2, typeset  # the inline and the display formula
    assert r"\sum_{i=1}" not in text and "$x^{2}" not in text  # no raw LaTeX left on the page
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(graded):
    """A Jupyter server at the course folder, as ``make lab`` starts one (with the course's nbgrader_config.py)."""
    import shutil
    import time
    import urllib.request

    root = graded["root"]
    shutil.copy(Path(__file__).resolve().parents[2] / "nbgrader_config.py", root / "nbgrader_config.py")
    port = _free_port()
    jupyter = Path(sys.executable).parent / "jupyter"
    proc = subprocess.Popen([str(jupyter), "server", "--no-browser", f"--port={port}", "--allow-root",
                             "--IdentityProvider.token=", "--ServerApp.password="],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            # as `make lab` does: the venv's tools (nbgrader's gradebook runs `alembic`) on PATH
                            env={**os.environ, "PATH": f"{jupyter.parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=5)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError("the Jupyter server did not start") from None
                time.sleep(1)
        with Course(root).gradebook() as gb:
            notebook_id = gb.find_submission("theory_1", "kuz").notebooks[0].id
        yield {"base": base, "page": f"{base}/formgrader/submissions/{notebook_id}/?index=0"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_formgrader_loads_mathjax_from_the_server_itself(formgrader):
    import urllib.request

    html = urllib.request.urlopen(formgrader["page"], timeout=60).read().decode("utf-8")
    tags = re.findall(r"<script\b[^>]*>", html, flags=re.I)
    assert tags and not [t for t in tags if re.search(r"""src\s*=\s*["']?(https?:)?//""", t, flags=re.I)]
    assert "cdnjs" not in html and "<!-- metaopt-mathjax -->" in html
    assert r"\sum_{i=1}^{n}" in html  # the student's answer is on the page
    mathjax = urllib.request.urlopen(f"{formgrader['base']}/static/jupyter_server_mathjax/MathJax.js", timeout=30)
    assert mathjax.status == 200


def test_formgrader_typesets_formulas_in_a_browser_offline(formgrader):
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    outside, errors = [], []
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def guard(route):
                url = route.request.url
                if url.startswith((formgrader["base"] + "/", "data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(formgrader["page"])
            page.wait_for_function("window.MathJax && MathJax.loaded === true", timeout=90_000)
            page.wait_for_selector(".MathJax, .MathJax_Display", timeout=30_000)
            typeset = page.eval_on_selector_all(".MathJax, .MathJax_Display", "els => els.length")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert typeset >= 2, typeset
    assert r"\sum_{i=1}" not in text and "$x^{2}" not in text
    assert outside == [] and errors == [], (outside, errors)
