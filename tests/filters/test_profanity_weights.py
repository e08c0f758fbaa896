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
