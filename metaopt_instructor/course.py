"""The course folder as the grader sees it: nbgrader configuration, paths, assignments, roster.

The configuration is the course's ``nbgrader_config.py`` (the one formgrader reads), loaded explicitly with
traitlets and passed to every nbgrader object (NbGraderAPI does not read it by itself). ``Course(root)`` can
point at another course folder (the tests use temporary ones); ``db_url`` overrides the gradebook (a server
database instead of the SQLite file in the working folder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from metaopt_course import course_root
from metaopt_instructor import config
from metaopt_course.variants import RosterEntry, VariantInputError, roster_entries
from metaopt_instructor.database import normalize_url

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_NAME = "nbgrader_config.py"


class GradingError(Exception):
    """A problem the instructor must fix (bad input, missing release, …); the message says what to do."""


def _venv_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` script: make the running environment's scripts findable."""
    import sys

    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


class Course:
    def __init__(self, root: Path | str | None = None, db_url: str | None = None, **settings):
        """``settings`` override the course's ``c.MetaoptGrading`` values (cell_timeout, submission_timeout, …)."""
        self.overrides = {k: v for k, v in settings.items() if v is not None}
        _venv_on_path()
        self.root = Path(root).resolve() if root is not None else course_root()
        config_file = self.root / CONFIG_NAME
        if not config_file.exists():
            config_file = REPO_ROOT / CONFIG_NAME
        loader = PyFileConfigLoader(config_file.name, path=str(config_file.parent))
        cfg = loader.load_config()
        # paths in the file are relative to the course root, except the SQLite default computed from its folder
        cfg.CourseDirectory.root = str(self.root)
        default_db = config.default_db_url(self.root)
        if db_url or os.environ.get("METAOPT_DB_URL"):
            cfg.CourseDirectory.db_url = db_url or os.environ["METAOPT_DB_URL"]
        elif config_file.parent != self.root or "db_url" not in cfg.CourseDirectory:
            cfg.CourseDirectory.db_url = default_db
        cfg.CourseDirectory.db_url = normalize_url(cfg.CourseDirectory.db_url)  # postgresql:// → psycopg 3
        config.harden(cfg)
        self.config: Config = cfg
        self.work = config.state_dir(self.root)
        self.work.mkdir(parents=True, exist_ok=True)

    # --- configuration ------------------------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.config.CourseDirectory.db_url

    def _dir(self, key: str, default: str) -> Path:
        return self.root / self.config.CourseDirectory.get(key, default)

    @property
    def source_dir(self) -> Path:
        return self._dir("source_directory", "source")

    @property
    def release_dir(self) -> Path:
        return self._dir("release_directory", "release")

    @property
    def submitted_dir(self) -> Path:
        return self._dir("submitted_directory", "submitted")

    @property
    def autograded_dir(self) -> Path:
        return self._dir("autograded_directory", "autograded")

    @property
    def feedback_dir(self) -> Path:
        return self._dir("feedback_directory", "feedback")

    def setting(self, name: str, default):
        """A value of the course's ``c.MetaoptGrading.<name>`` (grading limits and the like)."""
        if name in self.overrides:
            return self.overrides[name]
        section = self.config.get("MetaoptGrading", {})
        return section.get(name, default)

    def gradebook(self):
        from nbgrader.api import Gradebook

        course_id = self.config.CourseDirectory.get("course_id", "metaopt")
        return Gradebook(self.db_url, course_id=course_id)

    def api(self):
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        return NbGraderAPI(coursedir=coursedir, config=self.config)

    # --- assignments ----------------------------------------------------------------------------------
    def assignments(self) -> list[str]:
        """Assignment names: folders of the source directory that hold at least one notebook."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))

    def source_notebooks(self, assignment: str) -> list[Path]:
        return sorted((self.source_dir / assignment).glob("*.ipynb"))

    def released_notebook(self, assignment: str, notebook: str) -> Path:
        return self.release_dir / assignment / f"{notebook}.ipynb"

    def status_path(self, assignment: str, student: str) -> Path:
        return self.work / "status" / assignment / f"{student}.json"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted_dir / student / assignment

    # --- roster ----------------------------------------------------------------------------------------
    @property
    def roster_path(self) -> Path:
        return self.work / "roster.csv"

    def roster(self) -> dict[str, RosterEntry]:
        return read_roster(self.roster_path) if self.roster_path.exists() else {}

    # --- status files --------------------------------------------------------------------------------
    def read_status(self, assignment: str, student: str) -> dict | None:
        path = self.status_path(assignment, student)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def write_status(self, assignment: str, student: str, status: dict) -> None:
        path = self.status_path(assignment, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def statuses(self) -> dict[tuple[str, str], dict]:
        """{(student, assignment): status} for every graded or rejected submission."""
        out = {}
        base = self.work / "status"
        if base.is_dir():
            for path in sorted(base.glob("*/*.json")):
                out[(path.stem, path.parent.name)] = json.loads(path.read_text(encoding="utf-8"))
        return out


def read_roster(path: Path) -> dict[str, RosterEntry]:
    """The roster as {student_id: entry}, read by the course's one reader (``metaopt_course.variants``); its
    problems become a ``GradingError`` for the instructor."""
    try:
        return roster_entries(str(path))
    except VariantInputError as err:
        raise GradingError(str(err)) from None


def expected_variants(entry: RosterEntry) -> tuple[list[str], str | None]:
    """(the student's two expected assignments, or [] with the reason when the roster's names are invalid)."""
    from metaopt_course.variants import assign

    try:
        return list(assign(entry.surname_ru, entry.surname_en).assignments), None
    except ValueError as err:
        return [], str(err).replace("\n", " ")


def kind_of(assignment: str) -> str:
    """``theory_3`` → ``theory``: the variant family an assignment belongs to."""
    return assignment.rsplit("_", 1)[0] if "_" in assignment else assignment
