"""The toxicity filter: a scorer gives per-label scores; per-label thresholds decide flag or block.

Scorers are backends behind one protocol (registered by name in `toxicity_backends.py`):
Detoxify (transformer checkpoints) and alt-profanity-check (a small linear model shipped in its
package). A scorer describes itself for /readyz and the start-up log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from filters.base import FilterContext, FilterResult, Finding, strongest
from filters.config import LabelThreshold, TeamFilterConfig, ToxicityFilterConfig
from filters.holdback import last_token_start
from filters.resources import FilterConfigError, FilterResources
from gateway.core.types import Action

FILTER_NAME = "toxicity"


class ToxicityScorer(Protocol):
    """Scores texts on named labels (0..1). Must be thread-safe; `score_batch` runs the model once."""

    backend: str
    labels: tuple[str, ...]
    inline: bool  # cheap enough for the event loop (see Filter.inline)

    def score_batch(self, texts: Sequence[str]) -> list[dict[str, float]]: ...

    def describe(self) -> dict[str, object]: ...


def piece_spans(text: str, max_chars: int, overlap: int = 64) -> list[tuple[int, int]]:
    """Spans of pieces of at most `max_chars` characters (overlapping, cut at whitespace where possible).

    Classifiers truncate their input (512 tokens for Detoxify's BERT); without this the tail of a
    long answer would never be scored.
    """
    if len(text) <= max_chars:
        return [(0, len(text))]
    spans = []
    start = 0
    while start < len(text):
        end = min(len(text), start + max_chars)
        if end < len(text):
            cut = text.rfind(" ", start + max_chars // 2, end)
            end = cut if cut > start else end
        spans.append((start, end))
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return spans


def split_for_model(text: str, max_chars: int, overlap: int = 64) -> list[str]:
    """The pieces of `piece_spans`, as texts."""
    return [text[start:end] for start, end in piece_spans(text, max_chars, overlap)]


def split_texts(texts: Sequence[str], max_chars: int) -> tuple[list[str], list[int]]:
    """Every text cut for the model, and for each piece the index of the text it came from."""
    pieces: list[str] = []
    owners: list[int] = []
    for index, text in enumerate(texts):
        for piece in split_for_model(text, max_chars):
            pieces.append(piece)
            owners.append(index)
    return pieces, owners


def label_verdict(label: str, score: float, threshold: LabelThreshold | None) -> Action:
    if threshold is None:
        return Action.ALLOW
    if score >= threshold.block:
        return Action.BLOCK
    if score >= threshold.flag:
        return Action.FLAG
    return Action.ALLOW


class ToxicityFilter:
    """Flags or blocks an answer whose label scores reach the configured levels."""

    name = FILTER_NAME
    spans = False  # a classifier judges the whole text

    def __init__(self, scorer: ToxicityScorer, config: ToxicityFilterConfig) -> None:
        self.inline = scorer.inline
        self._scorer = scorer
        self._thresholds: Mapping[str, LabelThreshold] = config.thresholds

    def _result(self, text: str, scores: dict[str, float]) -> FilterResult:
        findings = []
        for label, score in scores.items():
            action = label_verdict(label, score, self._thresholds.get(label))
            if action is not Action.ALLOW:
                findings.append(Finding(label, 0, len(text), score, FILTER_NAME, action))
        action = strongest(f.action for f in findings)
        return FilterResult(FILTER_NAME, action, findings, whole_text=True, details={"scores": scores})

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        return self.scan_batch([text], [context])[0]

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        scores = self._scorer.score_batch(texts)
        return [self._result(text, s) for text, s in zip(texts, scores, strict=True)]

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        # The word is the unit: each one is scored, with what came before it, before it is sent.
        # A transformer's verdict on a word depends on what follows, so it keeps the window.
        return last_token_start(text, start) if self.inline else None


def build(config: TeamFilterConfig, resources: FilterResources) -> ToxicityFilter | None:
    """The team's toxicity filter, or None when it has it off."""
    if not config.toxicity.enabled:
        return None
    if resources.toxicity_scorer is None:
        raise FilterConfigError("the toxicity filter is enabled but no toxicity scorer was created")
    return ToxicityFilter(resources.toxicity_scorer, config.toxicity)
