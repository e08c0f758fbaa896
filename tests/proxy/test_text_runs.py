"""How the Responses and Messages writers read a released batch: runs of plain text joined, every
other chunk kept whole, and a chunk read from the template only when it means the same."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.core.text_runs import TextRuns
from gateway.proxy.messages_answers import MessagesEncoder
from gateway.proxy.responses_answers import ResponseFrame, ResponsesEncoder
from tests.helpers.openai_schema import RESPONSE_EVENTS, problems


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return orjson.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice], **extra})


def test_a_run_of_text_chunks_is_one_item_and_other_chunks_stay_whole() -> None:
    runs = TextRuns()
    items = runs(
        [
            _chunk({"role": "assistant", "content": ""}),
            _chunk({"content": "Hel"}),
            _chunk({"content": "lo, "}),
            _chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": ""}}]}),
            _chunk({"content": 'wörld "quoted"'}),
            _chunk({}, "stop"),
        ]
    )
    assert [text for _, text in items] == [None, "Hello, ", None, 'wörld "quoted"', None]
    assert items[-1][0]["choices"][0]["finish_reason"] == "stop"


def test_later_batches_join_text_the_same_way() -> None:
    runs = TextRuns()
    words = ["The", " answer", " is", " é\\n", " 42", "."]
    first, *rest = words
    assert runs([_chunk({"content": first})])[0][1] == first
    assert [text for _, text in runs([_chunk({"content": word}) for word in rest])] == ["".join(rest)]


def test_a_chunk_that_fits_the_template_bytes_but_means_more_is_read_whole() -> None:
    runs = TextRuns()
    runs([_chunk({"content": "plain"})])
    before, after = _chunk({"content": "plain"}).split(b'"plain"')
    forged = before + b'"x","role":"assistant"' + after  # two keys in the delta: not plain text
    items = runs([forged, _chunk({"content": "more"}, usage={"completion_tokens": 2})])
    assert [text for _, text in items] == [None, None]
    assert items[0][0]["choices"][0]["delta"] == {"content": "x", "role": "assistant"}
    assert items[1][0]["usage"] == {"completion_tokens": 2}


def test_text_after_a_tool_call_is_a_new_responses_message_with_its_own_index() -> None:
    encoder = ResponsesEncoder(ResponseFrame({"model": "m", "input": "hi"}, "resp_1"), None)
    call = {"index": 0, "id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    stream = encoder.events([_chunk({"content": "before"})])
    stream += encoder.events([_chunk({"tool_calls": [call]})])
    stream += encoder.events([_chunk({"content": "after"})]) + encoder.end([_chunk({}, "stop")])
    events = [orjson.loads(line[6:]) for line in stream.split(b"\n") if line.startswith(b"data: ")]
    deltas = [(e["output_index"], e["delta"]) for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == [(0, "before"), (2, "after")]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


def _events(stream: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line[6:]) for line in stream.split(b"\n") if line.startswith(b"data: ")]


def test_a_read_of_text_chunks_mid_answer_is_one_delta_event_in_sequence() -> None:
    encoder = ResponsesEncoder(ResponseFrame({"model": "m", "input": "hi"}, "resp_1"), None)
    stream = encoder.events([_chunk({"role": "assistant", "content": ""}), _chunk({"content": "The"})])
    stream += encoder.events([_chunk({"content": " answer"})])
    stream += encoder.events([_chunk({"content": " is"}), _chunk({"content": ' "42"'}), _chunk({"content": "."})])
    stream += encoder.events([_chunk({"content": " Done"}), _chunk({}, "stop")])
    events = _events(stream + encoder.end([_chunk({}, None, usage={"prompt_tokens": 1, "completion_tokens": 5})]))
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == ["The", " answer", ' is "42".', " Done"]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    for event in events:
        assert problems(RESPONSE_EVENTS[event["type"]], event) == []
    completed = events[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["content"][0]["text"] == 'The answer is "42". Done'


def _forged(first: bytes) -> bytes:
    """A chunk that fits the template's bytes around a text but carries a second key."""
    before, after = first.split(b'"The"')
    return before + b'"x","role":"assistant"' + after


