"""The pure parts of grading at scale: progress arithmetic, submission hashes, database URLs, the data-file archive
sent to cluster workers. (The end-to-end tests with PostgreSQL and Dask are in test_grading_scale.py.)"""

from __future__ import annotations

import hashlib

import pytest

from metaopt_instructor.cluster import _files_folder, pack_files
from metaopt_instructor.course import Course
from metaopt_instructor.database import is_server_url, normalize_url
from metaopt_instructor.progress import Progress, format_duration, select, submission_hash


def test_progress_rate_and_eta_with_a_fake_clock():
    now = [100.0]
    progress = Progress(10, clock=lambda: now[0])
    now[0] = 130.0
    assert progress.step() == "[1/10  10%, ETA …]"  # no rate from a single point
    now[0] = 160.0  # 2 done in 60 s: 2/min, 8 left -> 240 s
    assert progress.step() == "[2/10  20%, 2.0/min, ETA 4:00]"
    now[0] = 100.0 + 3600 * 9 / 10 * 10 / 9  # 10 done in 3600 s: 10/h
    for _ in range(8):
        last = progress.step()
    assert last == "[10/10 100%, 0.2/min, ETA 0:00]"


@pytest.mark.parametrize("seconds,text", [(0, "0:00"), (59.6, "1:00"), (65, "1:05"), (3725, "1:02:05"),
                                          (-3, "0:00")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("url,normal", [
    ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/g.db", "sqlite:////tmp/g.db"),
])
def test_database_urls(url, normal):
    assert normalize_url(url) == normal
    assert is_server_url(normal) == (not url.startswith("sqlite"))


def test_course_reads_postgresql_urls_with_the_shipped_driver(tmp_path):
    assert Course(tmp_path, db_url="postgresql://g@db/metaopt").db_url == "postgresql+psycopg://g@db/metaopt"


def _course_with(tmp_path, submitted: bytes, released: bytes) -> Course:
    course = Course(tmp_path)
    (course.submission_dir("s1", "theory_1")).mkdir(parents=True)
    (course.submission_dir("s1", "theory_1") / "theory_1.ipynb").write_bytes(submitted)
    (course.release_dir / "theory_1").mkdir(parents=True)
    (course.release_dir / "theory_1" / "theory_1.ipynb").write_bytes(released)
    return course


def test_submission_hash_follows_the_submitted_and_released_bytes(tmp_path):
    course = _course_with(tmp_path, b"student v1", b"release v1")
    expected = hashlib.sha256(b"submitted/theory_1.ipynb\0student v1\0released/theory_1.ipynb\0release v1\0")
    first = submission_hash(course, "s1", "theory_1")
    assert first == expected.hexdigest()
    (course.submission_dir("s1", "theory_1") / "theory_1.ipynb").write_bytes(b"student v2")
    second = submission_hash(course, "s1", "theory_1")
    (course.release_dir / "theory_1" / "theory_1.ipynb").write_bytes(b"release v2")
    third = submission_hash(course, "s1", "theory_1")
    assert len({first, second, third}) == 3


def test_select_skips_only_recorded_unchanged_submissions(tmp_path):
    course = _course_with(tmp_path, b"student v1", b"release v1")
    pair = ("s1", "theory_1")
    digest = submission_hash(course, *pair)
    assert select(course, [pair], {pair})[:2] == ([pair], [])  # no status yet
    course.write_status("theory_1", "s1", {"status": "graded", "hash": digest})
    assert select(course, [pair], {pair})[:2] == ([], [pair])
    assert select(course, [pair], set())[:2] == ([pair], [])  # not in this gradebook (another --db-url)
    assert select(course, [pair], {pair}, force=True)[:2] == ([pair], [])
    course.write_status("theory_1", "s1", {"status": "graded", "hash": "0" * 64})
    assert select(course, [pair], {pair})[:2] == ([pair], [])


def test_data_files_travel_to_workers_intact(tmp_path):
    folder = tmp_path / "theory_1"
    (folder / "data").mkdir(parents=True)
    (folder / "theory_1.ipynb").write_text("{}")  # notebooks are not data files
    (folder / "table.csv").write_bytes(b"a,b\n1,2\n")
    (folder / "data" / "x.bin").write_bytes(bytes(range(256)))
    archive = pack_files(folder)
    unpacked = _files_folder(archive)
    assert sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*")) == \
        ["data", "data/x.bin", "table.csv"]
    assert (unpacked / "data" / "x.bin").read_bytes() == bytes(range(256))
    assert _files_folder(archive) == unpacked  # unpacked once per worker process
    assert pack_files(tmp_path / "nothing") == b"" and _files_folder(b"") is None


def test_cluster_address_from_the_course_config_or_the_command_line(tmp_path):
    from metaopt_instructor.grade import Grader

    config = tmp_path / "nbgrader_config.py"
    config.write_text("c = get_config()\nc.MetaoptGrading.cluster = 'tcp://grading-host:8786'\n")
    assert Grader(Course(tmp_path), log=lambda m: None).cluster == "tcp://grading-host:8786"
    assert Grader(Course(tmp_path), cluster="tcp://other:1", log=lambda m: None).cluster == "tcp://other:1"
    config.unlink()
    assert Grader(Course(tmp_path), log=lambda m: None).cluster is None
