"""Embeddings' `input` as the policy's text rules read it: each string one user message, so the
deny-list and input PII rules screen what a provider would embed, and a redaction comes back into
`input` in its own shape. Token arrays carry no text to screen."""

from __future__ import annotations

from typing import Any


def input_strings(value: Any) -> list[str]:
    """The strings of an `input`: itself, or the string items of its array (token arrays have none)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def input_as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with its input strings as user messages, for the policy's text rules."""
    return {**body, "messages": [{"role": "user", "content": text} for text in input_strings(body.get("input"))]}


def input_from_chat(body: dict[str, Any], decided: dict[str, Any]) -> dict[str, Any]:
    """`body` with the texts of `decided`'s messages (the policy's redactions) back in its input."""
    texts = iter(str(message["content"]) for message in decided["messages"])
    value = body["input"]
    if isinstance(value, str):
        return {**body, "input": next(texts)}
    return {**body, "input": [next(texts) if isinstance(item, str) else item for item in value]}
