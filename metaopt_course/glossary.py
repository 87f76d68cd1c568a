"""The course glossary: one English ↔ Russian term list, the spelling of cited names, the forbidden variants.

This module is the single place where the course's vocabulary is fixed. Lecture 0 (``lectures/src/00_notation.py``)
prints it for students; ``tests/test_glossary.py`` reads :data:`FORBIDDEN` and fails on a forbidden variant in the
lectures, the assignments, the solutions and the library's bilingual messages.

Rules that are not single terms:

* **Cited names.** An author is written as printed in the paper — in Latin script — in both languages:
  «Lorraine и др. (2020)», «Louizos и др.», «Gal и Ghahramani», «Bengio», «Real», «Andrychowicz». Authors who
  publish in Russian are written in Cyrillic in Russian text and as printed in their English papers in English
  text (Бахтеев / Bakhteev, Стрижов / Strijov, Гребенькова / Grebenkova). Terms named after a person keep their
  established Russian form: ряд Неймана, бритва Оккама, оценка Хатчинсона, неравенство Пинскера, дивергенция
  Кульбака–Лейблера, распределение Гумбеля, парзеновская оценка, гауссовский, байесовский.
* **References.** Titles stay in their original language in both lists (a translated title cannot be searched
  for); one form: ``Surname I., Surname I. Title. Venue, year.``; «и др.» in Russian for "et al.".
* **Decimal separator.** Russian prose writes the decimal comma (0,68; 15,7 обучения), as Russian typography
  requires; formulas, code and program output keep the point (they are shared by both languages and printed by
  Python). English text writes the point.
* **Sources of the course.** Never "seed": the MIPT lecture slides "Metaparameters and metaoptimization" (2023);
  O. Bakhteev's MIPT lecture slides «Метаоптимизация и структура» (2019); the blog post on Lorraine, Vicol &
  Duvenaud (2020); S.-C. Chung's lecture "Hyperparameter search and meta learning" (NSYSU); the papers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Term", "Forbidden", "TERMS", "FORBIDDEN", "PAIR_RULES", "DECIMAL_POINT_RU", "forbidden_in",
           "pair_problems", "decimal_point_problems", "markdown_table"]


@dataclass(frozen=True)
class Term:
    """One entry of the glossary: the English term, the Russian term, and what to know about it."""

    en: str
    ru: str
    note_en: str = ""
    note_ru: str = ""


@dataclass(frozen=True)
class Forbidden:
    """A variant that must not appear: a regular expression, the text's language, what to write, and why."""

    pattern: str
    lang: str  # "ru" or "en": the language of the text the pattern is looked for in
    use: str
    reason: str

    def finditer(self, text: str):
        return re.finditer(self.pattern, text, flags=re.IGNORECASE | re.UNICODE)


