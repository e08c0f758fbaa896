"""Streaming without leaks: the hold-back buffer releases exactly what the non-streamed pipeline delivers."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filters.base import FilterContext
from filters.blocklist import BlocklistEntry
from filters.config import StreamSettings
from filters.pipeline import FilterPipeline
from filters.stream_buffer import StreamGuard, stream_guard
from gateway.core.types import Action
from tests.filters.helpers import PipelineFactory

WORDS = ["the", "report", "is", "ready", "and", "we", "shipped", "it", "today", "Thanks,", "see", "notes:", "ok."]
PII = [
    "maria.gonzalez@example.com",
    "ops@status.example.co.uk",
    "+1 (415) 555-0132",
    "415-555-0188",
    "020 7946 0958",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "203.0.113.42",
    "10.0.0.1",
    "536-22-1234",
]
PHRASES = ["project falcon", "Pr0ject  Falc0n", "merger talks"]
SEPARATORS = [" ", " ", " ", "\n", "  ", ", "]

tokens = st.lists(st.sampled_from(WORDS + PII + PHRASES), min_size=1, max_size=40)


@st.composite
def text_and_chunks(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts = draw(tokens)
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(parts), max_size=len(parts)))
    text = "".join(p + s for p, s in zip(parts, seps, strict=True)).rstrip()
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(1, len(text) - 1)), max_size=30)))
    bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
    return text, [text[a:b] for a, b in pairwise(bounds)]


async def stream(pipeline: FilterPipeline, chunks: list[str], team: str = "t") -> tuple[str, StreamGuard]:
    guard = stream_guard(pipeline, FilterContext(team=team))
    released = []
    for chunk in chunks:
        step = await guard.feed(chunk)
        released.append(step.released)
    released.append((await guard.finish()).released)
    return "".join(released), guard


def no_toxicity(**extra: Any) -> dict[str, Any]:
    # A classifier judges each scanned region as a whole, not spans: it is out of this property.
    return {"defaults": {"toxicity": {"enabled": False}, **extra}}


@pytest.fixture
def span_pipeline(make_pipeline: PipelineFactory) -> FilterPipeline:
    return make_pipeline(
        no_toxicity(),
        entries=[BlocklistEntry("project falcon", action=Action.FLAG), BlocklistEntry("merger", action=Action.FLAG)],
        max_wait_ms=0,
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=text_and_chunks())
def test_streamed_result_equals_the_non_streamed_result(span_pipeline: FilterPipeline, case: tuple) -> None:
    text, chunks = case
    whole = asyncio.run(span_pipeline.scan_text(text, FilterContext(team="t")))
    released, guard = asyncio.run(stream(span_pipeline, chunks))
    assert released == whole.text
    assert guard.action is whole.action
    assert sorted((f.entity_type, f.start, f.end) for f in guard.findings) == sorted(
        (f.entity_type, f.start, f.end) for f in whole.findings
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=text_and_chunks())
def test_a_stream_with_a_blocked_phrase_stops_before_it(make_pipeline: PipelineFactory, case: tuple) -> None:
    pipeline = make_pipeline(no_toxicity(), entries=[BlocklistEntry("project falcon")], max_wait_ms=0)
    text, chunks = case
    whole = asyncio.run(pipeline.scan_text(text, FilterContext(team="t")))
    released, guard = asyncio.run(stream(pipeline, chunks))
    assert guard.blocked is (whole.action is Action.BLOCK)
    if guard.blocked:
        first_blocked = min(f.start for f in whole.findings if f.action is Action.BLOCK)
        assert guard.released_chars <= first_blocked
        assert "falcon" not in released.lower()


def feed_all(pipeline: FilterPipeline, text: str, size: int = 3) -> tuple[str, StreamGuard]:
    return asyncio.run(stream(pipeline, [text[i : i + size] for i in range(0, len(text), size)]))


FILLER = "This answer has enough ordinary words around it to fill the hold-back window of the stream. "


def test_streamed_email_is_never_released_unredacted(make_pipeline: PipelineFactory) -> None:
    released, _ = feed_all(make_pipeline(max_wait_ms=0), FILLER + "Mail maria@example.com now. " + FILLER)
    assert "maria@example.com" not in released
    assert "Mail <EMAIL_ADDRESS> now." in released


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("replace", "<CREDIT_CARD>"), ("mask", "*******************"), ("flag", "4111 1111 1111 1111")],
)
def test_each_pii_operator_applies_to_streamed_answers(
    make_pipeline: PipelineFactory, operator: str, expected: str
) -> None:
    pipeline = make_pipeline({"defaults": {"pii": {"entities": {"CREDIT_CARD": operator}}}}, max_wait_ms=0)
    released, guard = feed_all(pipeline, FILLER + "Card 4111 1111 1111 1111 on file. " + FILLER)
    assert f"Card {expected} on file." in released
    assert guard.action is (Action.FLAG if operator == "flag" else Action.REDACT)


def test_streamed_hash_equals_non_streamed_hash(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline({"defaults": {"pii": {"entities": {"EMAIL_ADDRESS": "hash"}}}}, max_wait_ms=0)
    text = FILLER + "Mail maria@example.com now. " + FILLER
    released, _ = feed_all(pipeline, text)
    assert released == asyncio.run(pipeline.scan_text(text, FilterContext(team="t"))).text


def test_a_pii_block_stops_the_stream_before_the_entity(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline({"defaults": {"pii": {"entities": {"US_SSN": "block"}}}}, max_wait_ms=0)
    released, guard = feed_all(pipeline, FILLER + "Her SSN is 536-22-1234. " + FILLER)
    assert guard.blocked
    assert "536-22-1234" not in released


def test_a_toxic_stream_is_stopped_before_the_insult_is_released(make_pipeline: PipelineFactory) -> None:
    insult = "You are a stupid worthless idiot and everybody hates you. "
    released, guard = feed_all(make_pipeline(max_wait_ms=0), FILLER + insult + FILLER)
    assert guard.blocked
    assert "idiot" not in released


def test_nothing_is_released_before_the_window_fills(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_wait_ms=0)
    guard = StreamGuard(lambda text: pipeline.scan_text(text, FilterContext()), StreamSettings(window_chars=96))

    async def run() -> list[str]:
        return [(await guard.feed(FILLER[i : i + 4])).released for i in range(0, 108, 4)]

    assert "".join(asyncio.run(run())) == ""


def test_the_first_release_comes_once_window_and_step_are_buffered(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_wait_ms=0)
    settings_ = StreamSettings(window_chars=32, min_release_chars=8)
    guard = StreamGuard(lambda text: pipeline.scan_text(text, FilterContext()), settings_)

    async def first_release_at() -> int:
        for i in range(1, len(FILLER) + 1):
            if (await guard.feed(FILLER[i - 1])).released:
                return i
        return -1

    assert 40 <= asyncio.run(first_release_at()) <= 48  # window + step, then the next whitespace


def test_whitespace_free_text_is_held_no_longer_than_the_cap(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(no_toxicity(), max_wait_ms=0)
    settings_ = StreamSettings(window_chars=32, min_release_chars=8, max_hold_chars=128)
    guard = StreamGuard(lambda text: pipeline.scan_text(text, FilterContext()), settings_)

    async def feed() -> int:
        most_held = 0
        for _ in range(100):
            await guard.feed("abcdefgh")
            most_held = max(most_held, guard.held)
        return most_held

    assert asyncio.run(feed()) <= 128 + 8


def test_an_entity_recognised_late_has_its_unreleased_part_replaced() -> None:
    from filters.base import FilterResult, Finding, Replacement
    from filters.decision import TextOutcome

    text = "x" * 40 + " call Maria Gonzalez today " + "y" * 40
    name_start = text.index("Maria")
    scans = 0

    async def scan(region: str) -> TextOutcome:
        # A stand-in NER that sees the name only on its second look (more context arrived).
        nonlocal scans
        scans += 1
        offset = len(text) - len(region) if scans > 1 else None
        if offset is None or offset > name_start:
            return TextOutcome(Action.ALLOW, region, [FilterResult("pii", Action.ALLOW)])
        s, e = name_start - offset, name_start - offset + len("Maria Gonzalez")
        finding = Finding("PERSON", s, e, 0.85, "pii", Action.REDACT)
        return TextOutcome(
            Action.REDACT, None, [FilterResult("pii", Action.REDACT, [finding], [Replacement(s, e, "<PERSON>")])]
        )

    guard = StreamGuard(scan, StreamSettings(window_chars=16, min_release_chars=8, max_hold_chars=64))

    cut = name_start + len("Maria") + 16 + 1  # the first release ends between "Maria" and "Gonzalez"

    async def run() -> list[str]:
        out = [(await guard.feed(text[:cut])).released]
        out.append((await guard.feed(text[cut:])).released)
        out.append((await guard.finish()).released)
        return out

    first, *rest = asyncio.run(run())
    assert first.endswith("call Maria")
    assert "".join(rest).startswith("<PERSON> today")


@st.composite
def text_in_words(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A text as a model streams it: a word (with its leading space) per chunk."""
    text, _ = draw(text_and_chunks())
    words = text.split(" ")
    return text, [words[0], *(" " + word for word in words[1:])]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=text_in_words())
