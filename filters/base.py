"""The Filter protocol: one method that scans text and says what it found and what to do about it.

Shaped like llm-guard's scanners: a filter is one file implementing `scan` (and, for ML filters
that gain from micro-batching, `scan_batch`). The pipeline decides how results combine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from gateway.core.types import Action

# Strength of each verdict: the strongest one over all filters and all texts of an answer wins.
ACTION_STRENGTH: dict[Action, int] = {
    Action.ALLOW: 0,
    Action.TRANSFORM: 1,
    Action.REDACT: 1,
    Action.FLAG: 2,
    Action.BLOCK: 3,
}


def strongest(actions: Iterable[Action]) -> Action:
    """The strongest of `actions` (block > flag > redact > allow); ALLOW for none."""
    return max(actions, key=ACTION_STRENGTH.__getitem__, default=Action.ALLOW)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a filter found: its type, its span in the scanned text, and how sure it is."""

    entity_type: str  # e.g. EMAIL_ADDRESS, toxicity, blocklist
    start: int
    end: int
    score: float
    filter: str
    action: Action = Action.ALLOW  # what this finding alone calls for

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end

    def as_record(self) -> dict[str, object]:
        """A JSON-ready record for review items and logs (spans only, never the matched text)."""
        return {
            "filter": self.filter,
            "type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "action": self.action.value,
        }


@dataclass(frozen=True, slots=True)
class Replacement:
    """Text to put in place of the span [start, end) of the scanned text."""

    start: int
    end: int
    text: str


def apply_replacements(text: str, replacements: Iterable[Replacement]) -> str:
    """`text` with non-overlapping replacements applied (where two overlap, the earlier one wins)."""
    out = []
    position = 0
    for item in sorted(replacements, key=lambda r: (r.start, -r.end)):
        if item.start < position:
            continue
        out.append(text[position : item.start])
        out.append(item.text)
        position = item.end
    out.append(text[position:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class FilterContext:
    """What a filter may know about the answer it scans, beyond the text itself."""

    team: str | None = None
    model: str | None = None
    request_id: str | None = None
    field: str = "content"  # content | tool_call_arguments
    choice_index: int = 0
    # A high-risk use case's policy turns every flag into a block: withheld and queued for review.
    withhold_flags: bool = False


@dataclass(slots=True)
class FilterResult:
    """A filter's verdict on one text; `replacements` (spans of the scanned text) say how to redact it."""

    filter: str
    action: Action
    findings: list[Finding] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    whole_text: bool = False  # the verdict judges the text as a whole (a classifier, a fail mode), not spans
    error: str | None = None  # set when the verdict comes from the fail mode, not from a scan
    details: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class Filter(Protocol):
    """An output filter. `name` is its registry name; scans must be thread-safe (they run in a pool)."""

    name: str
    spans: bool  # True: findings are spans of the text; False: they judge the whole text (classifiers)
    # True for scans of microseconds (patterns, the linear profanity model, the blocklist): they run
    # on the event loop, never queued for a batch or sent to a worker. False: models (NER, Detoxify).
    inline: bool

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        """Scan one text."""
        ...

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        """Scan many texts at once; ML filters run their model once over the batch."""
        ...

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        """For a streamed text received so far: the index (>= `start`, the end of what was released)
        from which a finding of this filter could still form as more text arrives. None when the
        filter cannot tell (a model reading context): the stream then holds its window back."""
        ...


class FilterError(Exception):
    """A filter could not scan a text (model failure, bad input); the fail mode decides the outcome."""


def flags_withheld(result: FilterResult) -> FilterResult:
    """`result` with a flag (and each flagging finding) raised to a block."""
    if result.action is not Action.FLAG and not any(f.action is Action.FLAG for f in result.findings):
        return result
    findings = [replace(f, action=Action.BLOCK) if f.action is Action.FLAG else f for f in result.findings]
    action = Action.BLOCK if result.action is Action.FLAG else result.action
    return replace(result, action=action, findings=findings)
