"""The translations of a (filtered) chat answer into the Responses and Messages APIs, case by case,
plain and streamed: each object and event checked against the official SDKs' types (and OpenAI's
schemas), then the values that matter compared exactly, as the SDKs' models accept extra fields."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from anthropic.types.parsed_message import ParsedMessage
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from gateway.proxy.messages_answers import MessagesEncoder, message
from gateway.proxy.responses_answers import ResponseFrame, ResponsesEncoder, response_object
from tests.helpers.openai_schema import RESPONSE, RESPONSE_EVENTS, problems

MODEL = "claude-test"
REQUEST = {"model": "gpt-test", "input": "hi", "tools": [{"type": "function", "name": "lookup", "parameters": {}}]}
MESSAGE_ADAPTER = TypeAdapter(Message)
MESSAGES_EVENT_ADAPTER: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
RESPONSE_ADAPTER = TypeAdapter(Response)
RESPONSES_EVENT_ADAPTER: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)

USAGE = {
    "prompt_tokens": 20,
    "completion_tokens": 9,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 5},
    "completion_tokens_details": {"reasoning_tokens": 3},
}
# Messages count cached input apart from the rest; Responses count it within input_tokens.
MESSAGES_USAGE = {
    "input_tokens": 15,
    "output_tokens": 9,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 5,
}
RESPONSES_USAGE = {
    "input_tokens": 20,
    "input_tokens_details": {"cached_tokens": 5, "cache_write_tokens": 0},
    "output_tokens": 9,
    "output_tokens_details": {"reasoning_tokens": 3},
    "total_tokens": 29,
}
CALL_ONE = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "gateway"}'}}
CALL_TWO = {"id": "call_2", "type": "function", "function": {"name": "define", "arguments": '{"word": "door", "n": 2}'}}


def completion(reply: dict[str, Any], finish: str, **choice: Any) -> dict[str, Any]:
    """A chat completion as an OpenAI-compatible upstream answers, `choice` adding vLLM's fields."""
    message = {"role": "assistant", "content": None, "refusal": None, **reply}
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish, **choice}],
        "usage": USAGE,
    }


def chunk(delta: dict[str, Any], finish: str | None = None, **choice: Any) -> bytes:
    body = {
        "id": "chatcmpl-abc",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish, **choice}],
    }
    return orjson.dumps(body)


def call_start(index: int, call: dict[str, Any]) -> bytes:
    function = {"name": call["function"]["name"], "arguments": ""}
    return chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function", "function": function}]})


def call_arguments(index: int, piece: str) -> bytes:
    return chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})


ROLE = chunk({"role": "assistant", "content": ""})
USAGE_CHUNK = orjson.dumps(
    {"id": "chatcmpl-abc", "object": "chat.completion.chunk", "created": 1, "model": "gpt-test", "choices": []}
    | {"usage": USAGE}
)
TEXT = [chunk({"content": "Hel"}), chunk({"content": "lo, "}), chunk({"content": "wörld"}), chunk({"content": "!"})]
# Each call's arguments come in fragments that are not JSON on their own.
CALL_ONE_CHUNKS = [call_start(0, CALL_ONE), call_arguments(0, '{"q": '), call_arguments(0, '"gateway"}')]
CALL_TWO_CHUNKS = [call_start(1, CALL_TWO), call_arguments(1, '{"word": "door",'), call_arguments(1, ' "n": 2}')]

