"""The profanity score computed from the model's weights equals alt-profanity-check's own
`predict_proba`, on a corpus of answers and on generated text."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.profanity_weights import ProfanityWeights
from filters.toxicity import piece_spans

CORPUS = [item["text"] for item in yaml.safe_load((Path(__file__).parent / "pii_corpus.yaml").read_text())] + [
    "you are a fucking idiot",
    "this damn printer jammed again",
    "What the hell is wrong with you, you stupid moron?",
    "Shut up, nobody asked for your crap.",
    "I will find you and hurt you.",
    "The quarterly report shows steady growth across every region.",
    "Thanks for the shit show, really helpful.",
    "",
    "a an the of and",
    "DAMN DAMN DAMN",
    "Café déjà vu naïve résumé, bloody brilliant",
]
WORDS = ["idiot", "report", "damn", "the", "growth", "shit", "moron", "and", "printer", "you", "stupid", "ok", "42"]


@pytest.fixture(scope="module")
def library() -> tuple[Any, Any]:
    data = resources.files("profanity_check") / "data"
    return joblib.load(data / "vectorizer.joblib"), joblib.load(data / "model.joblib")


@pytest.fixture(scope="module")
def weights(library: tuple[Any, Any]) -> ProfanityWeights:
    return ProfanityWeights.from_model(*library)


def test_the_direct_score_equals_predict_proba_on_a_corpus(library: tuple[Any, Any], weights: ProfanityWeights) -> None:
    vectorizer, model = library
    expected = model.predict_proba(vectorizer.transform(CORPUS))[:, 1]
    for text, probability in zip(CORPUS, expected, strict=True):
        assert weights.score(text) == pytest.approx(float(probability), abs=1e-9), text
    assert max(expected) > 0.9 > 0.2 > min(expected)  # the corpus spans both ends


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(WORDS) | st.text(max_size=10), max_size=40).map(" ".join))
def test_the_direct_score_equals_predict_proba_on_generated_text(
    library: tuple[Any, Any], weights: ProfanityWeights, text: str
) -> None:
    vectorizer, model = library
    expected = float(model.predict_proba(vectorizer.transform([text]))[0, 1])
    assert weights.score(text) == pytest.approx(expected, abs=1e-9)


def test_a_model_of_another_shape_is_refused(library: tuple[Any, Any]) -> None:
    vectorizer, model = library
    other = vectorizer.__class__(**{**vectorizer.get_params(), "ngram_range": (1, 2)})
    other.vocabulary_, other.idf_ = vectorizer.vocabulary_, vectorizer.idf_
    with pytest.raises(ValueError, match="unsupported vectorizer"):
        ProfanityWeights.from_model(other, model)
    spaced = vectorizer.__class__(**{**vectorizer.get_params(), "token_pattern": r"(?u)\S+"})
    spaced.vocabulary_, spaced.idf_ = vectorizer.vocabulary_, vectorizer.idf_
    with pytest.raises(ValueError, match="token pattern"):
        ProfanityWeights.from_model(spaced, model)


def _score_of_pieces_from_all_tokens(weights: ProfanityWeights, text: str, spans: list[tuple[int, int]]) -> float:
    """The definition: the text's tokens found once, each in every piece that holds it wholly."""
    lowered = text.lower()
    found = [(m.start(), m.end(), m.group()) for m in weights.token_pattern.finditer(lowered)]
    known = [(first, last, token) for first, last, token in found if token in weights.idf]
    return max(
        weights.score_tokens([token for first, last, token in known if first >= start and last <= end])
        for start, end in spans
    )


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.sampled_from([*WORDS, "_x", "e9", "naïve", "ßa"]) | st.text(max_size=12), max_size=60).map(
        lambda words: "".join(f"{word}{'' if n % 5 else ' '}" for n, word in enumerate(words))
    ),
    max_chars=st.integers(8, 60),
)
def test_the_highest_score_of_pieces_reads_each_piece_as_the_tokens_it_holds_wholly(
    weights: ProfanityWeights, text: str, max_chars: int
) -> None:
    spans = piece_spans(text, max_chars, overlap=max_chars // 3)
    if len(text.lower()) == len(text):
        assert weights.highest_score(text, spans) == _score_of_pieces_from_all_tokens(weights, text, spans)
