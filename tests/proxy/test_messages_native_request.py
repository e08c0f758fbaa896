"""The Messages request that passes through natively: the caller's own body, with what governance
changed in the chat reading of it written back."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.core.errors import InvalidRequest
from gateway.proxy.messages_native import messages_of, native_messages_request
from gateway.proxy.messages_requests import PROVIDER_FIELDS, chat_body
from gateway.upstream.anthropic_messages import AnthropicMessagesProvider

CALLER: dict[str, Any] = {
    "model": "claude",
    "max_tokens": 500,
    "system": [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": "mail jane.doe@example.com"}],
    "top_k": 3,
    "prompt": {"id": "greeting"},
}


def test_an_ungoverned_request_goes_as_the_caller_wrote_it_without_the_gateways_fields() -> None:
    translated = chat_body(CALLER)
    native = native_messages_request(CALLER, translated, translated, {})
    assert native.api == "messages"
    assert native.body == {key: value for key, value in CALLER.items() if key != "prompt"}


def test_a_redacted_conversation_replaces_the_callers_turns() -> None:
    translated = chat_body(CALLER)
    governed = {
        **translated,
        "messages": [translated["messages"][0], {"role": "user", "content": "mail <EMAIL_ADDRESS>"}],
    }
    native = native_messages_request(CALLER, translated, governed, {})
    assert native.body["system"] == "Be terse."
    assert native.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "mail <EMAIL_ADDRESS>"}]}]
    assert native.body["top_k"] == 3


def test_a_clamped_token_limit_follows() -> None:
    translated = chat_body(CALLER)
    assert native_messages_request(CALLER, translated, {**translated, "max_tokens": 100}, {}).body["max_tokens"] == 100


def test_the_callers_beta_features_go_with_the_request_and_nothing_else_of_its_headers() -> None:
    translated = chat_body(CALLER)
    betas = "claude-code-20250219,context-management-2025-06-27"
    native = native_messages_request(CALLER, translated, translated, {"anthropic-beta": betas, "x-api-key": "sk-gw-a"})
    assert native.headers == {"anthropic-beta": betas}
    assert native_messages_request(CALLER, translated, translated, {"x-api-key": "sk-gw-a"}).headers == {}
    with pytest.raises(InvalidRequest):
        native_messages_request(CALLER, translated, translated, {"anthropic-beta": "x\r\nX-Injected: 1"})


def test_chat_turns_become_alternating_messages_turns_with_tool_blocks() -> None:
    written = messages_of(
        [
            {"role": "system", "content": "Required policy prompt."},
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "42"},
            {"role": "user", "content": "and now?"},
        ]
    )
    assert written == {
        "system": "Required policy prompt.\n\nBe terse.",
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "QUJD"}}],
            },
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "42"},
                    {"type": "text", "text": "and now?"},
                ],
            },
        ],
    }


def test_the_fields_a_chat_model_calls_unsupported_are_those_a_messages_provider_takes() -> None:
    assert PROVIDER_FIELDS == AnthropicMessagesProvider.own_params
