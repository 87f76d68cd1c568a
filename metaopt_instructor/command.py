"""The instructor's ``metaopt`` command — the console script of this repository (also ``python -m metaopt_instructor``).

The student's commands (``variant``, ``submit``, ``lectures``: ``metaopt_course.cli``) plus the instructor's:
``grade`` (release, collect, autograde, feedback, export: ``metaopt_instructor.cli``), ``student-dist`` and
``demo``. The student distribution installs ``metaopt_course.cli`` as its ``metaopt`` and has none of these.
"""

from __future__ import annotations

import argparse
import sys

from metaopt_course import cli as student_cli

__all__ = ["build_parser", "main"]


def _cmd_grade(args: argparse.Namespace) -> int:
    from metaopt_instructor import cli

    return cli.main(args.grade_args)


def _cmd_student_dist(args: argparse.Namespace) -> int:
    from metaopt_instructor import dist

    return dist.main(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from metaopt_instructor import demo

    return demo.run(workers=args.workers)


def _instructor_commands(sub) -> None:
    grade = sub.add_parser("grade", help="instructor: release, collect, autograde, feedback, export",
                           add_help=False)
    grade.add_argument("grade_args", nargs=argparse.REMAINDER)
    grade.set_defaults(func=_cmd_grade)

    dist = sub.add_parser("student-dist", help="instructor: build the student distribution (folder and zip)")
    dist.add_argument("--output", default="dist", help="output folder (default: dist)")
    dist.set_defaults(func=_cmd_student_dist)

    demo = sub.add_parser("demo", help="the course's main job: build lectures, grade the sample class")
    demo.add_argument("--workers", type=int, default=None, help="grading workers (default: CPU count)")
    demo.set_defaults(func=_cmd_demo)


def build_parser() -> argparse.ArgumentParser:
    return student_cli.build_parser(more_commands=_instructor_commands)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["grade"]:  # argparse.REMAINDER does not capture a leading option such as --help
        from metaopt_instructor import cli

        return int(cli.main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
