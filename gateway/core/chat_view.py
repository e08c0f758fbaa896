"""The chat view of an answer, as the filters read it and every door's writer writes it: the fields
of OpenAI's chat completion (and of its stream's chunks) that reach a client once the filters have
read an answer, and the gateway's own fields that carry what only another door's writer relays.

A provider's other fields (its notes, citations, audio, anything an API adds later) are left out:
no filter has read them. Log probabilities are left out too, as they spell out the text before a
redaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

REASONING_FIELD = "gateway_reasoning"  # Responses reasoning items: a message's, a delta's
THINKING_FIELD = "gateway_thinking"  # Anthropic thinking blocks: a message's, a delta's
REVIEW_ID_FIELD = "gateway_review_id"  # in the chunk after the last one, when a review item was made
NAMESPACE_JOIN = "__"  # a Responses namespace's function in chat: `<namespace>__<name>` (no dots in chat names)

COMPLETION_FIELDS = ("id", "object", "created", "model", "system_fingerprint", "service_tier", "usage", "choices")
CHOICE_FIELDS = ("index", "finish_reason", "stop_reason")  # `stop_reason`: the stop sequence, as vLLM says
MESSAGE_FIELDS = (
    "role",
    "content",
    "refusal",
    "reasoning_content",  # a reasoning model's text (vLLM, DeepSeek), screened as the content is
    "tool_calls",
    "function_call",
    REASONING_FIELD,
    THINKING_FIELD,
)
CALL_FIELDS = ("index", "id", "type", "function")
FUNCTION_FIELDS = ("name", "arguments")


def namespaced(name: str, namespace: str | None) -> str:
    """A function's chat name: its own, or joined to the Responses namespace it belongs to."""
    return f"{namespace}{NAMESPACE_JOIN}{name}" if namespace else name


def split_namespaced(name: str, namespaces: Iterable[str]) -> tuple[str, str | None]:
    """A chat function's own name and the Responses namespace it belongs to (None if none)."""
    for namespace in namespaces:
        if name.startswith(namespace + NAMESPACE_JOIN):
            return name.removeprefix(namespace + NAMESPACE_JOIN), namespace
    return name, None


def custom_arguments(text: str) -> str:
    """A Responses custom tool's input as its chat call's arguments: a function of one string."""
    return orjson.dumps({"input": text}).decode()


def custom_input(arguments: str) -> str:
    """A custom tool's input from its chat call's arguments (`{"input": ...}`), or them as they came."""
    try:
        parsed = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return arguments
    return parsed["input"] if isinstance(parsed, dict) and isinstance(parsed.get("input"), str) else arguments


def _only(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data}


def _calls(calls: Any) -> Any:
    if not isinstance(calls, list):
        return calls
    return [
        {**_only(call, CALL_FIELDS), "function": _only(call.get("function") or {}, FUNCTION_FIELDS)}
        if isinstance(call, dict)
        else call
        for call in calls
    ]


def relayed_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message (or a delta) with its documented fields only."""
    kept = _only(message, MESSAGE_FIELDS)
    if "tool_calls" in kept:
        kept["tool_calls"] = _calls(kept["tool_calls"])
    if isinstance(kept.get("function_call"), dict):
        kept["function_call"] = _only(kept["function_call"], FUNCTION_FIELDS)
    return kept


def relayed_choice(choice: dict[str, Any]) -> dict[str, Any]:
    """A choice of a completion or of a chunk with its documented fields only, no log probabilities."""
    kept: dict[str, Any] = {**_only(choice, CHOICE_FIELDS), "logprobs": None}
    for part in ("message", "delta"):
        if isinstance(choice.get(part), dict):
            kept[part] = relayed_message(choice[part])
    return kept


def relayed_frame(completion: dict[str, Any]) -> dict[str, Any]:
    """A completion's (or a chunk's) own fields but its choices."""
    return {name: completion[name] for name in COMPLETION_FIELDS if name != "choices" and name in completion}


def relayed_completion(completion: dict[str, Any]) -> dict[str, Any]:
    """A chat completion (or chunk) as a client may get it once the filters read it."""
    kept = relayed_frame(completion)
    choices = completion.get("choices")
    if isinstance(choices, list):
        kept["choices"] = [relayed_choice(choice) if isinstance(choice, dict) else choice for choice in choices]
    return kept
