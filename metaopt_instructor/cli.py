"""``metaopt grade``: the instructor's commands (release, collect, autograde, feedback, export).

Typical session::

    metaopt grade release                       # assignments/ from solutions/, gradebook updated
    metaopt grade collect --from inbox/ --roster roster.csv
    metaopt grade autograde --workers 2         # sandboxed (bubblewrap) when available
    metaopt grade feedback                      # HTML per student, no hidden tests
    metaopt grade export --output grades.csv

Manual grading: ``make lab`` at the repository root, then Formgrader. The gradebook is SQLite in
``var/`` unless ``--db-url`` (or ``c.CourseDirectory.db_url`` in nbgrader_config.py) names another.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metaopt_instructor.course import Course, GradingError


def _course(args) -> Course:
    return Course(args.course_root, db_url=args.db_url,
                  cell_timeout=getattr(args, "cell_timeout", None),
                  submission_timeout=getattr(args, "submission_timeout", None))


def cmd_release(args) -> int:
    from metaopt_instructor.release import release

    release(_course(args), args.assignments, workers=args.workers, force=not args.if_changed,
            expected=not args.no_reference)
    return 0


def cmd_collect(args) -> int:
    from metaopt_instructor.collect import collect

    course = _course(args)
    report = collect(course, args.source, args.roster)
    for student, assignment, name in report.collected:
        print(f"collected {student:<12} {assignment:<12} from {name}")
    for who, text in report.problems:
        print(f"PROBLEM   {who:<12} {text}")
    print(f"{len(report.collected)} notebooks collected into {course.submitted_dir}, {len(report.problems)} problems")
    return 0


def cmd_autograde(args) -> int:
    from metaopt_instructor.grade import autograde

    results = autograde(_course(args), args.assignments or None, workers=args.workers,
                        sandbox_mode=False if args.no_sandbox else None, students=args.student,
                        cluster=args.cluster, force=args.force)
    return 0 if results else 1


def cmd_feedback(args) -> int:
    from metaopt_instructor.report import feedback

    feedback(_course(args))
    return 0


def cmd_export(args) -> int:
    from metaopt_instructor.report import format_table, rows, write_csv

    course = _course(args)
    table = rows(course)
    output = Path(args.output)
    write_csv(table, output)
    if not args.quiet:
        print(format_table(table))
    print(f"{len(table)} rows written to {output.resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metaopt grade", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course-root", default=None, help="course folder (default: this repository)")
    common.add_argument("--db-url", default=None,
                        help="gradebook database URL (default: sqlite in var/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", parents=[common], help="generate the student versions in assignments/",
                       description="Generate assignments/<name> from solutions/<name> (all when none named) "
                                   "and run the solution once to check it passes its own tests (the reference "
                                   "values of each student's hidden inputs are computed by autograde).")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--workers", type=int, default=None, help="parallel solution runs (default: CPU count)")
    p.add_argument("--if-changed", action="store_true",
                   help="skip assignments whose sources did not change since their last release")
    p.add_argument("--no-reference", action="store_true",
                   help="only generate the student versions (do not run the solution)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("collect", parents=[common], help="collect student zips/folders",
                       description="Collect one zip or folder per student (named by student id) from DIR.")
    p.add_argument("--from", dest="source", required=True, metavar="DIR")
    p.add_argument("--roster", default=None, help="CSV student_id,surname_ru,surname_en (unknown ids refused; "
                                                   "used for the variant check)")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("autograde", parents=[common], help="grade the collected submissions",
                       description="Execute every collected submission in a sandbox and record the grades.")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--workers", type=int, default=None, help="parallel executions (default: CPU count)")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell")
    p.add_argument("--submission-timeout", type=int, default=None, help="seconds per submission")
    p.add_argument("--student", action="append", default=None, metavar="ID",
                   help="grade only this student (repeatable)")
    p.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap (limits only)")
    p.add_argument("--cluster", default=None, metavar="tcp://HOST:PORT",
                   help="execute on this Dask scheduler's workers (default: c.MetaoptGrading.cluster, else the "
                        "local pool)")
    p.add_argument("--force", action="store_true",
                   help="grade every submission again (default: only new or changed ones)")
    p.set_defaults(func=cmd_autograde)

    p = sub.add_parser("feedback", parents=[common], help="HTML feedback per student (no hidden tests)",
                       description="Write var/feedback/<student>/<assignment>/*.html.")
    p.set_defaults(func=cmd_feedback)

    p = sub.add_parser("export", parents=[common], help="write the grade table (CSV, UTF-8)",
                       description="One row per student and assignment, missing expected variants included.")
    p.add_argument("--output", default="grades.csv")
    p.add_argument("--quiet", action="store_true", help="do not print the table")
    p.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GradingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