# (case, chat completion, its chunks as streamed)
CHATS: list[tuple[str, dict[str, Any], list[bytes]]] = [
    (
        "plain text",
        completion({"content": "Hello, wörld!"}, "stop"),
        [ROLE, *TEXT, chunk({}, "stop"), USAGE_CHUNK],
    ),
    (
        "one tool call",
        completion({"tool_calls": [CALL_ONE]}, "tool_calls"),
        [chunk({"role": "assistant", "content": None}), *CALL_ONE_CHUNKS, chunk({}, "tool_calls"), USAGE_CHUNK],
    ),
    (
        "two tool calls",
        completion({"tool_calls": [CALL_ONE, CALL_TWO]}, "tool_calls"),
        [ROLE, *CALL_ONE_CHUNKS, *CALL_TWO_CHUNKS, chunk({}, "tool_calls"), USAGE_CHUNK],
    ),
    (
        "text then a tool call",
        completion({"content": "Hello, wörld!", "tool_calls": [CALL_ONE]}, "tool_calls"),
        [ROLE, *TEXT, *CALL_ONE_CHUNKS, chunk({}, "tool_calls"), USAGE_CHUNK],
    ),
    (
        "length",
        completion({"content": "Hello, wörld!"}, "length"),
        [ROLE, *TEXT, chunk({}, "length"), USAGE_CHUNK],
    ),
    (
        "content_filter",
        completion({"content": "Hello, wörld!"}, "content_filter"),
        [ROLE, *TEXT, chunk({}, "content_filter"), USAGE_CHUNK],
    ),
    (
        "stop sequence, vLLM style",
        completion({"content": "Hello, wörld!"}, "stop", stop_reason="END"),
        [ROLE, *TEXT, chunk({}, "stop", stop_reason="END"), USAGE_CHUNK],
    ),
    (
        "reasoning text, then text",
        completion({"reasoning_content": "Let me think.", "content": "Hello, wörld!"}, "stop"),
        [
            ROLE,
            chunk({"reasoning_content": "Let me "}),
            chunk({"reasoning_content": "think."}),
            *TEXT,
            chunk({}, "stop"),
            USAGE_CHUNK,
        ],
    ),
    (
        "refusal",
        completion({"refusal": "I can't help with that."}, "stop"),
        [
            chunk({"role": "assistant", "refusal": ""}),
            chunk({"refusal": "I can't "}),
            chunk({"refusal": "help with that."}),
            chunk({}, "stop"),
            USAGE_CHUNK,
        ],
    ),
]
CASES = {case: (chat, chunks) for case, chat, chunks in CHATS}
TEXT_BLOCK = {"type": "text", "text": "Hello, wörld!"}
REFUSAL_BLOCK = {"type": "text", "text": "I can't help with that."}
TOOL_ONE_BLOCK = {"type": "tool_use", "id": "call_1", "name": "lookup", "input": {"q": "gateway"}}
TOOL_TWO_BLOCK = {"type": "tool_use", "id": "call_2", "name": "define", "input": {"word": "door", "n": 2}}
THINKING_BLOCK = {"type": "thinking", "thinking": "Let me think.", "signature": ""}  # the gateway's, unsigned
EMPTY_BLOCK: dict[str, dict[str, Any]] = {"text": {"text": ""}, "tool_use": {"input": {}}, "thinking": {"thinking": ""}}

# (case, expected message fields)
MESSAGES_CASES: list[tuple[str, dict[str, Any]]] = [
    ("plain text", {"content": [TEXT_BLOCK], "stop_reason": "end_turn", "stop_sequence": None}),
    ("one tool call", {"content": [TOOL_ONE_BLOCK], "stop_reason": "tool_use", "stop_sequence": None}),
    ("two tool calls", {"content": [TOOL_ONE_BLOCK, TOOL_TWO_BLOCK], "stop_reason": "tool_use", "stop_sequence": None}),
    (
        "text then a tool call",
        {"content": [TEXT_BLOCK, TOOL_ONE_BLOCK], "stop_reason": "tool_use", "stop_sequence": None},
    ),
    ("length", {"content": [TEXT_BLOCK], "stop_reason": "max_tokens", "stop_sequence": None}),
    ("content_filter", {"content": [TEXT_BLOCK], "stop_reason": "refusal", "stop_sequence": None}),
    ("stop sequence, vLLM style", {"content": [TEXT_BLOCK], "stop_reason": "stop_sequence", "stop_sequence": "END"}),
    (
        "reasoning text, then text",
        {"content": [THINKING_BLOCK, TEXT_BLOCK], "stop_reason": "end_turn", "stop_sequence": None},
    ),
    # A model's refusal: its text, ended as Anthropic ends a refusal.
    ("refusal", {"content": [REFUSAL_BLOCK], "stop_reason": "refusal", "stop_sequence": None}),
]


@pytest.mark.parametrize(("case", "expected"), MESSAGES_CASES, ids=[case for case, _ in MESSAGES_CASES])
def test_a_messages_answer(case: str, expected: dict[str, Any]) -> None:
    chat, _ = CASES[case]
    answer = message(chat, MODEL)
    MESSAGE_ADAPTER.validate_python(answer)
    # The whole object, so that a field added, missing or misnamed fails too.
    assert answer == {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        **expected,
        "usage": MESSAGES_USAGE,
    }