def test_streamed_word_by_word_the_result_equals_the_non_streamed_one(
    span_pipeline: FilterPipeline, case: tuple
) -> None:
    text, chunks = case
    whole = asyncio.run(span_pipeline.scan_text(text, FilterContext(team="t")))
    released, guard = asyncio.run(stream(span_pipeline, chunks))
    assert released == whole.text
    assert guard.action is whole.action


async def releases(pipeline: FilterPipeline, chunks: list[str]) -> list[str]:
    guard = stream_guard(pipeline, FilterContext(team="t"))
    out = [(await guard.feed(chunk)).released for chunk in chunks]
    return [*out, (await guard.finish()).released]


def test_a_short_safe_answer_streams_one_word_behind_the_model(make_pipeline: PipelineFactory) -> None:
    pieces = asyncio.run(releases(make_pipeline(max_wait_ms=0), ["one", " two", " three", " four"]))
    assert pieces == ["", "one ", "two ", "three ", "four"]


def test_a_number_in_progress_is_held_until_it_is_complete(make_pipeline: PipelineFactory) -> None:
    chunks = ["Call", " +1", " (415)", " 555", "-0132", " now", " please"]
    pieces = asyncio.run(releases(make_pipeline(no_toxicity(), max_wait_ms=0), chunks))
    assert "".join(pieces) == "Call <PHONE_NUMBER> now please"
    assert all("415" not in piece and "555" not in piece for piece in pieces)


def test_an_email_in_progress_is_never_released_in_part(make_pipeline: PipelineFactory) -> None:
    chunks = ["Write", " to", " jane", ".doe", "@", "example", ".com", " today", "."]
    pieces = asyncio.run(releases(make_pipeline(no_toxicity(), max_wait_ms=0), chunks))
    assert "".join(pieces) == "Write to <EMAIL_ADDRESS> today."
    assert not any("jane" in piece or "example" in piece for piece in pieces)


def test_the_start_of_a_blocklisted_phrase_is_held_until_it_is_decided(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(no_toxicity(), entries=[BlocklistEntry("project falcon")], max_wait_ms=0)
    pieces = asyncio.run(releases(pipeline, ["The ", "project ", "plan ", "is ", "ready"]))
    assert pieces == ["The ", "", "project plan ", "is ", "", "ready"]
    guard = stream_guard(pipeline, FilterContext(team="t"))

    async def blocked() -> tuple[str, bool]:
        sent = [(await guard.feed(chunk)).released for chunk in ["The", " project", " falcon", " is"]]
        return "".join(sent), guard.blocked

    sent, was_blocked = asyncio.run(blocked())
    assert was_blocked and "project" not in sent
