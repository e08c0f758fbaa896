"""Anthropic's Messages request, checked against its documented fields and read into a chat
completions body: system prompt (and system turns between the others), turns of text, images, tool
uses and tool results, tools and tool choice, stop sequences, the token limit, extended thinking
and the output's effort and JSON schema. Context management (Claude Code asks the provider to
clear old thinking or tool uses) and prompt caching reach a provider that speaks Messages; a chat
upstream is sent the whole conversation, so they have no part there. `top_k` and `inference_geo`
(where the provider runs the model) are Messages' own: a chat upstream refuses them with a 400
naming them unless an admin allowed them for its model."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.proxy.fields import (
    Check,
    anything,
    array_of,
    boolean,
    check_fields,
    either,
    integer,
    invalid_value,
    nullable,
    number,
    shape,
    string,
    tagged,
)

cache_control = shape({"type": string("ephemeral"), "ttl": string("5m", "1h")})
text_block = shape(
    {"type": string(), "text": string(), "cache_control": cache_control, "citations": anything}, ("text",)
)
image_source = tagged(
    "type",
    {
        "base64": shape(
            {
                "type": string(),
                "media_type": string("image/jpeg", "image/png", "image/gif", "image/webp"),
                "data": string(),
            },
            ("media_type", "data"),
        ),
        "url": shape({"type": string(), "url": string()}, ("url",)),
    },
)
image_block = shape({"type": string(), "source": image_source, "cache_control": cache_control}, ("source",))
tool_result_block = shape(
    {
        "type": string(),
        "tool_use_id": string(),
        "content": either(
            "a string or an array of blocks",
            {str: string(), list: array_of(tagged("type", {"text": text_block, "image": image_block}))},
        ),
        "is_error": boolean,
        "cache_control": cache_control,
    },
    ("tool_use_id",),
)
server_tool_caller = shape({"type": string(), "tool_id": string()}, ("tool_id",))
caller = tagged(
    "type",
    {
        "direct": shape({"type": string()}),
        "code_execution_20250825": server_tool_caller,
        "code_execution_20260120": server_tool_caller,
    },
)
tool_use_block = shape(
    {
        "type": string(),
        "id": string(),
        "name": string(),
        "input": anything,
        "cache_control": cache_control,
        "caller": caller,  # as the answer said it, sent back with the turn
        "toolset_name": nullable(string()),
    },
    ("id", "name", "input"),
)
thinking_block = shape({"type": string(), "thinking": string(), "signature": string()}, ("thinking",))
redacted_thinking_block = shape({"type": string(), "data": string()}, ("data",))
user_blocks = tagged("type", {"text": text_block, "image": image_block, "tool_result": tool_result_block})
assistant_blocks = tagged(
    "type",
    {
        "text": text_block,
        "tool_use": tool_use_block,
        "thinking": thinking_block,
        "redacted_thinking": redacted_thinking_block,
    },
)
system_text = either(
    "a string or an array of text blocks", {str: string(), list: array_of(tagged("type", {"text": text_block}))}
)
message = tagged(
    "role",
    {
        "system": shape({"role": string(), "content": system_text}, ("content",)),
        "user": shape(
            {
                "role": string(),
                "content": either("a string or an array of blocks", {str: string(), list: array_of(user_blocks)}),
            },
            ("content",),
        ),
        "assistant": shape(
            {
                "role": string(),
                "content": either("a string or an array of blocks", {str: string(), list: array_of(assistant_blocks)}),
            },
            ("content",),
        ),
    },
)
tool = shape(
    {
        "name": string(max_length=64),
        "description": string(),
        "input_schema": anything,
        "type": string("custom"),
        "cache_control": nullable(cache_control),
        "strict": boolean,
        "defer_loading": boolean,  # loaded once a tool search names it: a provider's, or the client's own
        "input_examples": array_of(anything),
        "eager_input_streaming": nullable(boolean),
    },
    ("name", "input_schema"),
)
tool_choice = tagged(
    "type",
    {
        "auto": shape({"type": string(), "disable_parallel_tool_use": boolean}),
        "any": shape({"type": string(), "disable_parallel_tool_use": boolean}),
        "tool": shape({"type": string(), "name": string(), "disable_parallel_tool_use": boolean}, ("name",)),
        "none": shape({"type": string()}),
    },
)
thinking_display = string("summarized", "omitted")
thinking = tagged(
    "type",
    {
        "enabled": shape(
            {"type": string(), "budget_tokens": integer(1024), "display": thinking_display}, ("budget_tokens",)
        ),
        "adaptive": shape({"type": string(), "display": thinking_display}),
        "disabled": shape({"type": string()}),
    },
)
output_config = shape(
    {
        "effort": nullable(string("low", "medium", "high", "xhigh", "max")),
        "format": nullable(shape({"type": string("json_schema"), "schema": anything}, ("type", "schema"))),
    }
)
context_edit = tagged(
    "type",
    {
        "clear_tool_uses_20250919": shape(
            {
                "type": string(),
                "trigger": anything,
                "keep": anything,
                "clear_at_least": anything,
                "clear_tool_inputs": anything,
                "exclude_tools": nullable(array_of(string())),
            }
        ),
        "clear_thinking_20251015": shape({"type": string(), "keep": anything}),
        "compact_20260112": shape(
            {
                "type": string(),
                "trigger": anything,
                "instructions": nullable(string()),
                "pause_after_compaction": boolean,
            }
        ),
    },
)
context_management = shape({"edits": array_of(context_edit)})

PROVIDER_FIELDS = frozenset({"top_k", "inference_geo"})  # a Messages provider's own (see above)
MESSAGES_FIELDS: dict[str, Check] = {
    "model": string(),
    "max_tokens": integer(1),
    "messages": array_of(message, min_items=1),
    "system": system_text,
    "stop_sequences": array_of(string(), max_items=4),
    "stream": boolean,
    "temperature": number(0, 1),
    "top_p": number(0, 1),
    "top_k": integer(0),
    "tools": array_of(tool, max_items=128),
    "tool_choice": tool_choice,
    "metadata": shape({"user_id": string(max_length=256)}),
    "thinking": thinking,
    "output_config": output_config,
    "context_management": context_management,
    "cache_control": nullable(cache_control),
    "service_tier": string("auto", "standard_only"),
    "inference_geo": string(),
    "prompt": anything,  # the gateway's prompt library reference, checked where it is rendered
}
COUNT_TOKENS_FIELDS: dict[str, Check] = {
    name: MESSAGES_FIELDS[name]
    for name in (
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "context_management",
        "cache_control",
    )
}


def check_messages_request(body: dict[str, Any], *, count_only: bool = False) -> None:
    if count_only:
        check_fields(body, COUNT_TOKENS_FIELDS, ("model", "messages"), "")
    else:
        check_fields(body, MESSAGES_FIELDS, ("model", "max_tokens", "messages"), "")


def _text_of(blocks: str | list[dict[str, Any]]) -> str:
    if isinstance(blocks, str):
        return blocks
    return "\n\n".join(block["text"] for block in blocks if block.get("type") == "text")


def _image_part(block: dict[str, Any]) -> dict[str, Any]:
    source = block["source"]
    url = source["url"] if source["type"] == "url" else f"data:{source['media_type']};base64,{source['data']}"
    return {"type": "image_url", "image_url": {"url": url}}


def _user_turn(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A user turn: its tool results as tool messages first (they answer the turn before), then
    its text and images as one user message."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    turn: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in content:
        kind = block["type"]
        if kind == "tool_result":
            result = block.get("content") or ""
            text = _text_of(result)
            if block.get("is_error"):
                text = "Error: " + text
            turn.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": text})
        elif kind == "image":
            parts.append(_image_part(block))
        else:
            parts.append({"type": "text", "text": block["text"]})
    if parts:
        turn.append({"role": "user", "content": parts})
    return turn


def _assistant_turn(content: str | list[dict[str, Any]]) -> dict[str, Any]:
    """An assistant turn: its text and its tool uses (thinking blocks have no place in a chat)."""
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    text = _text_of(content)
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [
        {
            "id": block["id"],
            "type": "function",
            "function": {"name": block["name"], "arguments": orjson.dumps(block["input"]).decode()},
        }
        for block in content
        if block["type"] == "tool_use"
    ]
    if calls:
        message["tool_calls"] = calls
    elif message["content"] is None:
        message["content"] = ""
    return message


def _tool_choice(choice: dict[str, Any], chat: dict[str, Any]) -> None:
    kind = choice["type"]
    chat["tool_choice"] = {
        "auto": "auto",
        "any": "required",
        "none": "none",
        "tool": {"type": "function", "function": {"name": choice.get("name")}},
    }[kind]
    if choice.get("disable_parallel_tool_use"):
        chat["parallel_tool_calls"] = False


CHAT_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}  # chat's top is high


def _reasoning_effort(budget_tokens: int) -> str:
    """Extended thinking's budget as the chat API's effort (litellm maps it back for Claude)."""
    if budget_tokens <= 2048:
        return "low"
    if budget_tokens <= 8192:
        return "medium"
    return "high"


def chat_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": _text_of(system)})
    for turn in body["messages"]:
        if turn["role"] == "user":
            messages += _user_turn(turn["content"])
        elif turn["role"] == "system":
            messages.append({"role": "system", "content": _text_of(turn["content"])})
        else:
            messages.append(_assistant_turn(turn["content"]))
    return messages


def chat_tools(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if not tools:
        return None
    return [
        {
            "type": "function",
            "function": {
                key: value
                for key, value in (
                    ("name", spec["name"]),
                    ("description", spec.get("description")),
                    ("parameters", spec["input_schema"]),
                    ("strict", spec.get("strict")),
                )
                if value is not None
            },
        }
        for spec in tools
    ]


def chat_body(body: dict[str, Any]) -> dict[str, Any]:
    """A checked Messages request as a chat completions body."""
    chat: dict[str, Any] = {"model": body["model"], "messages": chat_messages(body), "max_tokens": body["max_tokens"]}
    for name in ("temperature", "top_p", *PROVIDER_FIELDS, "prompt"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stop_sequences"):
        chat["stop"] = body["stop_sequences"]
    tools = chat_tools(body)
    if tools:
        chat["tools"] = tools
    if body.get("tool_choice"):
        _tool_choice(body["tool_choice"], chat)
    user = (body.get("metadata") or {}).get("user_id")
    if user:
        chat["user"] = user
    thinking_options = body.get("thinking") or {}
    if thinking_options.get("type") == "enabled":
        if thinking_options["budget_tokens"] >= body["max_tokens"]:
            raise invalid_value("thinking.budget_tokens", "must be less than max_tokens.")
        chat["reasoning_effort"] = _reasoning_effort(thinking_options["budget_tokens"])
    output = body.get("output_config") or {}
    if output.get("effort"):
        chat["reasoning_effort"] = CHAT_EFFORTS[output["effort"]]
    if output.get("format"):
        schema = {"name": "output", "schema": output["format"]["schema"]}
        chat["response_format"] = {"type": "json_schema", "json_schema": schema}
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}  # Messages reports usage at the end
    return chat
