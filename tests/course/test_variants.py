"""Variant selection: the seed's crc32 formula exactly, and refusals on bad input (CLI as a user runs it)."""

import csv
import json
import subprocess
import sys
import unicodedata
import zlib

import pytest

from metaopt_course.variants import VariantInputError, assign

NAMES = [
    ("Иванов", "Ivanov"), ("Петрова", "Petrova"), ("Ёлкин", "Yolkin"), ("Семёнов", "Semyonov"),
    ("Римский-Корсаков", "Rimsky-Korsakov"), ("Д'Артаньян", "D'Artagnan"), ("ЩУКИНА", "SHCHUKINA"),
    ("Бахтеев", "Bakhteev"), ("Стрижов", "Strijov"), ("Гребенькова", "Grebenkova"), ("Йодко", "Yodko"),
    ("Эйлер", "Euler"), ("Цой", "Tsoy"), ("Фёдорова-Щербакова", "Fyodorova-Shcherbakova"), ("Ъ", "X"),
]


def seed_script(surname_ru: str, surname_en: str) -> tuple[int, int]:
    """The homework's script, verbatim."""
    from zlib import crc32
    theory = crc32(surname_ru.lower().encode('utf-8')) % 5 + 1
    practice = crc32(surname_en.lower().encode('utf-8')) % 3 + 1
    return theory, practice


@pytest.mark.parametrize("ru,en", NAMES)
def test_matches_the_seed_script(ru, en):
    v = assign(ru, en)
    assert (v.theory, v.practice) == seed_script(ru, en)
    assert v.assignments == (f"theory_{v.theory}", f"practice_{v.practice}")


def test_matches_zlib_on_many_generated_names():
    import random

    rng = random.Random(0)
    ru_letters = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    en_letters = "abcdefghijklmnopqrstuvwxyz"
    seen_t, seen_p = set(), set()
    for _ in range(2000):
        ru = "".join(rng.choice(ru_letters) for _ in range(rng.randint(1, 12))).capitalize()
        en = "".join(rng.choice(en_letters) for _ in range(rng.randint(1, 12))).capitalize()
        v = assign(ru, en)
        assert v.theory == zlib.crc32(ru.lower().encode("utf-8")) % 5 + 1
        assert v.practice == zlib.crc32(en.lower().encode("utf-8")) % 3 + 1
        seen_t.add(v.theory)
        seen_p.add(v.practice)
    assert seen_t == {1, 2, 3, 4, 5} and seen_p == {1, 2, 3}


def test_yo_is_not_folded():
    # ё and е are different letters to crc32: the formula is literal
    assert assign("Семёнов", "Semenov").theory == seed_script("Семёнов", "x")[0]
    assert zlib.crc32("семёнов".encode()) != zlib.crc32("семенов".encode())


def test_decomposed_unicode_gives_the_same_variant():
    composed = "Йодко Семёнов".split()
    for name in composed:
        decomposed = unicodedata.normalize("NFD", name)
        assert decomposed != name
        v, w = assign(decomposed, "Yodko"), assign(name, "Yodko")
        assert (v.theory, v.practice) == (w.theory, w.practice)
        assert v.notes, "normalisation must be reported"
        assert not w.notes


def test_spaces_and_case():
    v = assign("  ИВАНОВ\t", " Ivanov ")
    assert (v.theory, v.practice) == seed_script("ИВАНОВ", "Ivanov") == seed_script("иванов", "ivanov")
    assert len(v.notes) == 2


@pytest.mark.parametrize("ru,en,needle", [
    ("", "Ivanov", "empty"), ("   ", "Ivanov", "empty"), ("Иванов", "", "empty"),
    ("Ivanov", "Иванов", "swapped"), ("Ivanov", "Ivanov", "no cyrillic"), ("Иванов", "Иванов", "no latin"),
    ("Ива1нов", "Ivanov", "digits"), ("Иванов", "Ivan0v", "digits"), ("Иванoв", "Ivanov", "latin letters"),
    ("Иванов", "Ivanоv", "cyrillic letters"), ("Иванов!", "Ivanov", "characters"), ("-Иванов", "Ivanov", "hyphen"),
])
def test_bad_input_is_refused_in_both_languages(ru, en, needle):
    with pytest.raises(VariantInputError) as err:
        assign(ru, en)
    message = str(err.value)
    assert needle in message.lower()
    assert any("а" <= ch <= "я" for ch in message.lower()), "the message must also be in Russian"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "metaopt_course", "variant", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_cli_prints_both_languages_and_json():
    out = run_cli("Иванов", "Ivanov")
    assert out.returncode == 0
    t, p = seed_script("Иванов", "Ivanov")
    assert f"theory variant: {t}" in out.stdout and f"вариант теории: {t}" in out.stdout
    assert f"practice variant: {p}" in out.stdout and f"вариант практики: {p}" in out.stdout
    js = run_cli("Иванов", "Ivanov", "--json")
    assert js.returncode == 0 and json.loads(js.stdout) == {"theory": t, "practice": p}