@pytest.mark.parametrize("writer", ["responses", "messages"])
def test_a_read_of_text_chunks_is_parsed_as_one_only_when_each_is_one_string(writer: str) -> None:
    first = _chunk({"content": "The"})
    encoder: Any = (
        ResponsesEncoder(ResponseFrame({"model": "m", "input": "hi"}, "resp_1"), None)
        if writer == "responses"
        else MessagesEncoder("m")
    )
    stream = encoder.events([_chunk({"role": "assistant", "content": ""}), first])
    stream += encoder.events([_chunk({"content": ' "é\n'}), _chunk({"content": ""}), _chunk({"content": "!"})])
    stream += encoder.events([_chunk({"content": " a"}), _forged(first), _chunk({"content": " b"})])
    events = _events(stream + encoder.end([_chunk({}, "stop")]))
    texts = [
        event["delta"]["text"] if writer == "messages" else event["delta"]
        for event in events
        if event["type"] in ("content_block_delta", "response.output_text.delta")
    ]
    assert texts == ["The", ' "é\n!', " a", "x", " b"]  # the forged chunk read whole, alone
    for event in events:  # its second key went out nowhere, in an event or in its delta
        assert "role" not in event and "role" not in (event["delta"] if isinstance(event.get("delta"), dict) else {})


def test_a_whole_answer_in_one_read_is_one_text_item_between_its_other_chunks() -> None:
    words = [f" w{n}" for n in range(40)]
    usage = orjson.dumps({"id": "chatcmpl-1", "choices": [], "usage": {"completion_tokens": 40}})
    items = TextRuns()(
        [
            _chunk({"role": "assistant", "content": ""}),
            *[_chunk({"content": word}) for word in words],
            _chunk({}, "stop"),
            usage,
        ]
    )
    assert [text for _, text in items] == [None, "".join(words), None, None]
    assert items[2][0]["choices"][0]["finish_reason"] == "stop"
    assert items[3][0]["usage"] == {"completion_tokens": 40}


def test_a_forged_chunk_inside_a_long_read_is_read_whole_and_the_rest_still_joined() -> None:
    runs = TextRuns()
    first = _chunk({"content": "The"})
    runs([first])
    read = [_chunk({"content": f" {n}"}) for n in range(10)]
    read[4] = _forged(first)
    items = runs([*read, _chunk({}, "length")])
    assert [text for _, text in items] == [" 0 1 2 3", None, " 5 6 7 8 9", None]
    assert items[1][0]["choices"][0]["delta"] == {"content": "x", "role": "assistant"}


@pytest.mark.parametrize("writer", ["responses", "messages"])
def test_a_stream_whose_filters_hold_nothing_back_ends_with_an_empty_tail(writer: str) -> None:
    encoder: Any = (
        ResponsesEncoder(ResponseFrame({"model": "m", "input": "hi"}, "resp_1"), None)
        if writer == "responses"
        else MessagesEncoder("m")
    )
    stream = encoder.events([_chunk({"role": "assistant", "content": ""}), _chunk({"content": "The"})])
    stream += encoder.events([_chunk({"content": " end"}), _chunk({}, "stop")])
    events = _events(stream + encoder.end([]))
    assert events[-1]["type"] in ("response.completed", "message_stop")
    texts = [event["delta"] for event in events if event["type"] == "response.output_text.delta"] or [
        event["delta"]["text"] for event in events if event["type"] == "content_block_delta"
    ]
    assert "".join(texts) == "The end"


def test_a_chunk_that_is_no_json_object_is_left_out_and_the_text_around_it_kept() -> None:
    runs = TextRuns()
    items = runs([_chunk({"content": "The"}), b"{not json", b"[1, 2]", _chunk({"content": " end"}), _chunk({}, "stop")])
    assert [text for _, text in items] == ["The end", None]
    assert items[1][0]["choices"][0]["finish_reason"] == "stop"
