"""A Responses answer and its event stream read as the chat view: finish reasons from the status,
usage with cached and reasoning tokens, function calls by their item ids."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.core.chat_view import REASONING_FIELD
from gateway.upstream.responses_reading import ChunkReader, chat_completion

USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 8},
    "output_tokens": 5,
    "output_tokens_details": {"reasoning_tokens": 3},
    "total_tokens": 17,
}


def test_an_answer_cut_by_its_token_limit_finishes_for_length_with_its_usage() -> None:
    completion = chat_completion(
        {
            "id": "resp_abc",
            "model": "gpt",
            "status": "incomplete",
            "incomplete_details": {"reason": "max_output_tokens"},
            "output": [
                {
                    "type": "reasoning",
                    "id": "rs_1",
                    "summary": [{"type": "summary_text", "text": "Weighing it.", "note": "x"}, {"type": "other"}],
                },
                {"type": "message", "content": [{"type": "output_text", "text": "Half an"}]},
            ],
            "usage": USAGE,
        }
    )
    assert completion["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Half an",
        # The summary's documented parts and fields only: the filters read it on its way.
        REASONING_FIELD: [
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Weighing it."}]}
        ],
    }
    assert completion["choices"][0]["finish_reason"] == "length"
    assert completion["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 3},
    }


def test_streamed_text_deltas_are_chat_content_chunks_of_the_response() -> None:
    reader = ChunkReader()
    created = reader.read({"type": "response.created", "response": {"id": "resp_abc", "model": "gpt"}})
    texts = ['say "hi"\n', "Ünïcode ✓", ""]
    chunks = [reader.read({"type": "response.output_text.delta", "delta": text})[0] for text in texts]
    assert orjson.loads(created[0])["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    for chunk, text in zip(chunks, texts, strict=True):
        assert orjson.loads(chunk) == {
            "id": "chatcmpl-abc",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }


def test_streamed_function_call_arguments_follow_their_item() -> None:
    reader = ChunkReader()
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "resp_abc", "model": "gpt"}},
        {
            "type": "response.output_item.added",
            "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""},
        },
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "1}"},
        {"type": "response.completed", "response": {"status": "completed", "usage": USAGE}},
    ]
    chunks = [orjson.loads(chunk) for event in events for chunk in reader.read(event)]
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert calls[0]["id"] == "call_1" and calls[0]["function"]["name"] == "f"
    assert "".join(call["function"]["arguments"] for call in calls) == '{"a":1}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] == 5 and chunks[0]["id"] == "chatcmpl-abc"
