"""An answer's texts and what the filters made of them: the pipeline's decision, as plain data.

Kept apart from the pipeline so that reading and rewriting answers (`answer.py`, the review store,
the stream screen) does not import the filters' libraries, Presidio and spaCy among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from filters.base import FilterResult, Finding, strongest
from gateway.core.types import Action, Verdict


@dataclass(frozen=True, slots=True)
class TextSlot:
    """One text of an answer: `field` is "content", "text" or "tool_calls.<i>.function.arguments"."""

    choice_index: int
    field: str
    text: str


@dataclass(slots=True)
class TextOutcome:
    """What the filters made of one text: the action, the text to deliver (None when blocked), why."""

    action: Action
    text: str | None
    results: list[FilterResult]

    @property
    def findings(self) -> list[Finding]:
        return [finding for result in self.results for finding in result.findings]


@dataclass(slots=True)
class SlotOutcome:
    slot: TextSlot
    outcome: TextOutcome


@dataclass(slots=True)
class ChoiceOutcome:
    index: int
    action: Action
    slots: list[SlotOutcome] = field(default_factory=list)


@dataclass(slots=True)
class AnswerDecision:
    """The pipeline's decision on a whole answer."""

    action: Action
    choices: list[ChoiceOutcome]

    def findings(self) -> list[dict[str, object]]:
        """Every finding with where it was, as JSON-ready records (no matched text)."""
        records = []
        for choice in self.choices:
            for slot in choice.slots:
                for finding in slot.outcome.findings:
                    records.append({**finding.as_record(), "choice": choice.index, "field": slot.slot.field})
        return records

    def errors(self) -> list[dict[str, object]]:
        return [
            {"filter": r.filter, "error": r.error, "choice": c.index, "field": s.slot.field}
            for c in self.choices
            for s in c.slots
            for r in s.outcome.results
            if r.error
        ]

    def verdicts(self) -> list[Verdict]:
        """One Verdict per filter that did more than allow, for the usage record."""
        strongest_by_filter: dict[str, Action] = {}
        for choice in self.choices:
            for slot in choice.slots:
                for result in slot.outcome.results:
                    previous = strongest_by_filter.get(result.filter, Action.ALLOW)
                    strongest_by_filter[result.filter] = strongest([previous, result.action])
        return [
            Verdict(source=f"filter:{name}", action=action)
            for name, action in strongest_by_filter.items()
            if action is not Action.ALLOW
        ]
