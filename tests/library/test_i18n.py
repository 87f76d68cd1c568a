"""metaopt_lib.i18n: the chosen language's text, both texts for messages, a bilingual refusal of other languages."""

import pytest

from metaopt_lib import i18n


def test_translator_picks_the_language_and_both_joins_with_a_newline():
    assert i18n.translator("en")("Loss", "Потери") == "Loss"
    assert i18n.translator("ru")("Loss", "Потери") == "Потери"
    assert i18n.both("a", "б") == "a\nб"
    assert i18n.LANGUAGES == ("en", "ru")
    assert i18n.check_language("ru") == "ru" and i18n.check_language("en") == "en"


@pytest.mark.parametrize("lang", ["de", "EN", "", "r"])
def test_unknown_language_is_refused_in_both_languages(lang):
    with pytest.raises(ValueError) as err:
        i18n.translator(lang)
    assert f"unknown language {lang!r}" in str(err.value) and f"неизвестный язык {lang!r}" in str(err.value)


def test_language_is_compared_by_value():
    """A language code built at run time (read from a file, joined) is not the interned literal: still Russian."""
    lang = "".join(["r", "u"])
    assert i18n.translator(lang)("Loss", "Потери") == "Потери"
    assert i18n.translator("".join(["e", "n"]))("Loss", "Потери") == "Loss"
