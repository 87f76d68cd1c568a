"""Bilingual text for code cells (plot labels, widget captions, printed messages).

A lecture's generated first cell sets ``LANG = "en"`` or ``LANG = "ru"``; code cells then write
``tr = translator(LANG)`` once and ``tr("Accuracy", "Точность")`` wherever text is shown, so the
code cells of both languages stay identical and both texts sit side by side in the single source.
"""

from __future__ import annotations

from typing import Callable

LANGUAGES = ("en", "ru")


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES} / "
                         f"неизвестный язык {lang!r}; ожидается один из {LANGUAGES}")
    return lang


def translator(lang: str) -> Callable[[str, str], str]:
    """Return ``tr(en, ru)`` that picks the text of ``lang``."""
    check_language(lang)
    if lang == "ru":
        return lambda en, ru: ru
    return lambda en, ru: en


def both(en: str, ru: str) -> str:
    """A message shown to students in both languages (errors, notices)."""
    return f"{en}\n{ru}"