TERMS: tuple[Term, ...] = (
    # the models and their parameters
    Term("parameters (of a model) $\\mathbf{w}$", "параметры модели $\\mathbf{w}$"),
    Term("structure (of a model) $\\Gamma$", "структура модели $\\Gamma$"),
    Term("hyperparameter $\\mathbf{h}$", "гиперпараметр $\\mathbf{h}$",
         "a parameter of the prior $p(\\mathbf{w}, \\Gamma \\mid \\mathbf{h})$",
         "параметр априорного распределения $p(\\mathbf{w}, \\Gamma \\mid \\mathbf{h})$"),
    Term("metaparameter $\\boldsymbol{\\lambda}$", "метапараметр $\\boldsymbol{\\lambda}$",
         "a parameter of the optimisation problem or of the optimisation operator",
         "параметр задачи оптимизации или оператора оптимизации"),
    Term("prior / posterior (distribution)", "априорное / апостериорное распределение"),
    Term("likelihood", "правдоподобие"),
    Term("evidence, marginal likelihood", "обоснованность (маргинальное правдоподобие)",
         "not «свидетельство»",
         "не «свидетельство»"),
    Term("type-II maximum likelihood", "максимум правдоподобия второго рода"),
    Term("evidence lower bound, ELBO", "вариационная нижняя оценка (ELBO)", "also «нижняя оценка обоснованности»",
         "также «нижняя оценка обоснованности»"),
    Term("variational inference / distribution", "вариационный вывод / вариационное распределение"),
    Term("KL divergence", "дивергенция Кульбака–Лейблера (KL-дивергенция)"),
    # optimisation
    Term("bilevel problem; inner / outer problem", "двухуровневая задача; внутренняя / внешняя задача"),
    Term("best-response function", "функция наилучшего ответа"),
    Term("hypergradient", "гиперградиент"),
    Term("implicit function theorem (IFT)", "теорема о неявной функции",
         "a theorem, not «неявная функция» that «sees» something",
         "теорема, а не «неявная функция», которая что-то «видит»"),
    Term("unrolled differentiation, unrolling", "дифференцирование развёрнутого обучения, развёртка"),
    Term("Neumann series", "ряд Неймана"),
    Term("conjugate gradient", "метод сопряжённых градиентов"),
    Term("Hessian; Hessian-vector product", "гессиан; произведение гессиана на вектор"),
    Term("learning rate, step size", "шаг обучения"),
    Term("weight decay", "коэффициент затухания весов (L2-регуляризация)"),
    Term("batch, mini-batch, meta-batch", "батч, мини-батч, метабатч", "not «пакет», «минипакет», «метапакет»",
         "не «пакет», «минипакет», «метапакет»"),
    Term("checkpoint", "контрольная точка, сохранённые веса", "not a bare «контроль»",
         "не просто «контроль»"),
    Term("early stopping", "ранняя остановка"),
    # data and generalisation
    Term("training / validation / test set", "обучающая / валидационная / тестовая выборка",
         "not «контрольная выборка» for the test set",
         "не «контрольная выборка»"),
    Term("overfitting", "переобучение", "only overfitting: a model fitted to noise of the training set",
         "только переобучение: модель подогнана под шум обучающей выборки"),
    Term("retraining, fine-tuning (after pruning, on a support set)", "дообучение",
         "never «переобучение», which means overfitting",
         "никогда не «переобучение» (это overfitting)"),
    Term("training (a model) anew at every λ", "обучение заново при каждом λ", "never «переобучение»",
         "никогда не «переобучение»"),
    Term("pre-training", "предобучение"),
    # black-box search
    Term("black-box search", "поиск «чёрным ящиком»"),
    Term("grid search / random search", "поиск по сетке / случайный поиск"),
    Term("Bayesian optimisation", "байесовская оптимизация"),
    Term("surrogate model", "суррогатная модель", "not «модель-заменитель»",
         "не «модель-заменитель»"),
    Term("acquisition function", "функция приобретения (acquisition function)", "not «функция выбора»",
         "не «функция выбора»"),
    Term("expected improvement (EI)", "ожидаемое улучшение (EI)"),
    Term("Gaussian process", "гауссовский процесс"),
    Term("warm start (of Bayesian optimisation)", "тёплый старт (байесовской оптимизации)"),
    Term("meta-features (of a data set)", "метапризнаки (набора данных)"),
    Term("learning curve", "кривая обучения"),
    Term("cross-entropy", "кросс-энтропия (перекрёстная энтропия)"),
    Term("successive halving; bracket; rung", "последовательное деление пополам; серия; ступень"),
    Term("neural architecture search (NAS)", "поиск архитектуры нейросети (NAS)"),
    # meta-learning
    Term("meta-learning; learning to learn", "метаобучение; обучение обучению"),
    Term("learned optimizer", "обученный оптимизатор"),
    Term("meta-gradient; meta-loss", "метаградиент; метапотери"),
    Term("task; episode", "задача; эпизод"),
    Term("support set", "опорное множество"),
    Term("query set", "запросное множество", "not «контрольное множество», not «запрос» alone in prose",
         "не «контрольное множество»"),
    Term("N-way K-shot", "«N классов, K примеров»"),
    Term("few-shot learning", "обучение по нескольким примерам (few-shot)"),
    Term("inner loop / outer loop", "внутренний / внешний цикл"),
    Term("prototypical networks; prototype", "прототипические сети (Prototypical Networks); прототип"),
    Term("metric-based / optimisation-based / black-box meta-learning",
         "метрическое / оптимизационное / «чёрный ящик» метаобучение",
         "the three families of meta-learning", "три семейства метаобучения"),
    Term("evolution strategies (EvoGrad)", "эволюционные стратегии (EvoGrad)"),
    Term("hypernetwork", "гиперсеть"),
    # structure
    Term("pruning; magnitude pruning", "прунинг (удаление параметров); прунинг по модулю"),
    Term("saliency (of a parameter)", "значимость параметра"),
    Term("complexity control", "контроль сложности"),
)


_NAMES = ("Лузос|Гарамани|Бенжио|Риал|Андрихович|Лоррейн|Дювено|Маклорин|Франчески|Шмидхубер|Чэнь|Бергстр|Снук|"
          "Грейвс|Кингм|Рагху|Виньялс|Финн|Никол|Ахиам|Раджесваран|Педрегос|Джеймисон|Талвалкар")

