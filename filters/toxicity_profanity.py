"""Toxicity backend on alt-profanity-check: a linear model on word unigrams, shipped in its package.

It works offline, and its score is computed straight from the model's weights
(`profanity_weights`): tens of microseconds per answer, cheap enough to run on the request path
without a worker pool. It has one label, `profanity`; it scores insults and swearing near 1.0 but
threats lower.
A bag of n-grams dilutes one insult in a long text, so texts are scored in pieces of about a
sentence or two (240 characters), keeping the highest score.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import joblib

from filters.profanity_weights import ProfanityWeights
from filters.toxicity import piece_spans

LABEL = "profanity"


class ProfanityScorer:
    """alt-profanity-check's vectorizer and model, loaded on this object (not the package's globals)."""

    backend = "profanity"
    labels: tuple[str, ...] = (LABEL,)

    inline = True  # microseconds: scored on the event loop, never sent to a worker

    def __init__(self, max_chars: int = 240) -> None:
        data = resources.files("profanity_check") / "data"
        self._weights = ProfanityWeights.from_model(
            joblib.load(data / "vectorizer.joblib"), joblib.load(data / "model.joblib")
        )
        self._max_chars = max_chars

    def score_batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """The profanity probability of each text (the highest over its pieces when it is long)."""
        return [
            {LABEL: self._weights.highest_score(text, piece_spans(text, self._max_chars)) if text else 0.0}
            for text in texts
        ]

    def describe(self) -> dict[str, object]:
        return {"backend": self.backend, "labels": list(self.labels), "model": "alt-profanity-check"}
