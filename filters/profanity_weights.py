"""alt-profanity-check's score, computed straight from its weights.

Its model is a TF-IDF vectorizer (lower-cased word unigrams, `\\b\\w\\w+\\b`, English stop words
out, l2 norm) feeding five calibrated linear SVMs whose sigmoid probabilities are averaged. Each
is plain numbers, so a text's score is a sparse dot product over its tokens and five sigmoids:
the same value `predict_proba` gives (tests check it to 1e-9 on a corpus), in microseconds instead
of milliseconds, with no scikit-learn call on the request path.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

WORD_RUNS = r"(?u)\b\w\w+\b"  # scikit-learn's default token pattern: runs of two word characters or more


@dataclass(frozen=True, slots=True)
class ProfanityWeights:
    """Per vocabulary token: its idf and, per classifier, idf times the SVM coefficient."""

    token_pattern: re.Pattern[str]
    ascii_pattern: re.Pattern[str]  # the same pattern for ASCII text, where ASCII matching is faster
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
        if params["token_pattern"] != WORD_RUNS:  # highest_score reads tokens as whole runs
            raise ValueError(f"unsupported vectorizer: token pattern {params['token_pattern']!r}")
        classifiers = model.calibrated_classifiers_
        if model.method != "sigmoid" or any(len(c.calibrators) != 1 for c in classifiers):
            raise ValueError("unsupported model: expected binary sigmoid calibration")
        coefs = np.vstack([c.estimator.coef_[0] for c in classifiers])  # (classifiers, vocabulary)
        idf = vectorizer.idf_
        by_index = {index: token for token, index in vectorizer.vocabulary_.items()}
        weighted = {by_index[j]: tuple(float(idf[j] * w) for w in coefs[:, j]) for j in range(len(idf))}
        return cls(
            token_pattern=re.compile(params["token_pattern"]),
            ascii_pattern=re.compile(params["token_pattern"].removeprefix("(?u)"), re.ASCII),
            idf={by_index[j]: float(idf[j]) for j in range(len(idf))},
            weighted=weighted,
            intercepts=tuple(float(c.estimator.intercept_[0]) for c in classifiers),
            sigmoid=tuple((float(c.calibrators[0].a_), float(c.calibrators[0].b_)) for c in classifiers),
        )

    def _pattern(self, text: str) -> re.Pattern[str]:
        return self.ascii_pattern if text.isascii() else self.token_pattern

    def tokens(self, text: str) -> list[str]:
        """The text's tokens that the model knows (stop words and unknown words carry no weight)."""
        lowered = text.lower()
        return [token for token in self._pattern(lowered).findall(lowered) if token in self.idf]

    def score(self, text: str) -> float:
        return self.score_tokens(self.tokens(text))

    def score_tokens(self, tokens: list[str]) -> float:
        """The mean of the classifiers' calibrated probabilities for a text of these known tokens."""
        counts = Counter(tokens)
        norm = math.sqrt(sum((count * self.idf[token]) ** 2 for token, count in counts.items()))
        # One sum per classifier over every token's weights, in C (zip and sum), not a Python loop.
        rows = map(self.weighted.__getitem__, tokens)
        dots = map(sum, zip(*rows, strict=True)) if tokens else [0.0] * len(self.intercepts)
        total = 0.0
        for dot, intercept, (a, b) in zip(dots, self.intercepts, self.sigmoid, strict=True):
            decision = (dot / norm if norm else 0.0) + intercept
            total += _expit(-(a * decision + b))
        return total / len(self.intercepts)

    def highest_score(self, text: str, spans: list[tuple[int, int]]) -> float:
        """The highest score of the pieces of `text` at `spans`, each read in place. A token belongs
        to a piece when it lies wholly inside it: tokens are whole runs of word characters, so a
        piece is read from its start (a run it cuts there never matches) to the last run it holds
        whole. Matching the text once and keeping every token's position cost more than reading
        the overlapping pieces (benchmarks.proxy, streamed with the safe defaults)."""
        lowered = text.lower()
        if len(spans) == 1 or len(lowered) != len(text):  # a rare letter whose lower case is longer
            return max(self.score(text[start:end]) for start, end in spans)
        findall, idf = self._pattern(lowered).findall, self.idf
        return max(
            self.score_tokens(
                [token for token in findall(lowered, start, _whole_runs_end(lowered, end)) if token in idf]
            )
            for start, end in spans
        )


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"  # what `\w` matches


def _whole_runs_end(text: str, end: int) -> int:
    """`end`, moved back to the start of the run of word characters it cuts, if it cuts one."""
    while 0 < end < len(text) and _is_word(text[end]) and _is_word(text[end - 1]):
        end -= 1
    return end


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
