"""The course's grading configuration in one place: where runtime state lives, and the settings the grader relies on.

``nbgrader_config.py`` (read by formgrader and by every ``metaopt grade`` command) calls ``configure(c, root)``;
``Course`` calls ``harden(cfg)`` again after loading it, so a course file cannot switch the hardening off. The
grading limits' defaults have their own single owner, ``metaopt_instructor.sandbox.Limits``; a course overrides a
field with ``c.MetaoptGrading.<field>``, and :func:`grading_limits` is the one place that reads those overrides.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

__all__ = ["STATE_DIR", "CODE_STUB", "TEXT_STUB", "state_dir", "default_db_url", "harden", "configure",
           "grading_limits"]

STATE_DIR = "var"
"""The course folder's one ignored folder of runtime state: gradebook, submissions, autograded notebooks, feedback,
status files, reference cache, the course secret, a private PostgreSQL server's data."""

CODE_STUB = "# YOUR CODE HERE / ВАШ КОД ЗДЕСЬ\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE / ВАШ ОТВЕТ ЗДЕСЬ"  # the self-check looks for its start (metaopt_course.selfcheck)


def state_dir(root: Path) -> Path:
    """``<course>/var``: runtime state of the course at ``root``."""
    return Path(root) / STATE_DIR


def default_db_url(root: Path) -> str:
    """The default gradebook: SQLite in the course's state folder (``--db-url`` names a server database)."""
    return f"sqlite:///{state_dir(root) / 'gradebook.db'}"


def harden(cfg: Config) -> None:
    """Settings the grader relies on, whatever the course's file says.

    Deleted test cells are re-inserted and graded (not silently lost); feedback never shows hidden tests (their
    source is cleared) and tracebacks carry no source lines."""
    cfg.OverwriteCells.add_missing_cells = True
    cfg.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                          "nbgrader.preprocessors.ClearHiddenTests",
                                          "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    extra = list(cfg.Execute.get("extra_arguments", []))
    if "--InteractiveShell.xmode=Minimal" not in extra:
        cfg.Execute.extra_arguments = extra + ["--InteractiveShell.xmode=Minimal"]


def configure(c: Config, root: Path) -> None:
    """The course's nbgrader settings for the course folder ``root`` (``nbgrader_config.py`` calls this)."""
    import nbgrader

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = "assignments"
    c.CourseDirectory.submitted_directory = f"{STATE_DIR}/submitted"
    c.CourseDirectory.autograded_directory = f"{STATE_DIR}/autograded"
    c.CourseDirectory.feedback_directory = f"{STATE_DIR}/feedback"
    c.CourseDirectory.db_url = default_db_url(root)
    # The course is graded from collected zips, not through nbgrader's exchange; an existing exchange folder keeps
    # JupyterLab from warning "The exchange directory does not exist" (nbgrader's default is /srv/nbgrader/exchange).
    exchange = state_dir(root) / "exchange"
    exchange.mkdir(parents=True, exist_ok=True)
    c.Exchange.root = str(exchange)
    # Formulas offline: nbconvert's `mathjax` macro (CDN) is replaced by templates/base/mathjax.html.j2 (MathJax 2
    # served by the Jupyter server's jupyter-server-mathjax extension) in formgrader and feedback pages; nbgrader's
    # own templates (formgrade, feedback) stay second in line.
    c.HTMLExporter.extra_template_basedirs = [
        str(Path(__file__).resolve().parent / "templates"),
        str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"),
    ]
    # Released notebooks carry no solution-region content and no hidden tests.
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    # nbgrader's own autograde (formgrader's button) is NOT sandboxed: use `metaopt grade autograde`.
    c.Execute.timeout = 120
    harden(c)


def grading_limits(course):
    """The limits of one course's executions: ``metaopt_instructor.sandbox.Limits`` with the ``c.MetaoptGrading``
    overrides of its configuration (and of the command line, through ``Course``'s settings)."""
    import dataclasses

    from metaopt_instructor.sandbox import Limits

    names = {"total_timeout": "submission_timeout"}  # the config's name of a field, where it differs
    overrides = {}
    for field in dataclasses.fields(Limits):
        value = course.setting(names.get(field.name, field.name), None)
        if value is not None:
            overrides[field.name] = int(value)
    return Limits(**overrides)
