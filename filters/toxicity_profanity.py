"""Toxicity backend on alt-profanity-check: a linear model on character n-grams, shipped in its package.

It works offline and is fast when texts are batched (one vectorizer + model call for the batch).
It has one label, `profanity`; it scores insults and swearing near 1.0 but threats lower.
A bag of n-grams dilutes one insult in a long text, so texts are scored in pieces of about a
sentence or two (240 characters), keeping the highest score.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

import joblib

from filters.toxicity import split_texts

LABEL = "profanity"


class ProfanityScorer:
    """alt-profanity-check's vectorizer and model, loaded on this object (not the package's globals)."""

    backend = "profanity"
    labels: tuple[str, ...] = (LABEL,)

    def __init__(self, max_chars: int = 240) -> None:
        data = resources.files("profanity_check") / "data"
        self._vectorizer: Any = joblib.load(data / "vectorizer.joblib")
        self._model: Any = joblib.load(data / "model.joblib")
        self._max_chars = max_chars

    def score_batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """The profanity probability of each text (the highest over its pieces when it is long)."""
        pieces, owners = split_texts(texts, self._max_chars)
        if not pieces:
            return []
        probabilities = self._model.predict_proba(self._vectorizer.transform(pieces))[:, 1]
        best = [0.0] * len(texts)
        for owner, probability in zip(owners, probabilities, strict=True):
            best[owner] = max(best[owner], float(probability))
        return [{LABEL: score} for score in best]

    def describe(self) -> dict[str, object]:
        return {"backend": self.backend, "labels": list(self.labels), "model": "alt-profanity-check"}
