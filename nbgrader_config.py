"""nbgrader configuration of the metaopt course, read by `make lab` (formgrader) and by every `metaopt grade` command.

The settings themselves live in ONE place, `metaopt_instructor/config.py` (`configure`: paths, the runtime-state
folder `var/`, offline MathJax templates, release stubs, and the hardening the grader relies on, which `Course`
re-applies whatever this file says). The grading limits' defaults live in `metaopt_instructor.sandbox.Limits`.
Put this course's own choices below the call."""

from pathlib import Path

from metaopt_instructor.config import configure

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)
c.CourseDirectory.course_id = "metaopt"
configure(c, Path(__file__).resolve().parent)

# This course's overrides, e.g. a server gradebook shared by several graders (docs/large-course.md):
#   c.CourseDirectory.db_url = "postgresql://grader@db.example.org/metaopt"
# and the limits of `metaopt grade autograde` (fields of metaopt_instructor.sandbox.Limits; total_timeout is spelt
# submission_timeout here; `--cell-timeout`/`--submission-timeout` on the command line override both):
#   c.MetaoptGrading.cell_timeout = 90
