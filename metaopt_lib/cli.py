"""The ``metaopt`` command (also ``python -m metaopt_lib``).

Students use ``metaopt variant`` and ``metaopt submit``; maintainers ``metaopt lectures``; instructors
``metaopt grade``, ``metaopt student-dist`` and ``metaopt demo``. The instructor commands live in the
``autograder`` package, which the student distribution does not contain.
"""

from __future__ import annotations

import argparse
import sys

from metaopt_lib.i18n import both


def _instructor_module(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and err.name.split(".")[0] == "autograder":
            raise SystemExit(both(
                "This command is for instructors: the student distribution has no autograder.",
                "Эта команда для преподавателей: в студенческой версии курса нет автогрейдера.")) from err
        raise


def _cmd_variant(args: argparse.Namespace) -> int:
    from metaopt_lib import variants

    return variants.cli(args)


def _cmd_lectures(args: argparse.Namespace) -> int:
    from metaopt_lib import notebooks

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


def _cmd_demo(args: argparse.Namespace) -> int:
    from metaopt_lib import demo

    return demo.run(workers=args.workers)


def _cmd_submit(args: argparse.Namespace) -> int:
    from metaopt_lib import submission

    return submission.main([args.assignment, *(["--id", args.student_id] if args.student_id else [])])


def _cmd_student_dist(args: argparse.Namespace) -> int:
    return _instructor_module("autograder.dist").main(args)


def _cmd_grade(args: argparse.Namespace) -> int:
    return _instructor_module("autograder.cli").main(args.grade_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metaopt",
        description="metaopt course: hyperparameters, metaparameters and meta-optimization "
                    "(курс «Метапараметры и метаоптимизация»).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from metaopt_lib import variants
    variants.add_arguments(sub.add_parser(
        "variant", help="your homework variants (theory 1-5, practice 1-3) / ваши варианты ДЗ",
        description=variants.__doc__.split("\n\n")[0]))
    sub.choices["variant"].set_defaults(func=_cmd_variant)

    lec = sub.add_parser("lectures", help="build or check lectures/en and lectures/ru from lectures/src")
    lec.add_argument("action", choices=["build", "check"])
    lec.set_defaults(func=_cmd_lectures)

    demo = sub.add_parser("demo", help="the course's main job: build lectures, grade the sample class")
    demo.add_argument("--workers", type=int, default=None, help="grading workers (default: CPU count)")
    demo.set_defaults(func=_cmd_demo)

    submit = sub.add_parser("submit", help="zip an assignment as <student_id>-<assignment>.zip / сдать задание")
    submit.add_argument("assignment", metavar="ASSIGNMENT", help="e.g. practice_2")
    submit.add_argument("--id", dest="student_id", default=None,
                        help="your student id from the instructor's list (asked once, kept in .student_id)")
    submit.set_defaults(func=_cmd_submit)

    dist = sub.add_parser("student-dist", help="build the student distribution (folder and zip)")
    dist.add_argument("--output", default="dist", help="output folder (default: dist)")
    dist.set_defaults(func=_cmd_student_dist)

    grade = sub.add_parser("grade", help="instructor: release, collect, autograde, feedback, export",
                           add_help=False)
    grade.add_argument("grade_args", nargs=argparse.REMAINDER)
    grade.set_defaults(func=_cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["grade"]:  # argparse.REMAINDER does not capture a leading option such as --help
        return int(_instructor_module("autograder.cli").main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
