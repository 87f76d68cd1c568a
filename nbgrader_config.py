"""nbgrader configuration of the metaopt course (read by `jupyter lab`/formgrader started at the repository
root and by the `metaopt grade` commands). The grading pipeline adds its hardening in autograder/config.py."""

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

# Released notebooks must not carry solution-region content nor hidden tests.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE / ВАШ КОД ЗДЕСЬ\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE / ВАШ ОТВЕТ ЗДЕСЬ"
