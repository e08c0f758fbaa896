"""The Messages request that passes through natively to an upstream speaking Anthropic's API: the
caller's own body, as governance let it through. Where governance changed the conversation (a
library prompt rendered, input PII redacted, a required system prompt) the governed chat messages
are written back as Messages turns; where it clamped the token limit, the limit follows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.core.errors import InvalidRequest
from gateway.upstream.base import NativeRequest

GATEWAY_ONLY_FIELDS = ("prompt",)  # read by the gateway, never sent on
BETA_HEADER = "anthropic-beta"
BETA_NAMES = re.compile(r"[A-Za-z0-9._-]{1,100}( *, *[A-Za-z0-9._-]{1,100}){0,31}")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n\n".join(part.get("text", "") for part in content or [] if part.get("type") == "text")


def _image_block(url: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content or []:
        if part.get("type") == "image_url":
            blocks.append(_image_block(part["image_url"]["url"]))
        else:
            blocks.append({"type": "text", "text": part.get("text", "")})
    return blocks


def _assistant_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    text = _text(message.get("content"))
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for call in message.get("tool_calls") or []:
        function = call["function"]
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = {}
        blocks.append({"type": "tool_use", "id": call["id"], "name": function["name"], "input": arguments})
    return blocks


def messages_of(chat_messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Chat messages as the Messages API's `system` and `messages`: system turns joined, tool
    results as `tool_result` blocks of a user turn, consecutive turns of one role merged."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in chat_messages:
        role = message["role"]
        if role in ("system", "developer"):
            system.append(_text(message.get("content")))
            continue
        if role == "tool":
            role = "user"
            blocks = [
                {"type": "tool_result", "tool_use_id": message["tool_call_id"], "content": _text(message["content"])}
            ]
        elif role == "assistant":
            blocks = _assistant_blocks(message)
        else:
            blocks = _user_blocks(message.get("content"))
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": role, "content": blocks})
    written: dict[str, Any] = {"messages": turns}
    if system:
        written["system"] = "\n\n".join(system)
    return written


def native_messages_request(
    body: dict[str, Any], translated: dict[str, Any], governed: dict[str, Any], headers: Mapping[str, str]
) -> NativeRequest:
    """`body` (the caller's), with what governance changed between `translated` and `governed`
    (the chat bodies before and after it), and the caller's beta features (`anthropic-beta`: the
    provider refuses a beta field such as Claude Code's `context_management` without its name)."""
    betas = headers.get(BETA_HEADER)
    if betas is None:
        return NativeRequest("messages", lambda: _native_body(body, translated, governed))
    if not BETA_NAMES.fullmatch(betas):
        raise InvalidRequest(f"The {BETA_HEADER} header must name beta features, separated by commas.")
    return NativeRequest("messages", lambda: _native_body(body, translated, governed), {BETA_HEADER: betas})


def _native_body(body: dict[str, Any], translated: dict[str, Any], governed: dict[str, Any]) -> dict[str, Any]:
    """The native request's body."""
    native = {name: value for name, value in body.items() if name not in GATEWAY_ONLY_FIELDS}
    if governed["messages"] != translated["messages"]:
        native.pop("system", None)
        native.update(messages_of(governed["messages"]))
    limit = governed.get("max_tokens")
    if isinstance(limit, int) and limit != translated.get("max_tokens"):
        native["max_tokens"] = limit
    return native
