"""The matching form of a text defeats the usual tricks and leaves ordinary text readable."""

from __future__ import annotations

import pytest

from policies.normalise import normalise


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
    assert normalise(disguised) == "ignore"


def test_whitespace_runs_and_newlines_become_one_space() -> None:
    assert normalise("Ignore \n\n  previous\tinstructions") == "ignore previous instructions"


def test_digits_are_kept_so_number_patterns_still_match() -> None:
    assert normalise("Card 4111 1111 1111 1111") == "card 4111 1111 1111 1111"
