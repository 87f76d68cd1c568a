"""The course glossary (metaopt_course.glossary) holds in every text students read.

Texts checked: the prose of every lecture source (each English cell with its Russian twin), the ``tr(en, ru)``
texts of the lectures' code cells, every cell of the solutions and of the released assignments, and the
``both(en, ru)`` messages of the library. A forbidden variant, a Russian word that its English twin contradicts
(«переобучение» for "retraining"), a decimal point in Russian prose or a source called "seed" fails the test.
"""

import ast
import json
import re
import subprocess

import pytest

from metaopt_course import glossary, notebooks

ROOT = notebooks.course_root()
SOURCES = notebooks.lecture_sources(ROOT)
# Lectures 7 and 8 (the split of the old lecture 7) are written on another branch of issue 14; remove them from
# PENDING once their text follows the glossary (the lead checks after the merge).
PENDING: set[str] = set()
CHECKED = [src for src in SOURCES if src.stem not in PENDING]


# --- collecting texts ----------------------------------------------------------------------------------------

def _string(node) -> str | None:
    """The text of a string literal or of an f-string (its placeholders as '{}'); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def call_pairs(code: str, names=("tr", "both")) -> list[tuple[str, str]]:
    """The (en, ru) string arguments of every ``tr(en, ru)`` / ``both(en, ru)`` call in ``code``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    pairs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) == 2:
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            en, ru = (_string(a) for a in node.args)
            if name in names and en is not None and ru is not None:
                pairs.append((en, ru))
    return pairs


def lecture_pairs(src) -> list[tuple[str, str]]:
    """(en, ru) prose pairs and ``tr`` pairs of one lecture source."""
    cells = notebooks.read_source(src).cells
    pairs = []
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.metadata.get("lang") == "en":
            pairs.append((cell.source, cells[i + 1].source))
        elif cell.cell_type == "code":
            pairs.extend(call_pairs(cell.source))
    return pairs


def library_pairs() -> list[tuple[str, str]]:
    pairs = []
    for path in sorted((ROOT / "metaopt_lib").glob("*.py")):
        pairs.extend(call_pairs(path.read_text(encoding="utf-8")))
    return pairs


