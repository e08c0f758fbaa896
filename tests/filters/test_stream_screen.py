"""A streamed Responses answer's reasoning item comes whole: its summaries are scanned whole before
it goes on, and a block there withholds the choice like a block in its content."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from filters.blocklist import BlocklistEntry
from filters.pipeline import FilterPipeline
from filters.review_store import NewReview
from filters.screening import Screening
from filters.stream_screen import StreamScreen
from gateway.core.chat_view import REASONING_FIELD
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


async def test_a_blocked_summary_withholds_the_choice_and_goes_to_review(make_pipeline: PipelineFactory) -> None:
    reviews = Reviews()
    screen = _screen(make_pipeline(entries=[BlocklistEntry("project falcon")]), reviews)
    out = await screen.process([_chunk(_thought("about project falcon")), _chunk({"content": "All fine."}, "stop")])
    assert [orjson.loads(payload)["choices"] for payload in out] == [
        [{"index": 0, "delta": {}, "finish_reason": "content_filter"}]
    ]
    await screen.close()
    assert screen.action is Action.BLOCK
    [review] = reviews.items
    original = orjson.loads(review.original)["choices"][0]["message"]
    assert original[REASONING_FIELD] == [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "about project falcon"}]}
    ]
