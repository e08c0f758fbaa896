"""How a network read of an OpenAI-compatible stream becomes chunk payloads: a read that is all
`data: {...}` events is split at once, any other read line by line, to the same payloads."""

from __future__ import annotations

import pytest

from gateway.upstream.openai_compatible import _payloads, _payloads_line_by_line, _split_at_error

CHUNK = b'{"choices":[{"index":0,"delta":{"content":"hi"}}]}'
ERROR = b'{"error":{"message":"overloaded","type":"server_error"}}'


@pytest.mark.parametrize(
    "read",
    [
        b"data: " + CHUNK + b"\n\ndata: " + CHUNK + b"\n\n",
        b"data: " + CHUNK + b"\n\ndata: [DONE]\n\n",
        b"data: " + CHUNK + b"\n\n: keep-alive\n\ndata: " + CHUNK + b"\n\n",
        b"data:" + CHUNK + b"\n\ndata: " + CHUNK + b"\n\n",  # no space after the colon
        b"data: " + CHUNK + b"\r\n\r\ndata: " + CHUNK + b"\r\n\r\n",
        b"data: " + CHUNK + b"  \n\ndata:   " + CHUNK + b"\n\n",
        b"data: " + CHUNK + b"\n\ndata: \n\ndata: " + CHUNK + b"\n\n",  # an empty data line
        b"data: " + CHUNK + b"\n\ndata: [DONE]\n\ndata: " + CHUNK + b"\n\n",  # nothing after [DONE]
        b"event: x\ndata: " + CHUNK + b"\n\n",
        b"data: " + CHUNK + b"\ndata: " + CHUNK + b"\n\n",  # two data lines in one event
        b"data: " + CHUNK + b"\n\n",
        b"",
    ],
)
def test_a_read_gives_the_payloads_its_lines_hold(read: bytes) -> None:
    assert _payloads(read) == _payloads_line_by_line(read.split(b"\n"))


def test_a_read_of_data_events_only_is_split_into_its_payloads() -> None:
    assert _payloads(b"data: " + CHUNK + b"\n\ndata: " + CHUNK + b"\n\ndata: [DONE]\n\n") == ([CHUNK, CHUNK], True)


def test_an_error_event_ends_the_payloads_before_it() -> None:
    read = b"data: " + CHUNK + b"\n\ndata: " + ERROR + b"\n\ndata: " + CHUNK + b"\n\n"
    payloads, _ = _payloads(read)
    assert _split_at_error(payloads, read) == ([CHUNK], ERROR)
    quoted = b'{"choices":[{"index":0,"delta":{"content":"an \\"error\\" here"}}]}'  # text, not a key
    assert _split_at_error([CHUNK, quoted], quoted) == ([CHUNK, quoted], None)
