"""Produce the sample class (``metaopt_instructor/sample_class/``) from the course's released assignments and solutions.

    python -m metaopt_instructor.sample_class.make [--output DIR] [--course-root ROOT]     (make sample-class)

Writes ``roster.csv`` (Cyrillic and Latin surnames chosen so that the homework's crc32 formula gives each student
the variant the plan below needs) and ``submissions/`` (one folder or one zip per student id) built from the
first theory and the first practice assignment that exist (``T`` and ``P``):

    s01 folder  T and P correct                     -> graded, full autograded score
    s02 zip     T partly wrong (last answer a stub)  -> graded, part of the score
    s03 folder  P raising                           -> graded, 0
    s04 zip     T hanging at the top of an answer   -> timeout
    s05 folder  T truncated (not JSON)              -> invalid_notebook
    s06 zip     T correct, but the roster gives another theory variant -> wrong_variant
    s07 folder  P correct with a test cell deleted  -> tampered (cell restored and graded)
    s08 zip     T partly wrong, test cells edited to ``pass`` -> tampered (cells restored)
    s09 folder  T partly wrong, error outputs silenced -> tampered (outside verification)
    s10 folder  only a PDF-like file                -> reported by collect; both variants ``missing``
    s11 zip     P correct, then ``os._exit`` in its first answer: the kernel dies -> crashed (score 0)
    s99 folder  T correct, id not in the roster     -> reported by collect, not collected

Deterministic (sorted zip entries, fixed timestamps): a test checks the committed files equal a fresh run.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat

from metaopt_course.variants import assign
from metaopt_instructor import samples
from metaopt_instructor.course import Course

HERE = Path(__file__).resolve().parent

SURNAMES = [
    ("Кузнецов", "Kuznetsov"), ("Семёнова", "Semenova"), ("Иванов", "Ivanov"), ("Петров", "Petrov"),
    ("Сидоров", "Sidorov"), ("Смирнов", "Smirnov"), ("Попов", "Popov"), ("Васильев", "Vasiliev"),
    ("Соколов", "Sokolov"), ("Михайлов", "Mikhailov"), ("Новиков", "Novikov"), ("Фёдоров", "Fedorov"),
    ("Морозов", "Morozov"), ("Волков", "Volkov"), ("Алексеев", "Alekseev"), ("Лебедев", "Lebedev"),
    ("Егоров", "Egorov"), ("Павлов", "Pavlov"), ("Козлов", "Kozlov"), ("Степанов", "Stepanov"),
    ("Николаев", "Nikolaev"), ("Орлов", "Orlov"), ("Андреев", "Andreev"), ("Макаров", "Makarov"),
    ("Никитин", "Nikitin"), ("Захаров", "Zakharov"), ("Зайцев", "Zaitsev"), ("Соловьёв", "Solovyov"),
    ("Борисов", "Borisov"), ("Яковлев", "Yakovlev"), ("Григорьев", "Grigoriev"), ("Романов", "Romanov"),
    ("Воробьёв", "Vorobyov"), ("Сергеев", "Sergeev"), ("Кузьмина", "Kuzmina"), ("Фролова", "Frolova"),
    ("Александрова", "Alexandrova"), ("Дмитриева", "Dmitrieva"), ("Королёва", "Koroleva"), ("Гусева", "Guseva"),
    ("Киселёва", "Kiseleva"), ("Ильина", "Ilyina"), ("Максимова", "Maksimova"), ("Полякова", "Polyakova"),
    ("Сорокина", "Sorokina"), ("Виноградова", "Vinogradova"), ("Ковалёва", "Kovaleva"), ("Белова", "Belova"),
    ("Медведева", "Medvedeva"), ("Антонова", "Antonova"), ("Тарасова", "Tarasova"), ("Жукова", "Zhukova"),
    ("Баранова", "Baranova"), ("Филиппова", "Filippova"), ("Комарова", "Komarova"), ("Давыдова", "Davydova"),
    ("Беляева", "Belyaeva"), ("Герасимова", "Gerasimova"), ("Богданова", "Bogdanova"), ("Осипова", "Osipova"),
]

# student: (container, [(assignment key "T"/"P", sample kind)], expected variant constraint)
PLAN = {
    "s01": ("folder", [("T", "correct"), ("P", "correct")]),
    "s02": ("zip", [("T", "partly_wrong")]),
    "s03": ("folder", [("P", "raising")]),
    "s04": ("zip", [("T", "hanging")]),
    "s05": ("folder", [("T", "not_json")]),
    "s06": ("zip", [("T", "correct")]),
    "s07": ("folder", [("P", "deleted_test")]),
    "s08": ("zip", [("T", "edited_test")]),
    "s09": ("folder", [("T", "silenced_errors")]),
    "s10": ("folder", []),  # in the roster, but submits only a PDF (written below)
    "s11": ("zip", [("P", "hard_exit")]),
}
WRONG_VARIANT = "s06"
EXPECTED = {  # student: {assignment key: status}; the tests check these and the scores' relations
    "s01": {"T": "graded", "P": "graded"}, "s02": {"T": "graded"}, "s03": {"P": "graded"},
    "s04": {"T": "timeout"}, "s05": {"T": "invalid_notebook"}, "s06": {"T": "wrong_variant"},
    "s07": {"P": "tampered"}, "s08": {"T": "tampered"},
    "s09": {"T": "graded"},  # hidden tracebacks change no verdict (decided outside the kernel): graded on its values
    "s11": {"P": "crashed"},
}


def pick_assignments(course: Course) -> dict[str, str]:
    """{"T": first theory assignment, "P": first practice one}; either falls back to the other."""
    names = course.assignments()
    theory = [a for a in names if a.startswith("theory_")]
    practice = [a for a in names if a.startswith("practice_")]
    if not names:
        raise SystemExit(f"no assignment in {course.source_dir}")
    t = (theory or practice or names)[0]
    p = (practice or theory or names)[0]
    return {"T": t, "P": p}


def _variant_of(name: str) -> tuple[str, int] | None:
    kind, _, number = name.rpartition("_")
    return (kind, int(number)) if number.isdigit() and kind in ("theory", "practice") else None


def pick_roster(chosen: dict[str, str]) -> list[tuple[str, str, str]]:
    """Roster rows fitting the plan: each student's expected variants include what they submit (s06 excepted)."""
    rows, used = [], set()
    for student, (_, items) in PLAN.items():
        need = {}
        for key, _kind in items:
            v = _variant_of(chosen[key])
            if v:
                need[v[0]] = v[1]
        for ru, en in SURNAMES:
            if ru in used:
                continue
            got = assign(ru, en)
            have = {"theory": got.theory, "practice": got.practice}
            if student == WRONG_VARIANT:
                ok = all(have[k] != n for k, n in need.items())
            else:
                ok = all(have[k] == n for k, n in need.items())
            if ok:
                rows.append((student, ru, en))
                used.add(ru)
                break
        else:
            raise SystemExit(f"no surname in the list fits {student}: extend SURNAMES")
    return rows


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def student_versions(course: Course, names: set[str]) -> dict[str, nbformat.NotebookNode]:
    """Released notebooks generated by nbgrader in a temporary copy of the course (its gradebook untouched)."""
    from metaopt_instructor.release import generate

    with tempfile.TemporaryDirectory(prefix="metaopt-sample-") as tmp:
        for name in names:
            shutil.copytree(course.source_dir / name, Path(tmp) / "solutions" / name)
        scratch = Course(tmp)
        out = {}
        for name in sorted(names):
            generate(scratch, name)
            out[name] = nbformat.read(scratch.released_notebook(name, name), as_version=4)
        return out


