"""The Responses request that passes through natively: the caller's own body without the gateway's
fields, after the stored conversation it continues, with what governance changed in the chat
reading of it written back."""

from __future__ import annotations

from typing import Any

from gateway.proxy.responses_native import input_items, native_responses_request
from gateway.proxy.responses_requests import chat_body

CALLER: dict[str, Any] = {
    "model": "gpt",
    "instructions": "Be terse.",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "mail jane.doe@example.com"}]}],
    "max_output_tokens": 500,
    "truncation": "auto",
    "prompt": {"id": "greeting"},
    "previous_response_id": "resp_gateway",
}
HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "my name is Ada"},
    {"role": "assistant", "content": "Hello Ada"},
]


def test_an_ungoverned_request_goes_as_the_caller_wrote_it_without_the_gateways_fields() -> None:
    translated = chat_body(CALLER, [])
    native = native_responses_request(CALLER, [], translated, translated)
    assert native.api == "responses"
    assert native.body == {k: v for k, v in CALLER.items() if k not in ("prompt", "previous_response_id")}


def test_the_stored_conversation_comes_before_the_callers_items() -> None:
    translated = chat_body({**CALLER, "input": "and my name?"}, HISTORY)
    native = native_responses_request({**CALLER, "input": "and my name?"}, HISTORY, translated, translated)
    assert native.body["instructions"] == "Be terse."  # the caller's, not carried over from the history
    assert native.body["input"] == [
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "Hello Ada"},
        {"role": "user", "content": "and my name?"},
    ]


def test_a_redacted_conversation_replaces_the_instructions_and_input() -> None:
    translated = chat_body(CALLER, [])
    governed = {
        **translated,
        "messages": [
            {"role": "system", "content": "Required policy prompt."},
            translated["messages"][0],
            {"role": "user", "content": [{"type": "text", "text": "mail <EMAIL_ADDRESS>"}]},
        ],
    }
    native = native_responses_request(CALLER, [], translated, governed)
    assert native.body["instructions"] == "Required policy prompt.\n\nBe terse."
    assert native.body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "mail <EMAIL_ADDRESS>"}]}
    ]
    assert native.body["truncation"] == "auto"


def test_a_changed_token_limit_follows() -> None:
    translated = chat_body(CALLER, [])
    governed = {**translated, "max_completion_tokens": 100}
    assert native_responses_request(CALLER, [], translated, governed).body["max_output_tokens"] == 100


def test_chat_turns_become_input_items_with_function_calls_and_outputs() -> None:
    items = input_items(
        [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/cat.png"}}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ]
    )
    assert items == [
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/cat.png", "detail": "auto"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ]
