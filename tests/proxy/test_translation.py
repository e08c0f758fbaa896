"""The translations into a chat body, field by field, for the Responses and Messages APIs: what each
request becomes upstream (the answers' side is checked end to end with the SDKs)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.core.errors import InvalidRequest
from gateway.proxy.messages_requests import chat_body as messages_chat_body
from gateway.proxy.messages_requests import check_messages_request
from gateway.proxy.openai_requests import check_chat_request
from gateway.proxy.responses_requests import chat_body as responses_chat_body
from gateway.proxy.responses_requests import check_responses_request

SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}
RESPONSES_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "instructions and text input",
        {"instructions": "Be brief.", "input": "hi"},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]},
    ),
    (
        "limits, sampling and reasoning",
        {"input": "hi", "max_output_tokens": 50, "temperature": 0.2, "top_p": 0.9, "reasoning": {"effort": "low"}},
        {"max_completion_tokens": 50, "temperature": 0.2, "top_p": 0.9, "reasoning_effort": "low"},
    ),
    (
        "structured output",
        {
            "input": "hi",
            "text": {"format": {"type": "json_schema", "name": "answer", "schema": SCHEMA, "strict": True}},
        },
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
            }
        },
    ),
    (
        "function tools and a forced choice",
        {
            "input": "hi",
            "tools": [{"type": "function", "name": "lookup", "parameters": SCHEMA}],
            "tool_choice": {"type": "function", "name": "lookup"},
            "parallel_tool_calls": False,
        },
        {
            "tools": [{"type": "function", "function": {"name": "lookup", "parameters": SCHEMA}}],
            "tool_choice": {"type": "function", "function": {"name": "lookup"}},
            "parallel_tool_calls": False,
        },
    ),
    (
        "items: images, calls and their outputs",
        {
            "input": [
                {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png", "detail": "low"}]},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "one"},
                {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "two"}]},
                {"role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}}],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "one"},
                {"role": "tool", "tool_call_id": "c2", "content": "two"},
                {"role": "assistant", "content": "done"},
            ]
        },
    ),
    (
        "streamed: usage asked for",
        {"input": "hi", "stream": True},
        {"stream": True, "stream_options": {"include_usage": True}},
    ),
    (
        "prompt caching and the service tier, as the SDK types them",
        {
            "input": "hi",
            "prompt_cache_key": "team-a",
            "prompt_cache_retention": "in_memory",
            "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
            "service_tier": "fast",
        },
        {
            "prompt_cache_key": "team-a",
            "prompt_cache_retention": "in_memory",
            "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
            "service_tier": "fast",
        },
    ),
    (
        "a custom tool forced: a chat function",
        {
            "input": "hi",
            "tools": [{"type": "custom", "name": "apply_patch"}],
            "tool_choice": {"type": "custom", "name": "apply_patch"},
        },
        {"tool_choice": {"type": "function", "function": {"name": "apply_patch"}}},
    ),
    (
        "allowed tools: a function and a custom tool",
        {
            "input": "hi",
            "tools": [
                {"type": "function", "name": "lookup", "parameters": SCHEMA},
                {"type": "function", "name": "unused", "parameters": SCHEMA},
                {"type": "custom", "name": "apply_patch"},
            ],
            "tool_choice": {
                "type": "allowed_tools",
                "mode": "required",
                "tools": [{"type": "function", "name": "lookup"}, {"type": "custom", "name": "apply_patch"}],
            },
        },
        {
            "tool_choice": {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "required",
                    "tools": [
                        {"type": "function", "function": {"name": "lookup"}},
                        {"type": "function", "function": {"name": "apply_patch"}},
                    ],
                },
            }
        },
    ),
]

MESSAGES_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "system blocks, stop sequences, user",
        {"system": [{"type": "text", "text": "Be brief."}], "stop_sequences": ["END"], "metadata": {"user_id": "u1"}},
        {
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
            "stop": ["END"],
            "user": "u1",
        },
    ),
    (
        "tools, any tool, no parallel calls",
        {
            "tools": [{"name": "lookup", "description": "d", "input_schema": SCHEMA}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        },
        {
            "tools": [{"type": "function", "function": {"name": "lookup", "description": "d", "parameters": SCHEMA}}],
            "tool_choice": "required",
            "parallel_tool_calls": False,
        },
    ),
    (
        "extended thinking as reasoning effort",
        {"thinking": {"type": "enabled", "budget_tokens": 4096}, "max_tokens": 8000},
        {"reasoning_effort": "medium", "max_tokens": 8000},
    ),
    (
        "adaptive thinking leaves the effort to the model",
        {"thinking": {"type": "adaptive", "display": "omitted"}},
        {},
    ),
    (
        "Claude Code's: a system turn among the others, effort, context management, a deferred strict tool",
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "system", "content": [{"type": "text", "text": "Environment: linux."}]},
            ],
            "output_config": {"effort": "max"},
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "cache_control": {"type": "ephemeral"},
            "tools": [{"name": "lookup", "input_schema": SCHEMA, "defer_loading": True, "strict": True}],
        },
        {
            "messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": "Environment: linux."}],
            "reasoning_effort": "high",
            "tools": [{"type": "function", "function": {"name": "lookup", "parameters": SCHEMA, "strict": True}}],
        },
    ),
    (
        "a JSON schema for the output",
        {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}},
        {"response_format": {"type": "json_schema", "json_schema": {"name": "output", "schema": SCHEMA}}},
    ),
    (
        "a tool use, then its result before the next text; images as data URLs",
        {
            "messages": [
                {"role": "user", "content": "look it up"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Looking."},
                        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "found"}]},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                        {"type": "text", "text": "and this?"},
                    ],
                },
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "look it up"},
                {
                    "role": "assistant",
                    "content": "Looking.",
                    "tool_calls": [
                        {"id": "t1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"x"}'}}
                    ],
                },
                {"role": "tool", "tool_call_id": "t1", "content": "found"},
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                        {"type": "text", "text": "and this?"},
                    ],
                },
            ]
        },
    ),
]


@pytest.mark.parametrize(("case", "request_fields", "expected"), RESPONSES_CASES, ids=[c[0] for c in RESPONSES_CASES])
def test_a_responses_request_becomes_this_chat_body(
    case: str, request_fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = {"model": "m", **request_fields}
    check_responses_request(body)
    chat = responses_chat_body(body, [])
    assert {name: chat[name] for name in expected} == expected
    check_chat_request(chat)  # and the chat path takes it as it is


@pytest.mark.parametrize(("case", "request_fields", "expected"), MESSAGES_CASES, ids=[c[0] for c in MESSAGES_CASES])
def test_a_messages_request_becomes_this_chat_body(
    case: str, request_fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}], **request_fields}
    check_messages_request(body)
    chat = messages_chat_body(body)
    assert {name: chat[name] for name in expected} == expected
    check_chat_request(chat)


def test_built_in_tool_limits_and_compaction_have_no_part_in_chat() -> None:
    body = {
        "model": "m",
        "input": "hi",
        "max_tool_calls": 3,
        "context_management": [{"type": "compaction", "compact_threshold": 200_000}],
    }
    check_responses_request(body)
    chat = responses_chat_body(body, [])
    assert chat.keys() == {"model", "messages"}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"conversation": "conv_1"}, "conversation"),
        ({"context_management": [{"type": "truncation"}]}, "context_management[0].type"),
        ({"prompt_cache_retention": "1h"}, "prompt_cache_retention"),
        ({"tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []}}, "tool_choice.tools"),
        ({"tool_choice": {"type": "mcp", "server_label": "x"}}, "tool_choice.type"),
    ],
)
def test_responses_fields_the_gateway_cannot_serve_are_refused_by_name(fields: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_responses_request({"model": "m", "input": "hi", **fields})
    assert refused.value.param == param


def test_history_comes_before_the_new_input_and_instructions_first() -> None:
    history = [{"role": "user", "content": "before"}, {"role": "assistant", "content": "answer"}]
    chat = responses_chat_body({"model": "m", "instructions": "Be kind.", "input": "now"}, history)
    assert [m["content"] for m in chat["messages"]] == ["Be kind.", "before", "answer", "now"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m", "max_tokens": 10, "messages": [{"role": "developer", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
        (
            {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "document"}]}]},
            "messages[0].content[0].type",
        ),
        (
            {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "temperature": 1.5},
            "temperature",
        ),
        (
            {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}], "mcp_servers": []},
            "mcp_servers",
        ),
    ],
)
def test_messages_fields_outside_the_api_are_refused_by_name(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_messages_request(body)
    assert refused.value.param == param


def test_a_thinking_budget_must_leave_room_for_the_answer() -> None:
    body = {"model": "m", "max_tokens": 2000, "messages": [{"role": "user", "content": "x"}]}
    body["thinking"] = {"type": "enabled", "budget_tokens": 2048}
    check_messages_request(body)
    with pytest.raises(InvalidRequest) as refused:
        messages_chat_body(body)
    assert refused.value.param == "thinking.budget_tokens"


def test_a_tool_use_sent_back_as_the_answer_had_it_passes() -> None:
    """The SDK's tool use block carries who called the tool and its toolset; a client sends them back."""
    use = {"type": "tool_use", "id": "t1", "name": "lookup", "input": {}, "caller": {"type": "direct"}}
    turns: list[dict[str, Any]] = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": [{**use, "toolset_name": None}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "found"}]},
    ]
    check_messages_request({"model": "m", "max_tokens": 10, "messages": turns})
    turns[1]["content"] = [{**use, "caller": {"type": "someone"}}]
    with pytest.raises(InvalidRequest) as refused:
        check_messages_request({"model": "m", "max_tokens": 10, "messages": turns})
    assert refused.value.param == "messages[1].content[0].caller.type"
