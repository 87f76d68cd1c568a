"""The student's ``metaopt`` command (also ``python -m metaopt_course``): ``variant``, ``submit``, ``lectures``.

The instructor's ``metaopt`` (``metaopt_instructor.command``) is this parser with the instructor's commands added
(``grade``, ``student-dist``, ``demo``); the student distribution installs this one, so students never see them.
"""

from __future__ import annotations

import argparse
import sys

from metaopt_lib.i18n import both

__all__ = ["INSTRUCTOR_COMMANDS", "build_parser", "main"]

INSTRUCTOR_COMMANDS = ("grade", "student-dist", "demo")
"""Commands of the instructor's ``metaopt`` (``metaopt_instructor.command``): named here only to refuse them clearly."""


def _cmd_variant(args: argparse.Namespace) -> int:
    from metaopt_course import variants

    return variants.cli(args)


def _cmd_lectures(args: argparse.Namespace) -> int:
    from metaopt_course import notebooks

    if args.action == "build":
        written = notebooks.build_lectures()
        for path in written:
            print(f"wrote {path.relative_to(notebooks.course_root())}")
        print(f"{len(notebooks.lecture_sources())} lecture sources, {len(written)} notebooks updated")
        return 0
    problems = notebooks.check_lectures()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print("lectures/en and lectures/ru are up to date with lectures/src")
    return 1 if problems else 0


def _cmd_submit(args: argparse.Namespace) -> int:
    from metaopt_course import submission

    return submission.main([args.assignment, *(["--id", args.student_id] if args.student_id else [])])


def build_parser(more_commands=None) -> argparse.ArgumentParser:
    """The parser of the student's commands; ``more_commands(subparsers)`` adds others (the instructor's)."""
    parser = argparse.ArgumentParser(
        prog="metaopt",
        description="metaopt course: hyperparameters, metaparameters and meta-optimization "
                    "(курс «Метапараметры и метаоптимизация»).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from metaopt_course import variants
    variants.add_arguments(sub.add_parser(
        "variant", help="your homework variants (theory 1-5, practice 1-3) / ваши варианты ДЗ",
        description=variants.__doc__.split("\n\n")[0]))
    sub.choices["variant"].set_defaults(func=_cmd_variant)

    lec = sub.add_parser("lectures", help="build or check lectures/en and lectures/ru from lectures/src")
    lec.add_argument("action", choices=["build", "check"])
    lec.set_defaults(func=_cmd_lectures)

    submit = sub.add_parser("submit", help="zip an assignment as <student_id>-<assignment>.zip / сдать задание")
    submit.add_argument("assignment", metavar="ASSIGNMENT", help="e.g. practice_2")
    submit.add_argument("--id", dest="student_id", default=None,
                        help="your student id from the instructor's list (asked once, kept in .student_id)")
    submit.set_defaults(func=_cmd_submit)
    if more_commands is not None:
        more_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in INSTRUCTOR_COMMANDS:
        print(both(f"`metaopt {argv[0]}` is for instructors: the student distribution has no instructor's tools.",
                   f"`metaopt {argv[0]}` — команда для преподавателей: в студенческой версии курса её нет."),
              file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
