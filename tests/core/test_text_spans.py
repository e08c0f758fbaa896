"""The normaliser folds evasions away and maps every match back to the original text."""

# ruff: noqa: RUF001, RUF003  (look-alike letters are the subject of these tests)
from __future__ import annotations

import pytest

from gateway.core.text import normalise, normalise_term


@pytest.mark.parametrize(
    ("evasion", "plain"),
    [
        ("SECRET", "secret"),
        ("ｓｅｃｒｅｔ", "secret"),  # full-width (NFKC)
        ("sеcrеt", "secret"),  # Cyrillic е
        ("ѕесrеt", "secret"),  # Cyrillic ѕ, е, с
        ("s3cr3t", "secret"),
        ("5ecre7", "secret"),
        ("s\u200becr\u200det", "secret"),  # zero-width space and joiner
        ("sécrèt", "secret"),  # accents
        ("p@ssw0rd", "password"),
        ("1d10t", "idiot"),
        ("4dm1n", "admin"),
    ],
)
def test_evasion_normalises_to_the_plain_word(evasion: str, plain: str) -> None:
    assert normalise(evasion).text == plain


def test_whitespace_runs_collapse_to_one_space() -> None:
    assert normalise("top \n\t  secret").text == "top secret"


def test_digits_are_kept_without_leet() -> None:
    assert normalise("Order 1234", leet=False).text == "order 1234"


def test_a_match_maps_back_to_the_original_span() -> None:
    original = "Here: the ｐ\u200bａｓｓ word!"
    view = normalise(original)
    start = view.text.index("pass")
    begin, end = view.original_span(start, start + 4)
    assert original[begin:end] == "ｐ\u200bａｓｓ"


def test_expanding_characters_map_back_to_the_one_original_character() -> None:
    original = "an ﬁne day"  # the ligature ﬁ becomes two characters
    view = normalise(original)
    start = view.text.index("fine")
    assert view.original_span(start, start + 4) == (3, 6)


def test_terms_are_normalised_like_text() -> None:
    assert normalise_term("  Project  X-R4Y ") == "project x-ray"
