"""Toxicity: the profanity backend on real sentences, per-label thresholds, long texts."""

from __future__ import annotations

from filters.base import FilterContext
from filters.config import LabelThreshold, ToxicityFilterConfig
from filters.toxicity import ToxicityFilter, split_for_model
from filters.toxicity_profanity import ProfanityScorer
from gateway.core.types import Action

INSULT = "You are a stupid worthless idiot and everybody hates you."
BENIGN = "Thanks for the update, the meeting is moved to Thursday afternoon."


def test_profanity_backend_scores_an_insult_high(profanity_scorer: ProfanityScorer) -> None:
    (scores,) = profanity_scorer.score_batch([INSULT])
    assert scores["profanity"] > 0.9


def test_profanity_backend_scores_a_benign_sentence_low(profanity_scorer: ProfanityScorer) -> None:
    (scores,) = profanity_scorer.score_batch([BENIGN])
    assert scores["profanity"] < 0.2


def test_profanity_backend_scores_a_batch_like_single_calls(profanity_scorer: ProfanityScorer) -> None:
    texts = [INSULT, BENIGN, "What the fuck is this garbage?"]
    assert profanity_scorer.score_batch(texts) == [profanity_scorer.score_batch([t])[0] for t in texts]


def test_profanity_in_the_tail_of_a_long_answer_is_scored(profanity_scorer: ProfanityScorer) -> None:
    long_answer = (BENIGN + " ") * 60 + INSULT
    (scores,) = profanity_scorer.score_batch([long_answer])
    assert scores["profanity"] > 0.9


def test_the_default_thresholds_block_an_insult(profanity_scorer: ProfanityScorer) -> None:
    result = ToxicityFilter(profanity_scorer, ToxicityFilterConfig()).scan(INSULT, FilterContext())
    assert result.action is Action.BLOCK
    assert [f.entity_type for f in result.findings] == ["profanity"]


def test_the_default_thresholds_allow_a_benign_answer(profanity_scorer: ProfanityScorer) -> None:
    result = ToxicityFilter(profanity_scorer, ToxicityFilterConfig()).scan(BENIGN, FilterContext())
    assert (result.action, result.findings) == (Action.ALLOW, [])


def test_a_score_between_flag_and_block_flags(profanity_scorer: ProfanityScorer) -> None:
    (scores,) = profanity_scorer.score_batch([INSULT])
    config = ToxicityFilterConfig(thresholds={"profanity": LabelThreshold(flag=0.5, block=1.0)})
    assert scores["profanity"] < 1.0
    assert ToxicityFilter(profanity_scorer, config).scan(INSULT, FilterContext()).action is Action.FLAG


def test_a_label_without_threshold_is_ignored(profanity_scorer: ProfanityScorer) -> None:
    config = ToxicityFilterConfig(thresholds={"threat": LabelThreshold(flag=0.1, block=0.2)})
    assert ToxicityFilter(profanity_scorer, config).scan(INSULT, FilterContext()).action is Action.ALLOW


def test_the_scorer_describes_itself(profanity_scorer: ProfanityScorer) -> None:
    assert profanity_scorer.describe() == {
        "backend": "profanity",
        "labels": ["profanity"],
        "model": "alt-profanity-check",
    }


def test_long_text_is_split_into_overlapping_pieces_that_cover_it() -> None:
    text = " ".join(f"word{i}" for i in range(400))
    pieces = split_for_model(text, 300)
    assert all(len(p) <= 300 for p in pieces)
    assert pieces[0] == text[: len(pieces[0])]
    assert text.endswith(pieces[-1])
    assert all(p in text for p in pieces)
