# ruff: noqa: RUF001  (look-alike letters are what these tests are about)
"""The matching form of a text defeats the usual tricks and leaves ordinary text readable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.text import fold, normalise


@pytest.mark.parametrize(
    "disguised",
    [
        "IGNORE",
        "\uff29\uff27\uff2e\uff2f\uff32\uff25",  # full-width letters
        "ign\u200bore",  # zero-width space
        "ig\u00adnore",  # soft hyphen
        "\u0456gn\u043ere",  # Cyrillic i and o
        "\u00efgn\u00f6r\u00e9",  # accents
    ],
)
def test_disguised_words_normalise_to_the_plain_word(disguised: str) -> None:
    assert fold(disguised) == "ignore"


def test_whitespace_runs_and_newlines_become_one_space() -> None:
    assert fold("Ignore \n\n  previous\tinstructions") == "ignore previous instructions"


def test_digits_are_kept_so_number_patterns_still_match() -> None:
    assert fold("Card 4111 1111 1111 1111") == "card 4111 1111 1111 1111"


@settings(max_examples=500, deadline=None)
@given(st.text() | st.lists(st.sampled_from(list("aAé ı\u200bоΟ\u00ad\tℓﬁ１Ⅻ´¨\u0301x9@"))).map("".join))
def test_fold_is_the_span_keeping_normalisation_without_leetspeak(text: str) -> None:
    assert fold(text) == normalise(text, leet=False).text.strip()