def sse(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """A stream's events as (event name, data)."""
    events = []
    for block in body.decode().split("\n\n"):
        if block:
            name, data = block.split("\n")
            events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def batches(chunks: list[bytes]) -> tuple[list[list[bytes]], list[bytes]]:
    """The chunks in three released batches and the last one, as the filters release a stream; the
    middle batch is only text where the case has text, the encoders' fast path."""
    return [chunks[:2], chunks[2:4], chunks[4:-1]], chunks[-1:]


@pytest.mark.parametrize(("case", "expected"), MESSAGES_CASES, ids=[case for case, _ in MESSAGES_CASES])
def test_a_streamed_messages_answer(case: str, expected: dict[str, Any]) -> None:
    _, chunks = CASES[case]
    encoder = MessagesEncoder(MODEL)
    released, last = batches(chunks)
    body = b"".join(encoder.events(batch) for batch in released) + encoder.end(last)
    events = sse(body)
    for name, data in events:
        assert name == data["type"]
        MESSAGES_EVENT_ADAPTER.validate_python(data)
    kinds = [name for name, _ in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert events[0][1]["message"] == {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    # Each block starts empty, as Anthropic's do: text "", input {}, thinking "" until their deltas.
    starts = [data["content_block"] for name, data in events if name == "content_block_start"]
    assert starts == [{**block, **EMPTY_BLOCK[block["type"]]} for block in expected["content"]]

    # Blocks open one at a time, numbered in order, each stopped before the next starts, and
    # their deltas only while open.
    started = [data["index"] for name, data in events if name == "content_block_start"]
    stopped = [data["index"] for name, data in events if name == "content_block_stop"]
    assert started == stopped == list(range(len(expected["content"])))
    open_block: int | None = None
    for name, data in events:
        if name == "content_block_start":
            assert open_block is None
            open_block = data["index"]
        elif name == "content_block_delta":
            assert data["index"] == open_block
        elif name == "content_block_stop":
            assert data["index"] == open_block
            open_block = None
    assert open_block is None

    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": expected["stop_reason"], "stop_sequence": expected["stop_sequence"]}
    assert delta["usage"] == MESSAGES_USAGE

    # The SDK's own accumulator, as `client.messages.stream(...).get_final_message()` reads it.
    snapshot: ParsedMessage[Any] | None = None
    for _, data in events:
        snapshot = accumulate_event(event=MESSAGES_EVENT_ADAPTER.validate_python(data), current_snapshot=snapshot)
    assert snapshot is not None
    fields = {"type", "text", "id", "name", "input", "thinking", "signature"}
    assert [block.model_dump(include=fields) for block in snapshot.content] == expected["content"]
    assert snapshot.stop_reason == expected["stop_reason"] and snapshot.stop_sequence == expected["stop_sequence"]
    assert snapshot.usage.input_tokens == MESSAGES_USAGE["input_tokens"]
    assert snapshot.usage.output_tokens == MESSAGES_USAGE["output_tokens"]
    assert snapshot.usage.cache_read_input_tokens == MESSAGES_USAGE["cache_read_input_tokens"]
    assert snapshot.usage.cache_creation_input_tokens == MESSAGES_USAGE["cache_creation_input_tokens"]


def text_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": [part]}


def call_item(call: dict[str, Any]) -> dict[str, Any]:
    function = call["function"]
    return {
        "type": "function_call",
        "id": "fc_" + call["id"],
        "call_id": call["id"],
        "name": function["name"],
        "arguments": function["arguments"],
        "status": "completed",
    }


REFUSAL_ITEM = {
    "type": "message",
    "id": "msg_abc",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "refusal", "refusal": "I can't help with that."}],
}
REASONING_ITEM = {  # the gateway's, for a chat answer's reasoning text; its id from the response's
    "type": "reasoning",
    "id": "rs_test1",
    "summary": [],
    "content": [{"type": "reasoning_text", "text": "Let me think."}],
}
COMPLETED = {"status": "completed", "incomplete_details": None}
# (case, expected response fields); the message item's id is "msg_abc" as the chat answer's id has
# it, and "msg_test1" in a stream, from its response id (written as it starts, before the chat id).
RESPONSES_CASES: list[tuple[str, dict[str, Any]]] = [
    ("plain text", {"output": [text_item("msg_abc", "Hello, wörld!")], **COMPLETED}),
    ("one tool call", {"output": [call_item(CALL_ONE)], **COMPLETED}),
    ("two tool calls", {"output": [call_item(CALL_ONE), call_item(CALL_TWO)], **COMPLETED}),
    (
        "text then a tool call",
        {"output": [text_item("msg_abc", "Hello, wörld!"), call_item(CALL_ONE)], **COMPLETED},
    ),
    (
        "length",
        {
            "output": [text_item("msg_abc", "Hello, wörld!", "incomplete")],
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
        },
    ),
    (
        "content_filter",
        {
            "output": [text_item("msg_abc", "Hello, wörld!", "incomplete")],
            "status": "incomplete",
            "incomplete_details": {"reason": "content_filter"},
        },
    ),
    # Responses have no stop sequence to report: a stop is a stop.
    ("stop sequence, vLLM style", {"output": [text_item("msg_abc", "Hello, wörld!")], **COMPLETED}),
    ("reasoning text, then text", {"output": [REASONING_ITEM, text_item("msg_abc", "Hello, wörld!")], **COMPLETED}),
    ("refusal", {"output": [REFUSAL_ITEM], **COMPLETED}),
]


def streamed_ids(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "id": "msg_test1"} if item["type"] == "message" else item for item in output]


