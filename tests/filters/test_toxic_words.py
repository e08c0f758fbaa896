"""Which words carried a toxicity score, asked of the bundled profanity model itself."""

from __future__ import annotations

import pytest

from filters.toxic_words import toxic_words
from filters.toxicity_profanity import ProfanityScorer


@pytest.fixture(scope="module")
def scorer() -> ProfanityScorer:
    return ProfanityScorer()


def marked(scorer: ProfanityScorer, text: str) -> list[str]:
    return [text[word.start : word.end] for word in toxic_words(scorer, text, "profanity")]


def test_each_insult_is_found_even_when_another_alone_keeps_the_score_high(scorer: ProfanityScorer) -> None:
    text = "Thanks for waiting. You are a stupid idiot and this plan is crap. Have a nice day."
    assert sorted(marked(scorer, text)) == ["crap", "idiot", "stupid"]


def test_every_occurrence_of_a_toxic_word_is_marked(scorer: ProfanityScorer) -> None:
    assert marked(scorer, "Damn printer. The printer jammed again, damn.") == ["Damn", "damn"]


def test_a_text_the_model_does_not_find_toxic_marks_nothing(scorer: ProfanityScorer) -> None:
    assert marked(scorer, "The quarterly report is attached; the numbers look fine.") == []


def test_only_the_piece_that_scored_is_examined_in_a_long_text(scorer: ProfanityScorer) -> None:
    text = "The report is ready. " * 30 + "Honestly, you are a fucking moron. " + "The numbers look fine. " * 10
    assert "report" not in [w.lower() for w in marked(scorer, text)]
    assert "fucking" in [w.lower() for w in marked(scorer, text)]
