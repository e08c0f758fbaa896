"""The prompt that produced a reviewed answer, in the bounded form a review item keeps.

The request's messages (as the model received them, after the policy's redactions) become a list
of {role, text}: content parts are joined as text, images and files are named, not kept, and a long
conversation keeps its last messages. Stored encrypted beside the answer (see review_store).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

MAX_MESSAGES = 20
MAX_MESSAGE_CHARS = 8000


@dataclass(frozen=True)
class PromptMessage:
    role: str
    text: str


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for part in content:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif isinstance(part, dict) and part.get("type"):
            parts.append(f"[{part['type']}]")
    return "\n".join(parts)


def prompt_record(messages: Any) -> str | None:
    """The messages as the JSON text a review item stores; None when there are none."""
    if not isinstance(messages, list) or not messages:
        return None
    kept = []
    for message in messages[-MAX_MESSAGES:]:
        if not isinstance(message, dict):
            continue
        text = _content_text(message.get("content"))
        kept.append({"role": str(message.get("role", "?")), "text": text[:MAX_MESSAGE_CHARS]})
    return orjson.dumps(kept).decode() if kept else None


def prompt_messages(stored: str) -> list[PromptMessage]:
    """The stored prompt read back ([] for an unreadable one)."""
    try:
        data = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(data, list):
        return []
    return [PromptMessage(str(m.get("role", "?")), str(m.get("text", ""))) for m in data if isinstance(m, dict)]


def last_user_text(messages: list[PromptMessage]) -> str:
    """What the user asked last (the last message if none is the user's)."""
    for message in reversed(messages):
        if message.role == "user":
            return message.text
    return messages[-1].text if messages else ""
