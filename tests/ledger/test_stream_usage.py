"""Usage of streamed answers, from real chunk payloads of the built-in mock provider."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.core.settings import LitellmParams
from gateway.ledger.stream import UNREAD_CHUNKS, StreamUsageTracker, client_wants_usage, with_usage_requested
from gateway.ledger.tokens import TokenCounter
from gateway.upstream.base import Deployment
from gateway.upstream.circuit import Circuit
from gateway.upstream.mock_provider import MockProvider

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "tell me about the weather in Paris today"}]


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter()


def _deployment() -> Deployment:
    provider = MockProvider()
    return Deployment("mock#0", "mock", LitellmParams(model="gateway-mock/gpt-4o"), provider, Circuit(3, 30))


async def _chunks(body: dict[str, object]) -> list[bytes]:
    deployment = _deployment()
    batches = await deployment.provider.open_stream(deployment, body)
    return [chunk async for batch in batches for chunk in batch]  # each network read is a batch of payloads


def _tracker(counter: TokenCounter, body: dict[str, object]) -> StreamUsageTracker:
    prompt = counter.count_messages(body["messages"], "gpt-4o")
    return StreamUsageTracker(
        counter, "gpt-4o", body, prompt_tokens=prompt, forward_usage_chunk=client_wants_usage(body)
    )


def test_the_upstream_body_asks_for_usage_and_keeps_other_options() -> None:
    body: dict[str, Any] = {"model": "m", "stream": True, "stream_options": {"include_obfuscation": False}}
    upstream = with_usage_requested(body)
    assert upstream["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    assert "include_usage" not in body["stream_options"]  # the client's body is not changed


async def test_provider_usage_is_recorded_and_its_chunk_stripped_for_a_client_that_did_not_ask(
    counter: TokenCounter,
) -> None:
    body = {"model": "mock", "stream": True, "messages": MESSAGES}
    tracker = _tracker(counter, body)
    forwarded = [chunk for chunk in await _chunks(with_usage_requested(body)) if tracker.feed_batch([chunk])]
    assert tracker.reported is not None
    assert tracker.usage() == tracker.reported
    assert all("usage" not in orjson.loads(chunk) for chunk in forwarded)
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in map(orjson.loads, forwarded) if c["choices"])
        == "Mock answer: " + MESSAGES[0]["content"]
    )


async def test_the_usage_chunk_reaches_a_client_that_asked_for_it(counter: TokenCounter) -> None:
    body = {"model": "mock", "stream": True, "messages": MESSAGES, "stream_options": {"include_usage": True}}
    tracker = _tracker(counter, body)
    forwarded = [chunk for chunk in await _chunks(with_usage_requested(body)) if tracker.feed_batch([chunk])]
    assert orjson.loads(forwarded[-1])["usage"]["completion_tokens"] == tracker.usage().completion_tokens


async def test_a_stream_without_provider_usage_is_counted_with_tiktoken(counter: TokenCounter) -> None:
    body = {"model": "mock", "stream": True, "messages": MESSAGES}
    tracker = _tracker(counter, body)
    for chunk in await _chunks(body):  # not asked upstream: no usage chunk arrives
        tracker.feed_batch([chunk])
    usage = tracker.usage()
    assert usage.counted
    assert usage.completion_tokens == counter.count_text("Mock answer: " + MESSAGES[0]["content"], "gpt-4o")
    assert usage.prompt_tokens == counter.count_messages(MESSAGES, "gpt-4o")


async def test_a_client_that_leaves_mid_stream_pays_for_what_was_generated(counter: TokenCounter) -> None:
    body = {"model": "mock", "stream": True, "messages": MESSAGES}
    chunks = await _chunks(with_usage_requested(body))
    tracker = _tracker(counter, body)
    for chunk in chunks[:4]:  # role chunk + three words, then the client is gone
        tracker.feed_batch([chunk])
    assert tracker.text == "Mock answer: tell"
    usage = tracker.usage()
    assert usage.counted and usage.completion_tokens == counter.count_text("Mock answer: tell", "gpt-4o")
    assert 0 < usage.completion_tokens < _tracker_total(counter, chunks, body)


def _tracker_total(counter: TokenCounter, chunks: list[bytes], body: dict[str, object]) -> int:
    tracker = _tracker(counter, body)
    for chunk in chunks:
        tracker.feed_batch([chunk])
    return tracker.usage().completion_tokens


async def test_streamed_tool_call_arguments_are_counted(counter: TokenCounter) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    body = {"model": "mock", "stream": True, "messages": MESSAGES, "tools": tools}
    tracker = _tracker(counter, body)
    for chunk in await _chunks(body):
        tracker.feed_batch([chunk])
    assert tracker.text.startswith("lookup{")
    assert tracker.usage().completion_tokens == counter.count_text(tracker.text, "gpt-4o")


@pytest.mark.parametrize("null_usage", [b'"usage":null', b'"usage": null'])
def test_openai_framing_with_a_null_usage_on_every_chunk(counter: TokenCounter, null_usage: bytes) -> None:
    """OpenAI sends `"usage":null` on every chunk before the last when usage is asked for; those
    chunks are forwarded unparsed, the last one's usage is recorded and its chunk stripped."""
    body = {"model": "gpt-4o", "stream": True, "messages": MESSAGES}
    tracker = _tracker(counter, body)
    words = [b'"Hello"', b'" \\"usage\\": 3"', b'" world"']  # a quoted key inside content is text
    chunks = [
        b'{"id":"c","choices":[{"index":0,"delta":{"content":' + word + b"}}]," + null_usage + b"}" for word in words
    ]
    last = b'{"id":"c","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}'
    forwarded = tracker.feed_batch([*chunks, last])
    assert forwarded == chunks
    assert (tracker.usage().prompt_tokens, tracker.usage().completion_tokens) == (9, 4)
    assert tracker.text == 'Hello "usage": 3 world'


def test_a_long_stream_without_usage_is_counted_from_all_its_text(counter: TokenCounter) -> None:
    """Past UNREAD_CHUNKS chunks the tracker reads their text as it goes; none of it is lost."""
    body = {"model": "gpt-4o", "stream": True, "messages": MESSAGES}
    tracker = _tracker(counter, body)
    words = [f"w{number} " for number in range(UNREAD_CHUNKS * 2 + 7)]
    for word in words:
        assert tracker.feed_batch([orjson.dumps({"choices": [{"index": 0, "delta": {"content": word}}]})])
    assert tracker.text == "".join(words)
    assert tracker.usage().completion_tokens == counter.count_text("".join(words), "gpt-4o")


def test_a_usage_report_inside_a_read_is_found_and_the_chunks_around_it_kept_in_order(counter: TokenCounter) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": MESSAGES}
    tracker = _tracker(counter, body)
    text = [orjson.dumps({"choices": [{"index": 0, "delta": {"content": word}}]}) for word in ("a", "b", "c")]
    usage = b'{"choices":[],"usage" : {"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}'
    assert tracker.feed_batch([text[0], usage, text[1], text[2]]) == text  # stripped: the client did not ask
    assert (tracker.usage().prompt_tokens, tracker.usage().completion_tokens) == (9, 3)
    assert tracker.text == "abc"
