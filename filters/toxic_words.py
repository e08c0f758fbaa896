"""Which words carried a toxicity score: words are taken out of the text and the text scored again,
one word at a time, always the one whose removal lowers the score most, until the score has fallen
to half of what it was (or no removal lowers it). The words taken out are the ones to show.

Taking words out one at a time, rather than each alone, matters: in "a stupid idiot" either insult
alone keeps the score near 1.0, so neither would stand out by itself. This asks the configured
scorer itself (occlusion), so it holds for any backend: the linear profanity model (about a
millisecond per answer) as for Detoxify (a batch of the model per word found). A long text is
first cut into the pieces the filter scores, and only the highest-scoring piece is examined, as
that piece's score is the answer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from filters.toxicity import ToxicityScorer, piece_spans

PIECE_CHARS = 240
MAX_WORDS = 120  # distinct words of the piece tried; a piece of 240 characters has about 40
MAX_STEPS = 8  # words taken out at most: a text toxic in more words than this is marked by its worst
TARGET_SHARE = 0.5  # stop once the score is at most this share of the original
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ToxicWord:
    start: int
    end: int
    score_without: float  # the label's score once this word (and the ones before it) were taken out


def _without(piece: str, words: set[str]) -> str:
    return _WORD.sub(lambda m: " " * len(m.group()) if m.group().lower() in words else m.group(), piece)


def toxic_words(scorer: ToxicityScorer, text: str, label: str) -> list[ToxicWord]:
    """Spans of `text` (every occurrence of each word found) that carried `label`'s score."""
    if not text or label not in scorer.labels:
        return []
    spans = piece_spans(text, PIECE_CHARS)
    scores = scorer.score_batch([text[start:end] for start, end in spans])
    best = max(range(len(spans)), key=lambda i: scores[i].get(label, 0.0))
    start, end = spans[best]
    piece, score = text[start:end], scores[best].get(label, 0.0)
    target = score * TARGET_SHARE
    candidates = list(dict.fromkeys(word.lower() for word in _WORD.findall(piece)))[:MAX_WORDS]
    removed: dict[str, float] = {}
    while candidates and len(removed) < MAX_STEPS and score > target:
        trials = scorer.score_batch([_without(piece, {*removed, word}) for word in candidates])
        lowest = min(range(len(candidates)), key=lambda i: trials[i].get(label, 0.0))
        after = trials[lowest].get(label, 0.0)
        if after >= score:
            break  # no word lowers the score: nothing here carried it alone
        removed[candidates.pop(lowest)] = score = after
    if score > target:
        return []  # the score did not come from a few words: marking some would mislead
    return [
        ToxicWord(match.start(), match.end(), removed[match.group().lower()])
        for match in _WORD.finditer(text)
        if match.group().lower() in removed
    ]
