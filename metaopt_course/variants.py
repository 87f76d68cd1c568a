"""Homework variant selection: exactly the homework's script, with input checks around it.

The homework (O. Bakhteev's MIPT lecture slides «Метаоптимизация и структура», 2019, slide «ДЗ: выбор
задания») assigns the variants by::

    from zlib import crc32
    theory = crc32('фамилия кириллицей'.lower().encode('utf-8')) % 5 + 1
    practice = crc32('фамилия латиницей'.lower().encode('utf-8')) % 3 + 1

The formula is applied literally, after two clean-ups that make the same surname give the same variant whatever
keyboard typed it: surrounding spaces are stripped and the text is NFC-normalised (a «й» typed as «и» plus a
combining breve becomes the single letter «й»). Nothing else is folded: «ё» stays «ё». Input that cannot be a
surname of the asked script (empty, digits, Latin letters in the Cyrillic surname and vice versa, the two
swapped) is refused with a message in English and Russian, never answered with a variant.

For grading, the instructor's roster is the authority: ``metaopt variant --roster roster.csv``. Because «ё» is
often typed as «е» (and the formula treats them as different letters), ``metaopt variant`` says when the other
spelling would give another theory variant (``yo_spellings``), and that the roster's spelling decides.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from dataclasses import dataclass
from zlib import crc32

from metaopt_lib.i18n import both

__all__ = ["VariantInputError", "Variant", "theory_variant", "practice_variant", "yo_spellings", "yo_note",
           "normalise", "assign", "add_arguments", "cli", "ROSTER_COLUMNS", "assign_roster", "read_roster",
           "RosterEntry", "roster_entries", "roster_cli"]

N_THEORY = 5
N_PRACTICE = 3
# Characters allowed inside a surname besides letters of its script.
_JOINERS = {"-", "\u2010", "'", "\u2019", "\u02bc", " "}


class VariantInputError(ValueError):
    """A surname that cannot be used to select a variant; the message is in English and Russian."""


@dataclass(frozen=True)
class Variant:
    theory: int
    practice: int
    surname_ru: str
    surname_en: str
    notes: tuple[str, ...] = ()

    @property
    def assignments(self) -> tuple[str, str]:
        """The names of the two assignments of this student: ``theory_T`` and ``practice_P``."""
        return f"theory_{self.theory}", f"practice_{self.practice}"


def theory_variant(surname_ru: str) -> int:
    """The homework's formula, literally: ``crc32(surname_ru.lower().encode('utf-8')) % 5 + 1``."""
    return crc32(surname_ru.lower().encode("utf-8")) % N_THEORY + 1


def practice_variant(surname_en: str) -> int:
    """The homework's formula, literally: ``crc32(surname_en.lower().encode('utf-8')) % 3 + 1``."""
    return crc32(surname_en.lower().encode("utf-8")) % N_PRACTICE + 1


_YO = {"ё": "е", "Ё": "Е"}
_YE = {v: k for k, v in _YO.items()}


def yo_spellings(surname_ru: str) -> list[tuple[str, int]]:
    """The other ё/е spellings of a Cyrillic surname that give a DIFFERENT theory variant, with that variant.

    With «ё» in the surname, the other spelling is every «ё» written as «е» (how it is often typed); without «ё»,
    each single «е» in turn written as «ё» (which «е» is really «ё» only the roster knows). The variant is the
    homework's ``crc32(s.lower().encode('utf-8')) % 5 + 1`` of each spelling; spellings giving the same variant
    are left out, so an empty list means the ё/е spelling does not matter for this surname.
    """
    if any(ch in _YO for ch in surname_ru):
        others = ["".join(_YO.get(ch, ch) for ch in surname_ru)]
    else:
        others = [surname_ru[:i] + _YE[ch] + surname_ru[i + 1:] for i, ch in enumerate(surname_ru) if ch in _YE]
    mine = theory_variant(surname_ru)
    return [(other, theory_variant(other)) for other in others if theory_variant(other) != mine]


def yo_note(surname_ru: str) -> str | None:
    """An English and Russian note when the ё/е spelling of ``surname_ru`` changes the theory variant, else None."""
    alternatives = yo_spellings(surname_ru)
    if not alternatives:
        return None
    listed = ", ".join(f"{other!r} → theory_{t}" for other, t in alternatives)
    listed_ru = ", ".join(f"{other!r} → theory_{t}" for other, t in alternatives)
    mine = theory_variant(surname_ru)
    return both(
        f"the ё/е spelling changes your theory variant: {surname_ru!r} → theory_{mine}, but {listed}. "
        "The course roster's spelling is the authority: the instructor grades the variant of your surname exactly "
        "as the roster writes it (ё or е); use that spelling.",
        f"написание ё/е меняет ваш вариант теории: {surname_ru!r} → theory_{mine}, но {listed_ru}. "
        "Решает написание в списке курса: преподаватель проверяет вариант фамилии в точности так, как она "
        "записана в списке (через ё или е); используйте это написание.")


