"""alt-profanity-check's score, computed straight from its weights.

Its model is a TF-IDF vectorizer (lower-cased word unigrams, `\\b\\w\\w+\\b`, English stop words
out, l2 norm) feeding five calibrated linear SVMs whose sigmoid probabilities are averaged. Each
is plain numbers, so a text's score is a sparse dot product over its tokens and five sigmoids:
the same value `predict_proba` gives (tests check it to 1e-9 on a corpus), in microseconds instead
of milliseconds, with no scikit-learn call on the request path. A running `TokenTally` makes the
score incremental as a streamed answer grows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class ProfanityWeights:
    """Per vocabulary token: its idf and, per classifier, idf times the SVM coefficient."""

    token_pattern: re.Pattern[str]
    idf: dict[str, float]
    weighted: dict[str, tuple[float, ...]]  # token -> (idf * coef_i for each classifier i)
    intercepts: tuple[float, ...]
    sigmoid: tuple[tuple[float, float], ...]  # (a, b) per classifier: p = 1 / (1 + exp(a * f + b))

    @classmethod
    def from_model(cls, vectorizer: Any, model: Any) -> ProfanityWeights:
        """Read the weights out of the fitted vectorizer and CalibratedClassifierCV; refuse a model
        whose shape differs from the one this computation reproduces."""
        params = vectorizer.get_params()
        expected = {"analyzer": "word", "lowercase": True, "ngram_range": (1, 1), "norm": "l2", "use_idf": True}
        if any(params.get(name) != value for name, value in expected.items()) or params.get("sublinear_tf"):
            raise ValueError(f"unsupported vectorizer settings: {params}")
        if params.get("preprocessor") or params.get("tokenizer") or params.get("strip_accents"):
            raise ValueError("unsupported vectorizer: custom preprocessing")
        classifiers = model.calibrated_classifiers_
        if model.method != "sigmoid" or any(len(c.calibrators) != 1 for c in classifiers):
            raise ValueError("unsupported model: expected binary sigmoid calibration")
        coefs = np.vstack([c.estimator.coef_[0] for c in classifiers])  # (classifiers, vocabulary)
        idf = vectorizer.idf_
        by_index = {index: token for token, index in vectorizer.vocabulary_.items()}
        weighted = {by_index[j]: tuple(float(idf[j] * w) for w in coefs[:, j]) for j in range(len(idf))}
        return cls(
            token_pattern=re.compile(params["token_pattern"]),
            idf={by_index[j]: float(idf[j]) for j in range(len(idf))},
            weighted=weighted,
            intercepts=tuple(float(c.estimator.intercept_[0]) for c in classifiers),
            sigmoid=tuple((float(c.calibrators[0].a_), float(c.calibrators[0].b_)) for c in classifiers),
        )

    def tokens(self, text: str) -> list[str]:
        """The text's tokens that the model knows (stop words and unknown words carry no weight)."""
        return [token for token in self.token_pattern.findall(text.lower()) if token in self.idf]

    def score(self, text: str) -> float:
        tally = TokenTally(self)
        tally.add(self.tokens(text))
        return tally.score()


@dataclass(slots=True)
class TokenTally:
    """The running sums of one text's TF-IDF vector against every classifier: adding tokens is
    O(tokens), and the score can be read at any point."""

    weights: ProfanityWeights
    counts: Counter[str] = field(default_factory=Counter)
    dots: list[float] = field(default_factory=list)
    squared_norm: float = 0.0

    def __post_init__(self) -> None:
        self.dots = [0.0] * len(self.weights.intercepts)

    def add(self, tokens: list[str]) -> None:
        idf, weighted = self.weights.idf, self.weights.weighted
        for token in tokens:
            count = self.counts[token]
            self.counts[token] = count + 1
            self.squared_norm += (2 * count + 1) * idf[token] ** 2  # (c+1)^2 - c^2 times idf^2
            for index, weight in enumerate(weighted[token]):
                self.dots[index] += weight

    def score(self) -> float:
        norm = math.sqrt(self.squared_norm)
        total = 0.0
        for dot, intercept, (a, b) in zip(self.dots, self.weights.intercepts, self.weights.sigmoid, strict=True):
            decision = (dot / norm if norm else 0.0) + intercept
            total += _expit(-(a * decision + b))
        return total / len(self.dots)


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
