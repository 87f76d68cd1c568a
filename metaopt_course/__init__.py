"""metaopt_course — the course runtime that students and notebooks use (floor 2 of 3).

It stands on the algorithm library ``metaopt_lib`` and never imports the instructor's tools
(``metaopt_instructor``); the student distribution ships these two packages and nothing above them.

* ``grading``    — the checks of graded notebooks (values reported to the grader; verdicts decided outside)
* ``selfcheck``  — the students' self-check of an assignment
* ``cells``      — the roles of an assignment's cells and its region markers (decided once for every tool)
* ``variants``   — homework variant selection (the crc32 script of the homework) and the roster reader
* ``submission`` — ``make submit``: the student's zip, named with their id
* ``widgets``, ``glossary`` — lecture widgets; the course's EN–RU glossary
* ``notebooks``  — the lecture build (one jupytext source → lectures/en and lectures/ru)
* ``cli``        — the student's ``metaopt`` command (variant, submit, lectures)

The course folder and the notebooks' kernel are course-wide facts and live here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT_ENV", "KERNELSPEC", "course_root"]

ROOT_ENV = "METAOPT_COURSE_ROOT"
"""The environment variable that points every command at another course folder (tests use temporary ones)."""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""The kernel of every lecture and assignment notebook."""


def course_root() -> Path:
    """The course folder: ``$METAOPT_COURSE_ROOT``, else the folder that holds the course packages."""
    env = os.environ.get(ROOT_ENV)
    return Path(env).resolve() if env else Path(__file__).resolve().parents[1]