def _script(ch: str) -> str:
    if ch in _JOINERS:
        return "joiner"
    if unicodedata.category(ch).startswith("L"):
        name = unicodedata.name(ch, "")
        if name.startswith("CYRILLIC"):
            return "cyrillic"
        if name.startswith("LATIN"):
            return "latin"
        return "other-letter"
    if ch.isdigit():
        return "digit"
    return "other"


def _scripts(text: str) -> set[str]:
    return {_script(ch) for ch in text} - {"joiner"}


def normalise(text: str) -> tuple[str, list[str]]:
    """Strip surrounding spaces and NFC-normalise; return the text and notes on what changed."""
    if not isinstance(text, str):
        raise VariantInputError(both(f"a surname must be text, got {type(text).__name__}",
                                     f"фамилия должна быть строкой, получено {type(text).__name__}"))
    notes = []
    stripped = text.strip()
    if stripped != text:
        notes.append(both(f"surrounding spaces removed from {text!r}",
                          f"удалены пробелы по краям {text!r}"))
    nfc = unicodedata.normalize("NFC", stripped)
    if nfc != stripped:
        notes.append(both(f"{stripped!r} was normalised to Unicode NFC: {nfc!r} "
                          f"({len(stripped)} → {len(nfc)} code points)",
                          f"{stripped!r} приведена к нормальной форме Unicode NFC: {nfc!r} "
                          f"({len(stripped)} → {len(nfc)} кодовых точек)"))
    return nfc, notes


def _check(surname: str, script: str, other: str, label_en: str, label_ru: str) -> None:
    if not surname:
        raise VariantInputError(both(f"the {label_en} surname is empty", f"фамилия ({label_ru}) пуста"))
    found = _scripts(surname)
    if "digit" in found:
        raise VariantInputError(both(f"the {label_en} surname {surname!r} contains digits",
                                     f"фамилия ({label_ru}) {surname!r} содержит цифры"))
    if script not in found:
        raise VariantInputError(both(f"the {label_en} surname {surname!r} has no {script} letters",
                                     f"в фамилии ({label_ru}) {surname!r} нет букв нужного алфавита"))
    if found - {script}:
        bad = sorted({ch for ch in surname if _script(ch) not in (script, "joiner")})
        what_en = "Latin letters" if other == "latin" and "latin" in found else \
                  "Cyrillic letters" if other == "cyrillic" and "cyrillic" in found else "characters"
        what_ru = "латинские буквы" if what_en == "Latin letters" else \
                  "кириллические буквы" if what_en == "Cyrillic letters" else "символы"
        raise VariantInputError(both(
            f"the {label_en} surname {surname!r} contains {what_en} that do not belong there: {''.join(bad)!r}",
            f"фамилия ({label_ru}) {surname!r} содержит недопустимые {what_ru}: {''.join(bad)!r}"))
    if surname[0] in _JOINERS or surname[-1] in _JOINERS:
        raise VariantInputError(both(f"the {label_en} surname {surname!r} starts or ends with a hyphen/apostrophe",
                                     f"фамилия ({label_ru}) {surname!r} начинается или кончается дефисом/апострофом"))


def assign(surname_ru: str, surname_en: str) -> Variant:
    """The theory (1–5) and practice (1–3) variants of a student, by the homework's crc32 formula.

    Raises ``VariantInputError`` (a ``ValueError``) with an English and Russian message on bad input.
    """
    ru, notes_ru = normalise(surname_ru)
    en, notes_en = normalise(surname_en)
    if ru and en and _scripts(ru) == {"latin"} and _scripts(en) == {"cyrillic"}:
        raise VariantInputError(both(
            f"the surnames look swapped: {ru!r} is Latin and {en!r} is Cyrillic; "
            "give the Cyrillic surname first, then the Latin one",
            f"фамилии, похоже, перепутаны местами: {ru!r} латиницей, а {en!r} кириллицей; "
            "сначала укажите фамилию кириллицей, затем латиницей"))
    _check(ru, "cyrillic", "latin", "Cyrillic", "кириллицей")
    _check(en, "latin", "cyrillic", "Latin", "латиницей")
    return Variant(theory_variant(ru), practice_variant(en), ru, en, tuple(notes_ru + notes_en))


# --- command line ----------------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("surname_ru", nargs="?", help="surname in Cyrillic / фамилия кириллицей")
    parser.add_argument("surname_en", nargs="?", help="surname in Latin letters / фамилия латиницей")
    parser.add_argument("--json", action="store_true", help='print one JSON object {"theory": T, "practice": P}')
    parser.add_argument("--roster", help="CSV with columns student_id,surname_ru,surname_en")
    parser.add_argument("--output", help="with --roster: CSV to write (adds columns theory,practice); "
                                         "default: standard output")