def notebook_texts() -> list[tuple[str, str]]:
    """(where, text) for every cell of the solutions and the released assignments."""
    texts = []
    for folder in ("solutions", "assignments"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            for n, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
                source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                texts.append((f"{path.relative_to(ROOT)} cell {n}", source))
    return texts


def _report(found) -> str:
    return "\n".join(f"{where}: «{text}» — write {rule.use} ({rule.reason})" for where, text, rule in found)


# --- the glossary itself -------------------------------------------------------------------------------------

def test_glossary_is_well_formed():
    assert len(glossary.TERMS) >= 40
    assert len({t.en for t in glossary.TERMS}) == len(glossary.TERMS), "an English term is listed twice"
    for rule in glossary.FORBIDDEN:
        assert rule.lang in ("en", "ru") and rule.use and rule.reason
        re.compile(rule.pattern)
    table = glossary.markdown_table("ru")
    assert "| запросное множество | query set |" in table and "| дообучение |" in table


@pytest.mark.parametrize("text, lang, hit", [
    ("После этого λ настраивается без всякого переобучения.", "ru", True),
    ("Переобученная модель всё резче подгоняется под выборку.", "ru", True),
    ("точность на контрольном множестве", "ru", True),
    ("носитель и запрос расходятся в числе задач", "ru", True),
    ("градиенты разных минипакетов одной задачи", "ru", True),
    ("выбрать пакет задач", "ru", True),
    ("по функции выбора, например по ожидаемому улучшению", "ru", True),
    ("модель-заменитель функции потерь", "ru", True),
    ("Неявная функция видит внутреннюю задачу", "ru", True),
    ("Лузос и соавторы (2017)", "ru", True),
    ("загружаем контроль из файла", "ru", True),
    ("(seed 000's statement)", "en", True),
    ("the seed's comparison", "en", True),
    # the right terms pass
    ("без дообучения; модель, обученная заново при каждом λ", "ru", False),
    ("начало переобучения; параметрический контроль сложности; контроллер", "ru", False),
    ("опорное и запросное множества, мини-батч, метабатч, батч задач", "ru", False),
    ("суррогатная модель и функция приобретения; Louizos и др. (2017)", "ru", False),
    ("относительная плотность; носитель распределения p(λ)", "ru", False),
    ("set_seed(0); the random seed of the split", "en", False),
])
def test_forbidden_patterns_can_fail(text, lang, hit):
    assert bool(glossary.forbidden_in(text, lang)) is hit, glossary.forbidden_in(text, lang)


def test_pair_rules_can_fail():
    assert glossary.pair_problems("the retrained model", "переобученная модель")
    assert glossary.pair_problems("validation loss at the onset of retraining", "начало переобучения")
    assert not glossary.pair_problems("the onset of overfitting", "начало переобучения")
    assert glossary.pair_problems("sample a batch of tasks", "выбрать пакет задач")
    assert not glossary.pair_problems("install the package", "установите пакет")
    assert glossary.pair_problems("accuracy on the query set", "точность на контроле")
    assert not glossary.pair_problems("complexity control", "контроль сложности")


def test_decimal_rule_can_fail():
    assert glossary.decimal_point_problems("около 0.68 и 15.7 обучения") == ["0.68", "15.7"]
    assert glossary.decimal_point_problems("около 0,68; Python 3.11.4; §3.5; arXiv:1811.10959") == []


# --- the course's texts --------------------------------------------------------------------------------------

@pytest.mark.parametrize("src", CHECKED, ids=lambda p: p.stem)
def test_lecture_uses_the_glossary(src):
    found, twins = [], []
    for en, ru in lecture_pairs(src):
        if not ru.lstrip().startswith("## Литература"):
            latin = re.findall(r"\bet\s+al\.|\w\s&\s\w", ru)
            assert not latin, f"Russian prose writes «и др.» and «и» between authors: {latin} in {ru[:120]!r}"
        found += [("ru", text, rule) for text, rule in glossary.forbidden_in(ru, "ru")]
        found += [("en", text, rule) for text, rule in glossary.forbidden_in(en, "en")]
        twins += glossary.pair_problems(en, ru)
    assert not found, _report(found)
    assert not twins, "\n".join(twins)


@pytest.mark.parametrize("src", CHECKED, ids=lambda p: p.stem)
def test_russian_prose_writes_decimal_commas(src):
    bad = []
    for cell in notebooks.read_source(src).cells:
        if cell.cell_type != "markdown" or cell.metadata.get("lang") != "ru":
            continue
        if cell.source.lstrip().startswith("## Литература"):
            continue  # references: venues and identifiers as printed
        prose = cell.source
        for pattern in (notebooks._CODE, notebooks._MATH, notebooks._URL):
            prose = pattern.sub(" ", prose)
        bad += glossary.decimal_point_problems(prose)
    assert not bad, f"decimal points in Russian prose (write a comma): {bad}"


def test_library_messages_use_the_glossary():
    found, twins = [], []
    for en, ru in library_pairs():
        found += [(en[:60], text, rule) for text, rule in glossary.forbidden_in(ru, "ru")]
        twins += glossary.pair_problems(en, ru)
    assert not found, _report(found)
    assert not twins, "\n".join(twins)


def test_assignments_and_solutions_use_the_glossary():
    found = []
    for where, text in notebook_texts():
        found += [(where, hit, rule) for hit, rule in glossary.forbidden_in(text, "ru")]
        found += [(where, hit, rule) for hit, rule in glossary.forbidden_in(text, "en")]
    assert not found, _report(found)


def test_no_source_is_called_seed_outside_tests():
    """The issue's own check: `git grep` for the internal labels of the source documents is empty."""
    pending = [f":!lectures/src/{stem}.py" for stem in PENDING]
    pending += [f":!lectures/{lang}/{stem}.ipynb" for stem in PENDING for lang in ("en", "ru")]
    result = subprocess.run(
        ["git", "grep", "-nIiE", r"seed ?0[0-4][0-9]|the seed'?s|russian seed|the seeds\b", "--", ".", ":!tests",
         *pending], cwd=ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        pytest.skip(f"not a git checkout: {result.stderr.strip()}")
    assert result.stdout == "", result.stdout