def test_cli_json_stays_one_object_when_normalising():
    js = run_cli(unicodedata.normalize("NFD", " Йодко"), "Yodko", "--json")
    assert js.returncode == 0
    assert json.loads(js.stdout) == dict(zip(("theory", "practice"), seed_script("Йодко", "Yodko")))
    assert "NFC" in js.stderr


@pytest.mark.parametrize("args", [("Ivanov", "Иванов"), ("", "Ivanov"), ("Иван0в", "Ivanov")])
def test_cli_refuses_bad_input_without_a_variant(args):
    out = run_cli(*args)
    assert out.returncode != 0
    assert "variant" not in out.stdout and "вариант" not in out.stdout
    assert "error" in out.stderr and "ошибка" in out.stderr


def test_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,surname_ru,surname_en\n"
                      "s1,Иванов,Ivanov\n"
                      "s2,Petrov,Петров\n"
                      "s3,Сидоров,Sidorov\n"
                      "s4,,Kuznetsov\n", encoding="utf-8-sig")
    output = tmp_path / "variants.csv"
    out = subprocess.run([sys.executable, "-m", "metaopt_course", "variant", "--roster", str(roster), "--output",
                          str(output)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"{roster}:3:" in out.stderr and f"{roster}:5:" in out.stderr
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert [r["student_id"] for r in rows] == ["s1", "s3"]
    assert list(rows[0]) == ["student_id", "surname_ru", "surname_en", "theory", "practice"]
    for r in rows:
        assert (int(r["theory"]), int(r["practice"])) == seed_script(r["surname_ru"], r["surname_en"])


def test_roster_without_errors_exits_zero(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,surname_ru,surname_en\na,Цой,Tsoy\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "metaopt_course", "variant", "--roster", str(roster)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.splitlines()[1] == "a,Цой,Tsoy,{},{}".format(*seed_script("Цой", "Tsoy"))


def test_roster_with_wrong_header(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,Иванов\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "metaopt_course", "variant", "--roster", str(roster)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "surname_ru" in out.stderr


def test_yo_spellings_against_the_formula():
    from metaopt_course.variants import yo_spellings

    # ground truth: the homework's formula on the spelling written out by hand
    assert yo_spellings("Семёнова") == [("Семенова", seed_script("Семенова", "x")[0])]
    assert seed_script("Семёнова", "x")[0] != seed_script("Семенова", "x")[0]
    back = dict(yo_spellings("Семенова"))
    assert back["Семёнова"] == seed_script("Семёнова", "x")[0]
    assert set(back) <= {"Сёменова", "Семёнова"}
    for other, t in back.items():
        assert t == seed_script(other, "x")[0] != seed_script("Семенова", "x")[0]
    assert yo_spellings("Цой") == []  # no е/ё: nothing to say
    # a surname whose other spelling gives the same variant is not reported
    same = [s for s in ("Семёнов", "Ёлкин", "Фёдоров", "Артёмов", "Королёв", "Пётр", "Алёхин", "Лёвин")
            if seed_script(s, "x")[0] == seed_script(s.replace("ё", "е").replace("Ё", "Е"), "x")[0]]
    for s in same:
        assert yo_spellings(s) == []


def test_cli_warns_when_yo_changes_the_variant_and_json_stays_one_object():
    for ru in ("Семёнова", "Семенова"):
        out = run_cli(ru, "Semenova")
        assert out.returncode == 0
        assert "roster" in out.stderr and "списке курса" in out.stderr  # the roster decides, in both languages
        assert "Семенова" in out.stderr and "Семёнова" in out.stderr
        js = run_cli(ru, "Semenova", "--json")
        assert js.returncode == 0
        assert json.loads(js.stdout) == dict(zip(("theory", "practice"), seed_script(ru, "Semenova")))
        assert "roster" in js.stderr
    quiet = run_cli("Иванов", "Ivanov")
    assert "roster" not in quiet.stderr and quiet.stderr == ""


@pytest.mark.parametrize("ru,en", [
    ("Иванов-", "Ivanov"), ("Иванов", "Ivanov-"), ("Иванов-  ", "Ivanov"), ("Иванов\u2010", "Ivanov"),
    ("Иванов", "O'"), ("Иванов", "Ivanov\u2019"), ("'Иванов", "Ivanov"), ("Иванов", "-Ivanov"),
])
def test_a_joiner_at_either_end_of_either_surname_is_refused(ru, en):
    """A surname that ends (not only starts) with a hyphen or apostrophe is a typo (a half-typed double surname):
    the seed formula would give it a variant of its own, so it is refused, naming the surname, in both languages."""
    with pytest.raises(VariantInputError) as err:
        assign(ru, en)
    message = str(err.value)
    assert "starts or ends with a hyphen/apostrophe" in message
    assert "начинается или кончается дефисом/апострофом" in message
    bad = (ru if ru.strip()[0] in "-'\u2010\u2019" or ru.strip()[-1] in "-'\u2010\u2019" else en).strip()
    assert repr(bad) in message


def test_cli_refuses_a_surname_ending_in_a_hyphen():
    out = run_cli("Римский-", "Rimsky-Korsakov")
    assert out.returncode == 2
    assert "variant" not in out.stdout and "вариант" not in out.stdout
    assert "ends with a hyphen" in out.stderr and "кончается дефисом" in out.stderr