def make(output: Path, course: Course) -> list[Path]:
    chosen = pick_assignments(course)
    versions = student_versions(course, set(chosen.values()))
    released, solution = {}, {}
    for key, name in chosen.items():
        released[key] = versions[name]
        solution[key] = nbformat.read(course.source_dir / name / f"{name}.ipynb", as_version=4)
    subs = output / "submissions"
    if subs.exists():
        shutil.rmtree(subs)
    subs.mkdir(parents=True)
    written = []
    for student, (container, items) in PLAN.items():
        files = {}
        for key, kind in items:
            nb = {**samples.KINDS, **samples.ATTACKS}[kind](released[key], solution[key])
            files[f"{chosen[key]}/{chosen[key]}.ipynb"] = samples.to_bytes(nb)
        if container == "zip":
            path = subs / f"{student}.zip"
            path.write_bytes(_zip_bytes({f"{student}/{name}": data for name, data in files.items()}))
            written.append(path)
        else:
            for name, data in files.items():
                path = subs / student / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                written.append(path)
    stray = subs / "s10" / "report.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF-1.4 not a notebook\n")
    stranger = subs / "s99" / f"{chosen['T']}.ipynb"
    stranger.parent.mkdir(parents=True)
    stranger.write_bytes(samples.to_bytes(samples.correct(released["T"], solution["T"])))
    written += [stray, stranger]
    roster = output / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student_id", "surname_ru", "surname_en"])
        writer.writerows(pick_roster(chosen))
    (output / "assignments.txt").write_text("".join(f"{k} {v}\n" for k, v in chosen.items()), encoding="utf-8")
    return written + [roster]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(HERE), help="folder to write (default: this folder)")
    parser.add_argument("--course-root", default=None)
    args = parser.parse_args(argv)
    written = make(Path(args.output), Course(args.course_root))
    print(f"wrote {len(written)} files to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
