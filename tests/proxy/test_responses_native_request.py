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
        ],
        [],
    )
    assert items == [
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://x/cat.png", "detail": "auto"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ]


def test_custom_and_namespaced_calls_go_back_as_the_caller_declared_their_tools() -> None:
    """Chat holds a custom tool's call as a function of `input`, and a namespace's function as
    `<namespace>__<name>`; a Responses upstream gets them as the request's tools declare them."""
    tools: list[dict[str, Any]] = [
        {"type": "custom", "name": "apply_patch"},
        {"type": "namespace", "name": "agents", "description": "d", "tools": [{"type": "function", "name": "spawn"}]},
    ]
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "apply_patch", "arguments": '{"input":"*** Begin"}'}},
        {"id": "c2", "type": "function", "function": {"name": "agents__spawn", "arguments": "{}"}},
    ]
    items = input_items(
        [
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "c1", "content": "patched"},
            {"role": "tool", "tool_call_id": "c2", "content": "spawned"},
        ],
        tools,
    )
    assert items == [
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin"},
        {"type": "function_call", "call_id": "c2", "name": "spawn", "arguments": "{}", "namespace": "agents"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "patched"},
        {"type": "function_call_output", "call_id": "c2", "output": "spawned"},
    ]


def test_a_governed_conversation_keeps_custom_and_namespaced_calls() -> None:
    """A policy that changes the conversation (here a system prompt added) makes the gateway write
    the caller's items again from chat: its custom and namespaced calls come back as it sent them."""
    own = [
        {"role": "user", "content": "fix it"},
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "patched"},
        {"type": "function_call", "call_id": "c2", "name": "spawn", "namespace": "agents", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c2", "output": "spawned"},
    ]
    caller = {
        "model": "gpt-native",
        "input": own,
        "tools": [
            {"type": "custom", "name": "apply_patch"},
            {
                "type": "namespace",
                "name": "agents",
                "description": "d",
                "tools": [{"type": "function", "name": "spawn"}],
            },
        ],
    }
    translated = chat_body(caller, [])
    governed = {**translated, "messages": [{"role": "system", "content": "Company rules."}, *translated["messages"]]}
    native = native_responses_request(caller, [], translated, governed).body
    assert native["instructions"] == "Company rules."
    assert native["input"] == [{"role": "user", "content": "fix it"}, *own[1:]]
