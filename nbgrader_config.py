"""nbgrader configuration of the metaopt course (read by `jupyter lab`/formgrader started at the repository
root and by the `metaopt grade` commands). `autograder.course.harden()` re-applies the hardening below whatever this
file says, and the grading limits' defaults live in `autograder.sandbox.Limits` (override them here)."""

from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
_root = Path(__file__).resolve().parent

c.CourseDirectory.root = str(_root)
c.CourseDirectory.course_id = "metaopt"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "autograder/work/submitted"
c.CourseDirectory.autograded_directory = "autograder/work/autograded"
c.CourseDirectory.feedback_directory = "autograder/work/feedback"
c.CourseDirectory.db_url = f"sqlite:///{_root / 'autograder' / 'work' / 'gradebook.db'}"
# The course is graded from collected zips, not through nbgrader's exchange; an existing exchange folder keeps
# JupyterLab from warning "The exchange directory does not exist" (nbgrader's default is /srv/nbgrader/exchange).
c.Exchange.root = str(_root / "autograder" / "work" / "exchange")
(_root / "autograder" / "work" / "exchange").mkdir(parents=True, exist_ok=True)

# Formulas offline: nbconvert's `mathjax` macro (CDN) is replaced by autograder/templates/base/mathjax.html.j2
# (MathJax 2 served by the Jupyter server's jupyter-server-mathjax extension) in formgrader and feedback pages;
# nbgrader's own templates (formgrade, feedback) stay second in line. Found through the installed course package
# (metaopt_lib, next to autograder/), so that a copy of this file in another course folder finds them too — not through
# `import autograder`, which in a course folder finds that folder's runtime `autograder/` as a namespace package.
try:
    import metaopt_lib as _metaopt_lib
    import nbgrader as _nbgrader

    c.HTMLExporter.extra_template_basedirs = [
        str(Path(_metaopt_lib.__file__).resolve().parents[1] / "autograder" / "templates"),
        str(Path(_nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"),
    ]
except ImportError:  # a student's environment has neither: this file is the instructor's
    pass

# Released notebooks must not carry solution-region content nor hidden tests.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE / ВАШ КОД ЗДЕСЬ\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE / ВАШ ОТВЕТ ЗДЕСЬ"

# Hardening; autograder/course.py (harden) enforces the same settings.
# Deleted test cells are re-inserted and graded instead of silently losing their points.
c.OverwriteCells.add_missing_cells = True
# Feedback never shows hidden tests: their source is cleared, and tracebacks carry no source lines.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]
# nbgrader's own autograde (formgrader's button) is NOT sandboxed: use `metaopt grade autograde`.
c.Execute.timeout = 120

# Limits of `metaopt grade autograde`: their defaults and meanings are in ONE place, autograder/sandbox.py `Limits`
# (per cell, grace before a kill, set-up cells, per submission, memory, processes, file size, tmpfs, output bytes).
# Override a field here for this course, e.g.  c.MetaoptGrading.cell_timeout = 90  (total_timeout is spelt
# submission_timeout here); `metaopt grade autograde --cell-timeout/--submission-timeout` override both.
