"""The course's skeleton: pinned environment, commands, bilingual pipeline rules, widgets, seeding."""

import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from metaopt_course import notebooks, widgets
from metaopt_lib import i18n, seeding

ROOT = Path(__file__).resolve().parents[1]


def requirement_pins():
    return [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()
            if l.strip() and not l.startswith("#")]


def test_requirements_are_exact_pins_with_cpu_torch():
    pins = requirement_pins()
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", p) for p in pins), pins
    assert "torch==2.13.0" in pins
    names = [p.split("==")[0].lower() for p in pins]
    assert len(names) == len(set(names)), "a package is pinned twice"
    for needed in ("nbgrader", "jupyterlab", "notebook", "ipywidgets", "jupytext", "optuna", "scikit-learn"):
        assert needed in names


def test_environment_yml_agrees_with_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert [p for p in pip if p != "-e ."] == requirement_pins()
    assert "-e ." in pip
    check = subprocess.run([sys.executable, "scripts/sync_environment.py", "--check"], cwd=ROOT)
    assert check.returncode == 0


def test_benchmark_peers_are_not_library_dependencies():
    pins = [p.split("==")[0] for p in requirement_pins()]
    assert "higher" not in pins and "torchopt" not in pins
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "higher" not in pyproject and "torchopt" not in pyproject


@pytest.mark.parametrize("command", [[sys.executable, "-m", "metaopt_instructor", "--help"],
                                     [str(Path(sys.executable).with_name("metaopt")), "--help"]])
def test_metaopt_help(command):
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for sub in ("variant", "lectures", "demo", "grade", "student-dist"):
        assert sub in out.stdout


def test_the_student_command_has_student_commands_only():
    out = subprocess.run([sys.executable, "-m", "metaopt_course", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert all(sub in out.stdout for sub in ("variant", "lectures", "submit"))
    assert not any(sub in out.stdout for sub in ("demo", "grade", "student-dist"))


def test_layout_and_entry_points():
    for path in ("lectures", "assignments", "solutions", "metaopt_lib", "metaopt_course", "metaopt_instructor", "environment.yml",
                 "README.md", "tests", "pyproject.toml", "Makefile", "requirements.txt", ".ci/run"):
        assert (ROOT / path).exists(), path
    makefile = (ROOT / "Makefile").read_text()
    for target in ("test:", "demo:", "lab:", "lectures:", "student-dist:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    pin = next(line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("torch=="))
    assert pin == "torch==2.13.0"  # the CPU wheel on this disk; a plain `torch` pulls a multi-GB CUDA build
    assert "grep -m1 '^torch==' requirements.txt" in makefile  # the Makefile reads the one pin
    assert "torch==2" not in makefile and "torch==" not in (ROOT / "pyproject.toml").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in ci and "bubblewrap" in ci


def test_readme_quick_start_opens_with_demo_and_test():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1]
    commands = re.findall(r"^\s*make (\w+)", quick, re.M)
    assert commands[:2] == ["demo", "test"]
    assert "README.ru.md" in readme
    ru = (ROOT / "README.ru.md").read_text()
    assert "make demo" in ru and "make test" in ru and notebooks.cyrillic_share(ru) > 0.5


# --- the bilingual pipeline ------------------------------------------------------------------------------------

GOOD = '''# %% [markdown] lang="en"
# # Title
# %% [markdown] lang="ru"
# # Заголовок
# %%
x = 1
'''


def write_course(tmp_path, source=GOOD, stem="01_demo"):
    (tmp_path / "lectures" / "src").mkdir(parents=True)
    (tmp_path / "lectures" / "src" / f"{stem}.py").write_text(source, encoding="utf-8")
    return tmp_path


def test_build_then_check_then_drift(tmp_path):
    root = write_course(tmp_path)
    assert len(notebooks.check_lectures(root)) == 2  # both languages missing
    written = notebooks.build_lectures(root)
    assert sorted(p.parent.name for p in written) == ["en", "ru"]
    assert notebooks.check_lectures(root) == []
    assert notebooks.build_lectures(root) == []  # idempotent
    en = (root / "lectures/en/01_demo.ipynb").read_text()
    assert 'LANG = \\"en\\"' in en and "Title" in en and "Заголовок" not in en
    ru = (root / "lectures/ru/01_demo.ipynb").read_text()
    assert "Заголовок" in ru and "Title" not in ru
    (root / "lectures/src/01_demo.py").write_text(GOOD.replace("x = 1", "x = 2"), encoding="utf-8")
    stale = notebooks.check_lectures(root)
    assert len(stale) == 2 and all("out of date" in p for p in stale)
    (root / "lectures/en/99_orphan.ipynb").write_text("{}")
    assert any("no source" in p for p in notebooks.check_lectures(root))


@pytest.mark.parametrize("source,needle", [
    (GOOD.replace(' lang="ru"', ""), "without lang"),
    (GOOD.replace(' lang="ru"', ' lang="en"'), "not followed by its Russian"),
    ('# %% [markdown] lang="ru"\n# # Привет\n', "without the English cell"),
    ('# %% [markdown] lang="en"\n# # Hi\n# %%\nx = 1\n', "not followed by its Russian"),
])
def test_source_rules(tmp_path, source, needle):
    root = write_course(tmp_path, source)
    problems = notebooks.check_lectures(root)
    assert any(needle in p for p in problems), problems


def test_cyrillic_share_ignores_formulas_and_code():
    assert notebooks.cyrillic_share("Обоснованность $\\log p(\\mathbf{y}|X, \\alpha)$ и `torch.func.grad`") == 1.0
    assert notebooks.cyrillic_share("Evidence of the model") == 0.0
    assert notebooks.cyrillic_share("Evidence модели") < 0.5


# --- widgets, seeding, i18n ------------------------------------------------------------------------------------

def test_widgets_exercise_every_control(capsys):
    import ipywidgets as w

    calls = []

    def draw(a, b, c, d):
        calls.append((a, b, c, d))

    n = widgets.exercise(draw, {"a": w.FloatSlider(value=0.5, min=0.0, max=2.0),
                                "b": w.Dropdown(options=[("one", 1), ("two", 2), ("three", 3)], value=2),
                                "c": w.Checkbox(value=False),
                                "d": w.fixed(7)})
    assert n == 6 and len(calls) == 6
    assert {c[0] for c in calls} == {0.0, 0.5, 2.0} and {c[1] for c in calls} == {1, 2, 3}
    assert {c[2] for c in calls} == {False, True} and {c[3] for c in calls} == {7}
    assert capsys.readouterr().out.count(widgets.MARKER) == 6


def test_log_slider_probes_its_ends():
    import ipywidgets as w

    assert widgets.probe_values(w.FloatLogSlider(value=1.0, base=10, min=-2, max=1)) == [0.01, 10.0]


def test_set_seed_fixes_every_generator():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    seeding.set_seed(5)
    first = draw()
    seeding.set_seed(5)
    assert draw() == first
    seeding.set_seed(6)
    assert draw() != first


def test_translator():
    assert i18n.translator("ru")("Accuracy", "Точность") == "Точность"
    assert i18n.translator("en")("Accuracy", "Точность") == "Accuracy"
    with pytest.raises(ValueError):
        i18n.translator("de")


def test_metaopt_grade_help_reaches_the_instructor_commands():
    out = subprocess.run([sys.executable, "-m", "metaopt_instructor", "grade", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    for sub in ("release", "collect", "autograde", "feedback", "export"):
        assert sub in out.stdout
