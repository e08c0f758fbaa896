"""Which words carried a toxicity score: each distinct word is taken out of the text in turn and
the text scored again; the words whose removal lowers the score clearly are the ones to show.

This asks the configured scorer itself (occlusion), so it holds for any backend: the linear
profanity model (a few hundred microseconds per answer) as for Detoxify (one batch of the model).
A long text is first cut into the pieces the filter scores, and only the highest-scoring piece is
examined, as that piece's score is the answer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from filters.toxicity import ToxicityScorer, piece_spans

PIECE_CHARS = 240
MAX_WORDS = 120  # distinct words of the piece tried; a piece of 240 characters has about 40
# A word counts when taking it out lowers the score by this share of the score, and by at least
# MIN_DROP: in an l2-normalised bag of words, removing any neutral word moves the score a little.
SHARE = 0.2
MIN_DROP = 0.05
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ToxicWord:
    start: int
    end: int
    score_without: float  # the label's score of the piece with every occurrence of this word taken out


def _without(piece: str, word: str) -> str:
    return re.sub(rf"(?i)(?<!\w){re.escape(word)}(?!\w)", lambda m: " " * len(m.group()), piece)


def toxic_words(scorer: ToxicityScorer, text: str, label: str) -> list[ToxicWord]:
    """Spans of `text` (every occurrence of each word) whose removal lowers `label`'s score."""
    if not text or label not in scorer.labels:
        return []
    spans = piece_spans(text, PIECE_CHARS)
    scores = scorer.score_batch([text[start:end] for start, end in spans])
    best = max(range(len(spans)), key=lambda i: scores[i].get(label, 0.0))
    start, end = spans[best]
    piece, base = text[start:end], scores[best].get(label, 0.0)
    if base <= MIN_DROP:
        return []
    candidates = list(dict.fromkeys(word.lower() for word in _WORD.findall(piece)))[:MAX_WORDS]
    if not candidates:
        return []
    without = scorer.score_batch([_without(piece, word) for word in candidates])
    carried = {
        word: result.get(label, 0.0)
        for word, result in zip(candidates, without, strict=True)
        if base - result.get(label, 0.0) >= max(MIN_DROP, SHARE * base)
    }
    found = [
        ToxicWord(match.start(), match.end(), carried[match.group().lower()])
        for match in _WORD.finditer(text)
        if match.group().lower() in carried
    ]
    return found
