"""A streamed Responses answer's reasoning item comes whole: its summaries are scanned whole before
it goes on, and a block there withholds the choice like a block in its content. An Anthropic
thinking block comes whole too, and goes on unchanged or not at all."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from filters.blocklist import BlocklistEntry
from filters.pipeline import FilterPipeline
from filters.review_store import NewReview
from filters.screening import Screening
from filters.stream_screen import StreamScreen
from gateway.core.chat_view import REASONING_FIELD, THINKING_FIELD
from gateway.core.types import Action, Principal
from tests.filters.helpers import PipelineFactory

pytestmark = pytest.mark.anyio
PRINCIPAL = Principal(team_id=1, team_name="support", key_id=1, key_prefix="sk-gw-a")


class Reviews:
    def __init__(self) -> None:
        self.items: list[NewReview] = []

    async def submit(self, review: NewReview) -> None:
        self.items.append(review)


def _screen(pipeline: FilterPipeline, reviews: Reviews) -> StreamScreen:
    screening = Screening(pipeline, reviews, lambda verdict: None)
    return StreamScreen(screening, PRINCIPAL, request_id="req-1", model="gpt-native", prompt_ref=None)


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return orjson.dumps(
        {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}
    )


def _thought(*texts: str) -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": text} for text in texts]
    return {REASONING_FIELD: [{"type": "reasoning", "id": "rs_1", "summary": summary}]}


async def test_each_summary_is_redacted_before_its_item_goes_on(make_pipeline: PipelineFactory) -> None:
    screen = _screen(make_pipeline(), Reviews())
    out = await screen.process([_chunk(_thought("mail jane.doe@example.com now", "then call"))])
    [item] = orjson.loads(out[0])["choices"][0]["delta"][REASONING_FIELD]
    assert [part["text"] for part in item["summary"]] == ["mail <EMAIL_ADDRESS> now", "then call"]
    assert item["id"] == "rs_1"


def _thinking(*texts: str) -> dict[str, Any]:
    blocks = [{"type": "thinking", "thinking": text, "signature": f"sig-{n}"} for n, text in enumerate(texts)]
    return {THINKING_FIELD: [*blocks, {"type": "redacted_thinking", "data": "opaque"}]}


async def test_thinking_goes_on_unchanged_and_a_block_the_filters_would_change_not_at_all(
    make_pipeline: PipelineFactory,
) -> None:
    reviews = Reviews()
    screen = _screen(make_pipeline(entries=[BlocklistEntry("falcon", action=Action.FLAG)]), reviews)
    thinking = _thinking("plan first", "mail jane.doe@example.com")
    out = await screen.process([_chunk(thinking), _chunk({"content": "about falcon"}, "stop")])
    assert orjson.loads(out[0])["choices"][0]["delta"][THINKING_FIELD] == [
        {"type": "thinking", "thinking": "plan first", "signature": "sig-0"},
        {"type": "redacted_thinking", "data": "opaque"},
    ]
    assert b"jane.doe" not in b"".join(out + await screen.close())
    [review] = reviews.items  # flagged: what was delivered holds the one block that went on
    delivered = orjson.loads(review.delivered)["choices"][0]["message"]
    assert delivered[THINKING_FIELD] == [{"type": "thinking", "thinking": "plan first"}]


BLOCKED_THOUGHTS = [
    (
        _thought("about project falcon"),
        REASONING_FIELD,
        [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "about project falcon"}]}],
    ),
    (_thinking("about project falcon"), THINKING_FIELD, [{"type": "thinking", "thinking": "about project falcon"}]),
]


@pytest.mark.parametrize(("delta", "field", "kept"), BLOCKED_THOUGHTS, ids=["summary", "thinking"])
async def test_a_block_in_reasoning_withholds_the_choice_and_goes_to_review(
    make_pipeline: PipelineFactory, delta: dict[str, Any], field: str, kept: list[dict[str, Any]]
) -> None:
    reviews = Reviews()
    screen = _screen(make_pipeline(entries=[BlocklistEntry("project falcon")]), reviews)
    out = await screen.process([_chunk(delta), _chunk({"content": "All fine."}, "stop")])
    assert [orjson.loads(payload)["choices"] for payload in out] == [
        [{"index": 0, "delta": {}, "finish_reason": "content_filter"}]
    ]
    await screen.close()
    assert screen.action is Action.BLOCK
    [review] = reviews.items
    assert orjson.loads(review.original)["choices"][0]["message"][field] == kept
    assert field not in orjson.loads(review.delivered)["choices"][0]["message"]


@pytest.mark.parametrize("one_read", [True, False])
async def test_reasoning_text_ends_before_the_answer_begins(make_pipeline: PipelineFactory, one_read: bool) -> None:
    """The APIs that write reasoning as an item or block of its own cannot add to it once the
    answer began: what the hold-back still keeps of the reasoning comes first."""
    chunks = [
        _chunk({"reasoning_content": "Thinking over: write to jane.d"}),
        _chunk({"reasoning_content": "oe@example.com"}),
        _chunk({"content": "Mock answer"}),
        _chunk({}, "stop"),
    ]
    screen = _screen(make_pipeline(), Reviews())
    reads = [chunks] if one_read else [[chunk] for chunk in chunks]
    out = [payload for read in reads for payload in await screen.process(read)] + await screen.close()
    fields = [
        (name, text)
        for payload in out
        for choice in orjson.loads(payload)["choices"]
        for name, text in choice["delta"].items()
        if text
    ]
    names = [name for name, _ in fields]
    assert names == sorted(names, key=lambda name: name == "content")  # all reasoning first
    assert "".join(text for name, text in fields if name == "reasoning_content") == (
        "Thinking over: write to <EMAIL_ADDRESS>"
    )
    assert "".join(text for name, text in fields if name == "content") == "Mock answer"


def _texts(out: list[bytes]) -> str:
    chunks = [orjson.loads(payload) for payload in out]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))


async def test_a_run_of_text_chunks_is_screened_as_one_and_a_chunk_that_only_looks_like_one_alone(
    make_pipeline: PipelineFactory,
) -> None:
    screen = _screen(make_pipeline(), Reviews())
    words = ["Write", " to", " jane", ".doe@", "exam", "ple.com", " today"]
    first_read = [_chunk({"role": "assistant", "content": ""}), *[_chunk({"content": word}) for word in words[:4]]]
    out = await screen.process(first_read)
    before, after = _chunk({"content": "x"}).split(b'"x"')
    looks_like_text = before + b'"!","tool_calls":[{"index":0,"id":"t1","function":{"name":"f"}}]' + after
    out += await screen.process([*[_chunk({"content": word}) for word in words[4:]], looks_like_text])
    out += await screen.process([_chunk({}, "stop")]) + await screen.close()
    assert _texts(out) == "Write to <EMAIL_ADDRESS> today!"
    deltas = [choice["delta"] for chunk in map(orjson.loads, out) for choice in chunk.get("choices", [])]
    calls = [delta["tool_calls"] for delta in deltas if "tool_calls" in delta]
    assert [call["function"]["name"] for call in calls[0]] == ["f"]  # read whole: its second key went on too