def cli(args: argparse.Namespace) -> int:
    if args.roster:
        if args.surname_ru or args.surname_en:
            print(both("give either two surnames or --roster, not both",
                       "укажите либо две фамилии, либо --roster, но не то и другое"), file=sys.stderr)
            return 2
        return roster_cli(args.roster, args.output)
    if args.surname_ru is None or args.surname_en is None:
        print(both("usage: metaopt variant SURNAME_RU SURNAME_EN  (e.g. metaopt variant Иванов Ivanov)",
                   "использование: metaopt variant ФАМИЛИЯ_КИРИЛЛИЦЕЙ ФАМИЛИЯ_ЛАТИНИЦЕЙ "
                   "(например, metaopt variant Иванов Ivanov)"), file=sys.stderr)
        return 2
    try:
        variant = assign(args.surname_ru, args.surname_en)
    except VariantInputError as err:
        print(f"error / ошибка:\n{err}", file=sys.stderr)
        return 2
    for note in variant.notes:
        print(f"note / примечание:\n{note}", file=sys.stderr)
    yo = yo_note(variant.surname_ru)
    if yo:
        print(f"warning / предупреждение:\n{yo}", file=sys.stderr)
    if args.json:
        print(json.dumps({"theory": variant.theory, "practice": variant.practice}))
    else:
        print(f"{variant.surname_ru} / {variant.surname_en}")
        print(f"theory variant: {variant.theory} (assignment theory_{variant.theory}); "
              f"practice variant: {variant.practice} (assignment practice_{variant.practice})")
        print(f"вариант теории: {variant.theory} (задание theory_{variant.theory}); "
              f"вариант практики: {variant.practice} (задание practice_{variant.practice})")
    return 0


ROSTER_COLUMNS = ("student_id", "surname_ru", "surname_en")


def assign_roster(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """Assign every roster row; return (rows with theory/practice, [(line number, error)]).

    Line numbers count the header as line 1, as a spreadsheet shows them.
    """
    good, bad = [], []
    for line, row in enumerate(rows, start=2):
        student = (row.get("student_id") or "").strip()
        try:
            if not student:
                raise VariantInputError(both("student_id is empty", "student_id не заполнен"))
            variant = assign(row.get("surname_ru") or "", row.get("surname_en") or "")
        except VariantInputError as err:
            bad.append((line, str(err)))
            continue
        good.append({"student_id": student, "surname_ru": variant.surname_ru, "surname_en": variant.surname_en,
                     "theory": str(variant.theory), "practice": str(variant.practice)})
    return good, bad


def read_roster(path: str) -> list[dict[str, str]]:
    """The rows of a roster CSV (UTF-8, a spreadsheet's BOM allowed) with columns student_id,surname_ru,surname_en.

    The course's one roster reader: ``metaopt variant --roster`` and the instructor's grader both read through it.
    A missing file, a file that is not UTF-8 text or a missing column raises ``VariantInputError`` (EN + RU).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ROSTER_COLUMNS if c not in (reader.fieldnames or [])]
            rows = list(reader)
    except FileNotFoundError:
        raise VariantInputError(both(f"roster not found: {path}", f"список группы не найден: {path}")) from None
    except UnicodeDecodeError:
        raise VariantInputError(both(f"{path} is not UTF-8 text", f"{path} — не текст в кодировке UTF-8")) from None
    if missing:
        raise VariantInputError(both(
            f"{path}: missing column(s) {', '.join(missing)}; expected header {','.join(ROSTER_COLUMNS)}",
            f"{path}: нет столбца(ов) {', '.join(missing)}; ожидается заголовок {','.join(ROSTER_COLUMNS)}"))
    return rows


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster, names as the roster spells them (the roster's spelling decides the variant)."""

    student_id: str
    surname_ru: str
    surname_en: str


def roster_entries(path: str) -> dict[str, RosterEntry]:
    """The roster as {student_id: entry}; an empty or repeated student_id raises ``VariantInputError`` naming the
    line (the header is line 1, as a spreadsheet shows it)."""
    entries: dict[str, RosterEntry] = {}
    for line, row in enumerate(read_roster(path), start=2):
        sid = (row.get("student_id") or "").strip()
        if not sid:
            raise VariantInputError(both(f"{path}, line {line}: empty student_id",
                                         f"{path}, строка {line}: пустой student_id"))
        if sid in entries:
            raise VariantInputError(both(f"{path}, line {line}: student_id {sid!r} appears twice",
                                         f"{path}, строка {line}: student_id {sid!r} встречается дважды"))
        entries[sid] = RosterEntry(sid, (row.get("surname_ru") or "").strip(), (row.get("surname_en") or "").strip())
    return entries


def roster_cli(path: str, output: str | None) -> int:
    try:
        rows = read_roster(path)
    except (OSError, UnicodeDecodeError, VariantInputError) as err:
        print(f"error / ошибка: {err}", file=sys.stderr)
        return 2
    good, bad = assign_roster(rows)
    for line, message in bad:
        indented = message.replace("\n", "\n    ")
        print(f"{path}:{line}: {indented}", file=sys.stderr)
    fields = list(ROSTER_COLUMNS) + ["theory", "practice"]
    out = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(good)
    finally:
        if output:
            out.close()
    summary = f"{len(good)} assigned, {len(bad)} rejected / назначено: {len(good)}, отклонено: {len(bad)}"
    print(summary, file=sys.stderr)
    return 1 if bad else 0
