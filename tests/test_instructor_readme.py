"""The instructor's README section as an instructor follows it: the steps in the order grading needs (manual grading
before feedback), each command reachable exactly as written after ``make venv``, and no nbgrader warning about a
missing exchange folder."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["metaopt grade release", "metaopt grade collect", "metaopt grade autograde", "make lab",
         "metaopt grade feedback", "metaopt grade export"]


def instructor_block(readme: str, heading: str) -> list[str]:
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block, f"no command block under {heading}"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


@pytest.mark.parametrize("name,heading", [("README.md", "## Instructors"), ("README.ru.md", "## Преподавателям")])
def test_instructor_commands_in_the_order_grading_needs(name, heading):
    readme = (ROOT / name).read_text(encoding="utf-8")
    lines = instructor_block(readme, heading)
    for line in lines:  # every command as it runs after `make venv`: no bare `metaopt` (not on PATH)
        assert line.startswith((".venv/bin/metaopt ", "make ")), line
    positions = []
    for step in ORDER:
        found = [i for i, ln in enumerate(lines) if step in ln.replace(".venv/bin/", "")]
        assert len(found) == 1, (step, lines)
        positions.append(found[0])
    assert positions == sorted(positions), [lines[i] for i in positions]
    release = next(ln for ln in lines if "grade release" in ln)
    assert re.search(r"\d[\d.,]* ?(min|мин)", release), release  # the wait is announced
    assert "source .venv/bin/activate" in readme


def test_metaopt_is_installed_where_the_readme_says():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["metaopt"] == "metaopt_instructor.command:main"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "VENV   := .venv" in makefile and "-e ." in makefile  # make venv installs the package into .venv
    script = Path(sys.executable).parent / "metaopt"  # the environment the tests run in (.venv under make test)
    if not script.exists():
        pytest.skip(f"{script} not installed in this environment")
    proc = subprocess.run([str(script), "grade", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for command in ("release", "collect", "autograde", "feedback", "export"):
        assert command in proc.stdout


def test_the_exchange_folder_exists_so_jupyterlab_does_not_warn():
    from metaopt_instructor.course import Course

    api = Course(ROOT).api()
    assert not api.exchange_missing, api.exchange_root
    assert Path(api.exchange_root).is_dir() and Path(api.exchange_root).is_relative_to(ROOT)
