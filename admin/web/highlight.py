"""The flagged spans of an answer as segments a template can mark up (the text itself stays escaped)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from filters.answer import answer_slots
from filters.toxic_words import toxic_words
from filters.toxicity import FILTER_NAME as TOXICITY
from filters.toxicity import ToxicityScorer

SOON = timedelta(hours=1)
# For a verdict on a whole text (a classifier's): the words that carried it, as
# (start, end, the label's score without that word); see filters.toxic_words.
WordWeigher = Callable[[str, dict[str, Any]], list[tuple[int, int, float]]]


@dataclass(frozen=True)
class Segment:
    text: str
    labels: tuple[str, ...] = ()  # empty: plain text; else the findings that cover this part

    @property
    def marked(self) -> bool:
        return bool(self.labels)


def _span(finding: dict[str, Any], length: int) -> tuple[int, int] | None:
    start, end = finding.get("start"), finding.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= length:
        return None
    if start == 0 and end == length:
        return None  # a verdict on the whole answer (a classifier): marking all of it says nothing
    return start, end


def label(finding: dict[str, Any]) -> str:
    score = finding.get("score")
    shown = f" {score:.2f}" if isinstance(score, int | float) else ""
    without = finding.get("without")
    carried = f", {without:.2f} without this word" if isinstance(without, float) else ""
    return f"{finding.get('filter', '?')}: {finding.get('type', '?')}{shown}{carried}"


def segments(text: str, findings: Sequence[dict[str, Any]]) -> list[Segment]:
    """`text` cut at every span boundary; each piece lists the findings that cover it."""
    spans = [(span, label(f)) for f in findings if (span := _span(f, len(text))) is not None]
    cuts = sorted({0, len(text), *(point for (start, end), _ in spans for point in (start, end))})
    pieces = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(name for (s, e), name in spans if s <= start and end <= e)
        pieces.append(Segment(text[start:end], covering))
    return pieces


def suggested_phrase(text: str, findings: Sequence[dict[str, Any]]) -> str:
    """The text of the first flagged span, to pre-fill the blocklist phrase ('' when none has a span)."""
    spans = sorted(span for f in findings if (span := _span(f, len(text))) is not None)
    if not spans:
        return ""
    start, end = spans[0]
    return text[start:end].strip()[:1000]


@dataclass(frozen=True)
class AnswerView:
    """One text of a stored answer (a choice's content, a tool call's arguments) with its findings."""

    title: str
    segments: list[Segment]
    phrase: str


def word_findings(text: str, findings: Sequence[dict[str, Any]], weigh: WordWeigher | None) -> list[dict[str, Any]]:
    """`findings` with each verdict on the whole text replaced by one finding per word that carried
    it (when `weigh` finds any): marking the whole answer would say nothing."""
    if weigh is None:
        return list(findings)
    out: list[dict[str, Any]] = []
    for finding in findings:
        whole = finding.get("start") == 0 and finding.get("end") == len(text) and len(text) > 0
        words = weigh(text, finding) if whole else []
        out += [{**finding, "start": start, "end": end, "without": without} for start, end, without in words]
        if not words:
            out.append(finding)
    return out


def answer_views(stored: str, findings: Sequence[dict[str, Any]], weigh: WordWeigher | None = None) -> list[AnswerView]:
    """The texts of a stored chat completion, each with the findings whose spans refer to it."""
    try:
        body = json.loads(stored)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        mine = word_findings(stored, findings, weigh)
        return [AnswerView("answer", segments(stored, mine), suggested_phrase(stored, mine))]
    views = []
    for slot in answer_slots(body):
        mine = word_findings(
            slot.text,
            [
                f
                for f in findings
                if f.get("choice", 0) == slot.choice_index and f.get("field", "content") == slot.field
            ],
            weigh,
        )
        title = f"choice {slot.choice_index} · {slot.field.replace('.function.', ' ')}"
        views.append(AnswerView(title, segments(slot.text, mine), suggested_phrase(slot.text, mine)))
    return views


def toxicity_weigher(scorer: ToxicityScorer | None) -> WordWeigher | None:
    """Asks the gateway's own toxicity scorer which words carried a toxicity finding."""
    if scorer is None:
        return None

    def weigh(text: str, finding: dict[str, Any]) -> list[tuple[int, int, float]]:
        if finding.get("filter") != TOXICITY:
            return []
        return [(w.start, w.end, w.score_without) for w in toxic_words(scorer, text, str(finding.get("type")))]

    return weigh


def delivered_text(stored: str) -> str:
    """What the application received, as the texts of its choices (the raw body if not a completion)."""
    try:
        body = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(body, dict):
        return stored
    return "\n\n".join(slot.text for slot in answer_slots(body)) or stored


def sla_state(status: str, due: datetime, now: datetime) -> str:
    """overdue, due-soon, on-time for open items; decided for the others."""
    if status not in {"pending", "escalated"}:
        return "decided"
    due = due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
    if due <= now:
        return "overdue"
    return "due-soon" if due - now <= SOON else "on-time"