@pytest.mark.parametrize(("case", "expected"), RESPONSES_CASES, ids=[case for case, _ in RESPONSES_CASES])
def test_a_responses_answer(case: str, expected: dict[str, Any]) -> None:
    chat, _ = CASES[case]
    frame = ResponseFrame(REQUEST, "resp_test1")
    response = response_object(frame, chat)
    assert problems(RESPONSE, response) == []
    RESPONSE_ADAPTER.validate_python(response)
    assert response["id"] == "resp_test1" and response["object"] == "response" and response["model"] == "gpt-test"
    assert response["output"] == expected["output"]
    assert response["status"] == expected["status"]
    assert response["incomplete_details"] == expected["incomplete_details"]
    assert response["usage"] == RESPONSES_USAGE
    assert (response["completed_at"] is not None) == (expected["status"] == "completed")


@pytest.mark.parametrize(("case", "expected"), RESPONSES_CASES, ids=[case for case, _ in RESPONSES_CASES])
def test_a_streamed_responses_answer(case: str, expected: dict[str, Any]) -> None:
    _, chunks = CASES[case]
    stored: list[dict[str, Any]] = []
    encoder = ResponsesEncoder(ResponseFrame(REQUEST, "resp_test1"), stored.append)
    released, last = batches(chunks)
    body = b"".join(encoder.events(batch) for batch in released) + encoder.end(last)
    events = sse(body)
    for name, data in events:
        assert name == data["type"]
        RESPONSES_EVENT_ADAPTER.validate_python(data)
        assert problems(RESPONSE_EVENTS[name], data) == [], name
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    kinds = [name for name, _ in events]
    final_kind = "response.completed" if expected["status"] == "completed" else "response.incomplete"
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == final_kind
    assert kinds.count(final_kind) == 1 and "response.failed" not in kinds

    final = events[-1][1]["response"]
    RESPONSE_ADAPTER.validate_python(final)
    output = streamed_ids(expected["output"])
    assert final["output"] == output
    assert final["status"] == expected["status"]
    assert final["incomplete_details"] == expected["incomplete_details"]
    assert final["usage"] == RESPONSES_USAGE
    assert stored == [final]

    # Each item is added once and done once, at its place, and done as the final response has it.
    added = [
        (data["output_index"], data["item"]["id"]) for name, data in events if name == "response.output_item.added"
    ]
    done = [(data["output_index"], data["item"]) for name, data in events if name == "response.output_item.done"]
    assert added == [(index, item["id"]) for index, item in enumerate(output)]
    assert done == list(enumerate(output))

    # The deltas add up to what their done events and the final items say.
    for index, item in enumerate(output):
        if item["type"] == "function_call":
            pieces = [d["delta"] for k, d in events if k.endswith("arguments.delta") and d["output_index"] == index]
            (arguments_done,) = [d for k, d in events if k.endswith("arguments.done") and d["output_index"] == index]
            assert "".join(pieces) == arguments_done["arguments"] == item["arguments"]
            assert arguments_done["item_id"] == item["id"]
            continue
        for part_index, part in enumerate(item["content"]):
            kind = part["type"]
            value = part["refusal"] if kind == "refusal" else part["text"]
            here = [
                (k, d) for k, d in events if d.get("output_index") == index and d.get("content_index") == part_index
            ]
            assert [k for k, _ in here if not k.endswith(".delta")] == [
                "response.content_part.added",
                f"response.{kind}.done",
                "response.content_part.done",
            ]
            assert "".join(d["delta"] for k, d in here if k == f"response.{kind}.delta") == value
            assert all(d["item_id"] == item["id"] for _, d in here)
            assert here[-1][1]["part"] == part
