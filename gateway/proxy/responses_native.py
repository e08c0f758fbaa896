"""The Responses request that passes through natively to an upstream speaking OpenAI's Responses
API: the caller's own body, as governance let it through. The provider knows none of the gateway's
response ids, so a `previous_response_id` is sent as the stored conversation, written as input
items before the caller's. Where governance changed the conversation (a library prompt rendered,
input PII redacted, a required system prompt) the governed chat messages are written back as
`instructions` and input items (without reasoning items, which chat messages cannot hold); where
it changed the token limit, the limit follows."""

from __future__ import annotations

from typing import Any

from gateway.core.chat_view import REASONING_FIELD, custom_input, split_namespaced
from gateway.proxy.responses_requests import LEFT_OUT_TOOLS, tool_kinds
from gateway.upstream.base import NativeRequest

GATEWAY_ONLY_FIELDS = ("prompt", "previous_response_id", "client_metadata")  # read by the gateway, never sent on
SYSTEM_ROLES = ("system", "developer")  # written as `instructions`


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if part.get("type") == "text")


def _input_parts(content: Any) -> Any:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content or []:
        if part.get("type") == "image_url":
            image = part["image_url"]
            parts.append({"type": "input_image", "image_url": image["url"], "detail": image.get("detail", "auto")})
        else:
            parts.append({"type": "input_text", "text": part.get("text", "")})
    return parts


def input_items(chat_messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat turns (no system turns) as Responses input items: an assistant's reasoning items
    first, as they were made, its tool calls as `function_call` items (a namespace's function by
    its own name in its namespace) or `custom_tool_call` items for the request's custom `tools`,
    tool results as their outputs."""
    namespaces, custom_tools = tool_kinds(tools)
    custom_calls: set[str] = set()
    items: list[dict[str, Any]] = []
    for message in chat_messages:
        role = message["role"]
        if role == "tool":
            kind = "custom_tool_call_output" if message["tool_call_id"] in custom_calls else "function_call_output"
            items.append({"type": kind, "call_id": message["tool_call_id"], "output": _text(message["content"])})
        elif role == "assistant":
            items += message.get(REASONING_FIELD) or []
            text = _text(message.get("content"))
            if text:
                items.append({"role": "assistant", "content": text})
            for call in message.get("tool_calls") or []:
                name, arguments = call["function"]["name"], call["function"].get("arguments") or ""
                if name in custom_tools:
                    custom_calls.add(call["id"])
                    items.append(
                        {
                            "type": "custom_tool_call",
                            "call_id": call["id"],
                            "name": name,
                            "input": custom_input(arguments),
                        }
                    )
                    continue
                own_name, namespace = split_namespaced(name, namespaces)
                item = {"type": "function_call", "call_id": call["id"], "name": own_name, "arguments": arguments}
                items.append(item if namespace is None else {**item, "namespace": namespace})
        else:
            items.append({"role": role, "content": _input_parts(message.get("content"))})
    return items


def _written(chat_messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
    """Governed chat messages as the Responses API's `instructions` and `input`."""
    system = [_text(m.get("content")) for m in chat_messages if m["role"] in SYSTEM_ROLES]
    conversation = [m for m in chat_messages if m["role"] not in SYSTEM_ROLES]
    written: dict[str, Any] = {"input": input_items(conversation, tools)}
    if system:
        written["instructions"] = "\n\n".join(system)
    return written


def native_responses_request(
    body: dict[str, Any], history: list[dict[str, Any]], translated: dict[str, Any], governed: dict[str, Any]
) -> NativeRequest:
    """`body` (the caller's) after the stored `history` it continues, with what governance changed
    between `translated` and `governed` (the chat bodies before and after it)."""
    return NativeRequest("responses", lambda: _native_body(body, history, translated, governed))


def _native_body(
    body: dict[str, Any], history: list[dict[str, Any]], translated: dict[str, Any], governed: dict[str, Any]
) -> dict[str, Any]:
    """The native request's body."""
    native = {name: value for name, value in body.items() if name not in GATEWAY_ONLY_FIELDS}
    if body.get("tools"):
        native["tools"] = [tool for tool in body["tools"] if tool["type"] not in LEFT_OUT_TOOLS]
    if governed["messages"] != translated["messages"]:
        native.pop("instructions", None)
        native.update(_written(governed["messages"], body.get("tools") or []))
    elif history:
        own = body.get("input") or []
        native["input"] = input_items(history, body.get("tools") or []) + (
            [{"role": "user", "content": own}] if isinstance(own, str) else own
        )
    limit = governed.get("max_completion_tokens")
    if isinstance(limit, int) and limit != translated.get("max_completion_tokens"):
        native["max_output_tokens"] = limit
    return native