FORBIDDEN: tuple[Forbidden, ...] = (
    Forbidden(r"без\s+(всякого\s+)?переобучени\w*", "ru", "без обучения заново / без дообучения",
              "«переобучение» is overfitting; retraining is «дообучение» or «обучение заново»"),
    Forbidden(r"переобученн\w+\s+модел\w*", "ru", "модель, обученная заново / дообученная модель",
              "«переобученная модель» reads as an overfitted model"),
    Forbidden(r"переобучать\s+модель\s+для\s+каждого", "ru", "обучать модель заново для каждого",
              "«переобучать» reads as «to overfit»"),
    Forbidden(r"контрольн\w*\s+множеств\w*", "ru", "запросное множество (query set)",
              "«контроль» is overloaded (checkpoint, test set, query set)"),
    Forbidden(r"контрольн\w*\s+выборк\w*", "ru", "тестовая выборка",
              "«контроль» is overloaded (checkpoint, test set, query set)"),
    Forbidden(r"(?<![\w-])контрол(ь|я|ем|е)(?![\w-])(?!\s+(сложност|качества|верси))", "ru",
              "контрольная точка / запросное множество / тестовая выборка",
              "a bare «контроль» does not say which of them is meant"),
    Forbidden(r"опорн\w+\s+и\s+контрольн\w+", "ru", "опорное и запросное множества", "query set = запросное множество"),
    Forbidden(r"носител\w*\s+и\s+запрос\w*", "ru", "опорное и запросное множества",
              "«носитель» is the support of a distribution, not a support set"),
    Forbidden(r"(?<![\w-])(мини|мета)-?пакет\w*", "ru", "мини-батч / метабатч", "batch = «батч» in the whole course"),
    Forbidden(r"(?<![\w-])пакет\w*\s+задач", "ru", "батч задач", "batch = «батч» in the whole course"),
    Forbidden(r"размер\w*\s+пакет\w*", "ru", "размер батча", "batch = «батч» in the whole course"),
    Forbidden(r"функци\w+\s+выбора", "ru", "функция приобретения", "acquisition function = «функция приобретения»"),
    Forbidden(r"модел\w*-заменител\w*", "ru", "суррогатная модель", "a calque; the term is «суррогатная модель»"),
    Forbidden(r"неявная\s+функция\s+видит", "ru", "теорема о неявной функции «знает» лишь условие …",
              "a calque: the theorem is meant, not the implicit function"),
    Forbidden(r"программист\w*\s+быстрых\s+весов", "ru", "«быстрые веса» (fast weights)",
              "a calque of 'fast-weight programmers'"),
    Forbidden(r"(?<![\w-])(" + _NAMES + r")\w*", "ru", "the Latin spelling of the paper (Louizos, Ghahramani …)",
              "cited names are written as printed in the paper"),
    Forbidden(r"\bseed\s?0[0-4]\d\b|\bthe\s+seed(?:'s|s)\b|\brussian\s+seed\b", "en",
              "the MIPT lecture slides (2019 / 2023), the blog post on Lorraine et al., the paper",
              "students read 'seed' as a random seed; cite a source by what it is"),
    Forbidden(r"исходн\w+\s+(слайд\w*|текст\w*)\s+00\d", "ru", "слайды лекций МФТИ (2019 / 2023), запись в блоге …",
              "internal file numbers mean nothing to students"),
)

#: (Russian pattern, English pattern that must accompany it in the twin text, why). A twin is the English cell of
#: a lecture's (en, ru) pair, or the English argument of ``tr(en, ru)`` / ``both(en, ru)``.
PAIR_RULES: tuple[tuple[str, str, str], ...] = (
    (r"переобуч", r"overfit", "«переобучение» means overfitting only; retraining is «дообучение»/«обучение заново»"),
    (r"(?<![\w-])пакет", r"^(?!.*\bbatch)", "batch = «батч»: «пакет» only for a software package"),
    (r"(?<![\w-])контрол(?!\w*\s+сложност)(?!лер)", r"^(?!.*\b(query|test set|test accuracy))",
     "the query set is «запросное множество», the test set «тестовая выборка»"),
)

#: A decimal point between digits in Russian prose (formulas, code and program output are taken out first).
DECIMAL_POINT_RU = r"(?<![\w.,§:/-])\d+\.\d+(?![\w.]|\.\d)"


def forbidden_in(text: str, lang: str) -> list[tuple[str, Forbidden]]:
    """Every forbidden variant of language ``lang`` found in ``text``: (the matched text, the rule)."""
    found = []
    for rule in FORBIDDEN:
        if rule.lang == lang:
            found.extend((m.group(0), rule) for m in rule.finditer(text))
    return found


def pair_problems(en: str, ru: str) -> list[str]:
    """Problems of one (English, Russian) pair of texts under :data:`PAIR_RULES`."""
    problems = []
    for ru_pattern, en_pattern, why in PAIR_RULES:
        hit = re.search(ru_pattern, ru, re.IGNORECASE)
        if hit and not re.search(en_pattern, en, re.IGNORECASE | re.DOTALL):
            problems.append(f"«{hit.group(0)}…» in {ru[:90]!r}: {why}")
    return problems


def decimal_point_problems(prose_ru: str) -> list[str]:
    """Numbers written with a decimal point in Russian prose (pass prose with formulas and code removed)."""
    return [m.group(0) for m in re.finditer(DECIMAL_POINT_RU, prose_ru)]


def markdown_table(lang: str = "en") -> str:
    """The glossary as a Markdown table: English ↔ Russian for ``lang="en"``, Russian ↔ English for ``"ru"``."""
    head = ("| English | Русский | note |\n|---|---|---|" if lang == "en"
            else "| Русский | English | примечание |\n|---|---|---|")
    rows = [(f"| {t.en} | {t.ru} | {t.note_en} |" if lang == "en" else f"| {t.ru} | {t.en} | {t.note_ru} |")
            for t in TERMS]
    return "\n".join([head, *rows])
