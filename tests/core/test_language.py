"""One language detector: what a text is written in decides how it is matched and analysed."""

import pytest

from core.text import detect_language, language_of


@pytest.mark.parametrize(
    "text, language",
    [
        ("固态电池电解质的安全性", "zh-hans"),
        ("我们需要 solid-state battery 技术，提高能量密度", "zh-hans"),  # Chinese with an English term
        ("Power semiconductor devices for 成都 plants", "en"),  # English with a Chinese name
        ("1234 （1）、（2） 电池", "zh-hans"),
        ("12345 ,.;", None),
        ("", None),
    ],
)
def test_the_text_says_which_language_it_is_in(text, language):
    assert detect_language(text) == language


def test_a_declared_language_decides_only_text_that_does_not():
    assert language_of("en", "固态电池", "提高储能电池安全性") == "zh-hans"
    assert language_of("zh-hans", "Battery recycling", "Recover lithium from used cells") == "en"
    assert language_of("en", "2024", "") == "en"
    assert language_of(None, "", "") == "zh-hans"
