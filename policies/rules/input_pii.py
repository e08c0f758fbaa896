"""Rule `input_pii`: personal data in the prompt is allowed, redacted before the upstream call, or blocked.

The detector is injected (the app wraps the one shared Presidio analyzer); this rule only decides,
per entity type, what happens to what the detector found. A redacted entity becomes `<TYPE>`,
as Presidio's default `replace` operator writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import Body, CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PiiDetector, PolicyServices

PiiAction = Literal["allow", "redact", "block"]
# (message index, content part index or None for string content) → text
Location = tuple[int, int | None]


class InputPiiSettings(RuleSettings):
    """`entities`: action per entity type (Presidio names: EMAIL_ADDRESS, PHONE_NUMBER, …);
    `default`: the action for any other type found; `min_score`: ignore weaker findings."""

    type_name: ClassVar[str] = "input_pii"

    entities: dict[str, PiiAction] = Field(default_factory=dict)
    default: PiiAction = "allow"
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if self.default == "allow" and all(action == "allow" for action in self.entities.values()):
            raise ValueError("every entity is allowed: set `default` or an entity to redact or block")
        return self

    def build(self, name: str, services: PolicyServices) -> InputPii:
        return InputPii(name, self, services.require_pii_detector(name))


def _texts(messages: list[Any]) -> Iterator[tuple[Location, str]]:
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str) and content:
            yield (index, None), content
        elif isinstance(content, list):
            for part_index, part in enumerate(content):
                if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                    yield (index, part_index), part["text"]


def _redact(text: str, spans: list[tuple[str, int, int]]) -> str:
    pieces, cursor = [], 0
    for entity_type, start, end in sorted(spans, key=lambda span: (span[1], -span[2])):
        if start < cursor:  # overlaps the previous span, which already covers it
            continue
        pieces += [text[cursor:start], f"<{entity_type}>"]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


class InputPii(CompiledRule):
    stage = Stage.REDACT
    reach = Reach.SENT_TEXT

    def __init__(self, name: str, settings: InputPiiSettings, detector: PiiDetector) -> None:
        super().__init__(name, settings)
        self._actions = dict(settings.entities)
        self._default = settings.default
        self._min_score = settings.min_score
        self._detector = detector

    def check(self, request: PolicyRequest) -> Finding | None:
        blocked: set[str] = set()
        redactions: dict[Location, tuple[str, list[tuple[str, int, int]]]] = {}
        for location, text in _texts(request.messages):
            for entity_type, start, end, score in self._detector.analyze(text):
                action = self._actions.get(entity_type, self._default)
                if score < self._min_score or action == "allow":
                    continue
                if action == "block":
                    blocked.add(entity_type)
                redactions.setdefault(location, (text, []))[1].append((entity_type, start, end))
        if blocked:
            entities = sorted(blocked)
            return Finding(
                Action.BLOCK,
                f"the prompt contains personal data that may not be sent: {', '.join(entities)}",
                param="messages",
                details={"entities": entities},
            )
        if not redactions:
            return None
        entities = sorted({span[0] for _, spans in redactions.values() for span in spans})
        redacted = {location: _redact(text, spans) for location, (text, spans) in redactions.items()}
        return Finding(
            Action.REDACT,
            f"personal data redacted: {', '.join(entities)}",
            param="messages",
            details={"entities": entities},
            transform=lambda body: _apply(body, redacted),
        )


def _apply(body: Body, redacted: dict[Location, str]) -> Body:
    """A copy of `body` whose messages carry the redacted texts (the original is left untouched)."""
    messages = list(body["messages"])
    for (index, part_index), text in redacted.items():
        message = dict(messages[index])
        if part_index is None:
            message["content"] = text
        else:
            parts = list(message["content"])
            parts[part_index] = {**parts[part_index], "text": text}
            message["content"] = parts
        messages[index] = message
    return {**body, "messages": messages}
