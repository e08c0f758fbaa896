"""Reading the texts out of an OpenAI answer body, and writing the filtered ones back.

Every choice (n > 1) is read, and in each its message content, its refusal, a reasoning model's
`reasoning_content`, the summaries of a Responses answer's reasoning items, the text of an
Anthropic answer's thinking blocks, the arguments of each tool call (and of the legacy
`function_call`), or a completion's `text`. Arguments are scanned as the raw JSON string the
client will parse; replacements (`<EMAIL_ADDRESS>`, masks, hex hashes) contain no quote or
backslash, so the JSON stays valid. A thinking block is signed by its provider, which refuses it
changed on the next turn: one the filters would change is left out instead.
"""

from __future__ import annotations

import copy
from typing import Any

from filters.decision import AnswerDecision, TextSlot
from gateway.core.chat_view import REASONING_FIELD, THINKING_FIELD
from gateway.core.types import Action

WITHHELD_MESSAGE = "The answer was withheld by the content filter."


def _message_slots(index: int, message: dict[str, Any]) -> list[TextSlot]:
    slots = []
    for name in ("content", "refusal", "reasoning_content"):
        if isinstance(message.get(name), str):
            slots.append(TextSlot(index, name, message[name]))
    for position, call in enumerate(message.get("tool_calls") or []):
        arguments = (call.get("function") or {}).get("arguments")
        if isinstance(arguments, str):
            slots.append(TextSlot(index, f"tool_calls.{position}.function.arguments", arguments))
    legacy = message.get("function_call") or {}
    if isinstance(legacy.get("arguments"), str):
        slots.append(TextSlot(index, "function_call.arguments", legacy["arguments"]))
    for item_index, item in enumerate(message.get(REASONING_FIELD) or []):
        for part_index, part in enumerate(item.get("summary") or []):
            slots.append(TextSlot(index, summary_field(item_index, part_index), part["text"]))
    for block_index, block in enumerate(message.get(THINKING_FIELD) or []):
        if block.get("thinking"):
            slots.append(TextSlot(index, thinking_field(block_index), block["thinking"]))
    return slots


def summary_field(item_index: int, part_index: int) -> str:
    """The slot of a reasoning item's summary part, as a path into the chat message."""
    return f"{REASONING_FIELD}.{item_index}.summary.{part_index}.text"


def thinking_field(block_index: int) -> str:
    """The slot of a thinking block's text, as a path into the chat message."""
    return f"{THINKING_FIELD}.{block_index}.thinking"


def thinking_block_of(field: str) -> int | None:
    """The position of the thinking block whose text `field` is; None for another field."""
    if not field.startswith(THINKING_FIELD + "."):
        return None
    return int(field.split(".")[1])


def answer_slots(body: dict[str, Any]) -> list[TextSlot]:
    """Every text of a chat completion or completion response body, per choice."""
    slots: list[TextSlot] = []
    for position, choice in enumerate(body.get("choices") or []):
        index = choice.get("index", position)
        if isinstance(choice.get("message"), dict):
            slots += _message_slots(index, choice["message"])
        if isinstance(choice.get("text"), str):
            slots.append(TextSlot(index, "text", choice["text"]))
    return slots


def _set_field(target: dict[str, Any], field: str, value: str) -> None:
    parts = field.split(".")
    node: Any = target
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[parts[-1]] = value


def apply_decision(body: dict[str, Any], decision: AnswerDecision) -> dict[str, Any]:
    """A copy of `body` as the client may see it: redacted texts in place, blocked choices withheld.

    A blocked choice is emptied the way Azure OpenAI does it: `finish_reason: "content_filter"`,
    no tool calls, and a short message as its content.
    """
    out = copy.deepcopy(body)
    by_index = {c.get("index", i): c for i, c in enumerate(out.get("choices") or [])}
    for choice_outcome in decision.choices:
        choice = by_index[choice_outcome.index]
        if choice_outcome.action is Action.BLOCK:
            choice["finish_reason"] = "content_filter"
            if isinstance(choice.get("message"), dict):
                choice["message"] = {"role": "assistant", "content": WITHHELD_MESSAGE, "refusal": None}
            if "text" in choice:
                choice["text"] = WITHHELD_MESSAGE
            continue
        if isinstance(choice.get("message"), dict):
            choice["message"].setdefault("refusal", None)  # required in OpenAI's message, null when none
        changed_thoughts: set[int] = set()
        for slot_outcome in choice_outcome.slots:
            text = slot_outcome.outcome.text
            if text is None or text == slot_outcome.slot.text:
                continue
            thought = thinking_block_of(slot_outcome.slot.field)
            if thought is not None:
                changed_thoughts.add(thought)
                continue
            target = choice if slot_outcome.slot.field == "text" else choice["message"]
            _set_field(target, slot_outcome.slot.field, text)
        if changed_thoughts:
            blocks = choice["message"][THINKING_FIELD]
            choice["message"][THINKING_FIELD] = [b for i, b in enumerate(blocks) if i not in changed_thoughts]
    return out
