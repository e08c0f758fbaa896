"""The output pipeline over whole answers: safe defaults, every choice, tool calls, fail modes."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from filters.answer import WITHHELD_MESSAGE, answer_slots, apply_decision
from filters.base import FilterContext, FilterResult
from filters.blocklist import BlocklistEntry
from filters.decision import AnswerDecision
from filters.pipeline import FilterPipeline
from filters.registry import FilterRegistry, default_registry
from gateway.core.types import Action
from tests.filters.helpers import PipelineFactory

pytestmark = pytest.mark.anyio

INSULT = "You are a stupid worthless idiot and everybody hates you."
BORDERLINE = "that presentation was sick"  # profanity-check scores it between the default flag and block levels


def chat(*contents: str, tool_arguments: str | None = None) -> dict[str, Any]:
    choices = []
    for index, content in enumerate(contents):
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_arguments is not None and index == 0:
            message["tool_calls"] = [
                {"id": "call_1", "type": "function", "function": {"name": "send_mail", "arguments": tool_arguments}}
            ]
        choices.append({"index": index, "message": message, "finish_reason": "stop"})
    return {"id": "chatcmpl-1", "object": "chat.completion", "choices": choices}


async def check(pipeline: FilterPipeline, body: dict[str, Any], team: str = "t") -> tuple[AnswerDecision, dict]:
    decision = await pipeline.check_answer(answer_slots(body), FilterContext(team=team, request_id="r1"))
    return decision, apply_decision(body, decision)


async def test_with_no_configuration_pii_is_replaced_by_its_type(make_pipeline: PipelineFactory) -> None:
    decision, out = await check(make_pipeline(), chat("Mail maria@example.com or call +1 (415) 555-0132."))
    assert decision.action is Action.REDACT
    assert out["choices"][0]["message"]["content"] == "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>."


async def test_with_no_configuration_an_insult_is_withheld(make_pipeline: PipelineFactory) -> None:
    decision, out = await check(make_pipeline(), chat(INSULT))
    assert decision.action is Action.BLOCK
    assert out["choices"][0]["finish_reason"] == "content_filter"
    assert out["choices"][0]["message"]["content"] == WITHHELD_MESSAGE


async def test_with_no_configuration_a_borderline_answer_is_delivered_and_flagged(
    make_pipeline: PipelineFactory,
) -> None:
    decision, out = await check(make_pipeline(), chat(BORDERLINE))
    assert decision.action is Action.FLAG
    assert out["choices"][0]["message"]["content"] == BORDERLINE


async def test_with_no_configuration_the_blocklist_is_empty(make_pipeline: PipelineFactory) -> None:
    decision, _ = await check(make_pipeline(), chat("Project Falcon ships next week."))
    assert decision.action is Action.ALLOW


async def test_a_blocklisted_phrase_withholds_the_answer(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(entries=[BlocklistEntry("project falcon")])
    decision, _ = await check(pipeline, chat("Pr0ject  Falcon ships next week."))
    assert decision.action is Action.BLOCK
    assert [f["type"] for f in decision.findings()] == ["blocklist_term"]


async def test_tool_call_arguments_are_redacted_and_stay_valid_json(make_pipeline: PipelineFactory) -> None:
    arguments = json.dumps({"to": "maria@example.com", "body": "Card 4111 1111 1111 1111"})
    decision, out = await check(make_pipeline(), chat("Sending now.", tool_arguments=arguments))
    sent = out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(sent) == {"to": "<EMAIL_ADDRESS>", "body": "Card <CREDIT_CARD>"}
    assert {f["field"] for f in decision.findings()} == {"tool_calls.0.function.arguments"}


async def test_a_blocked_phrase_in_tool_call_arguments_withholds_the_choice(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(entries=[BlocklistEntry("falcon")])
    decision, out = await check(pipeline, chat("Sending now.", tool_arguments='{"subject": "Falcon launch"}'))
    assert decision.action is Action.BLOCK
    assert "tool_calls" not in out["choices"][0]["message"]


async def test_every_choice_is_scanned(make_pipeline: PipelineFactory) -> None:
    decision, out = await check(make_pipeline(), chat("All fine.", "Write to bob@example.com", INSULT))
    assert [c.action for c in decision.choices] == [Action.ALLOW, Action.REDACT, Action.BLOCK]
    assert out["choices"][0]["message"]["content"] == "All fine."
    assert out["choices"][1]["message"]["content"] == "Write to <EMAIL_ADDRESS>"
    assert out["choices"][2]["finish_reason"] == "content_filter"
    assert decision.action is Action.BLOCK


async def test_the_strongest_action_wins_and_redactions_still_apply(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(entries=[BlocklistEntry("merger", action=Action.FLAG)])
    decision, out = await check(pipeline, chat("The merger memo went to bob@example.com"))
    assert decision.action is Action.FLAG
    assert out["choices"][0]["message"]["content"] == "The merger memo went to <EMAIL_ADDRESS>"


async def test_a_team_section_replaces_the_default_section(make_pipeline: PipelineFactory) -> None:
    config = {"teams": {"legal": {"pii": {"entities": {"EMAIL_ADDRESS": "block"}}}}}
    pipeline = make_pipeline(config)
    legal, _ = await check(pipeline, chat("Mail bob@example.com, call 415-555-0132"), team="legal")
    other, _ = await check(pipeline, chat("Mail bob@example.com"), team="sales")
    assert legal.action is Action.BLOCK
    assert [f["type"] for f in legal.findings()] == ["EMAIL_ADDRESS"]  # phones are not in legal's list
    assert other.action is Action.REDACT


async def test_a_team_can_switch_a_filter_off(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline({"teams": {"games": {"toxicity": {"enabled": False}}}})
    decision, _ = await check(pipeline, chat(INSULT), team="games")
    assert decision.action is Action.ALLOW


async def test_verdicts_name_each_filter_that_acted(make_pipeline: PipelineFactory) -> None:
    decision, _ = await check(make_pipeline(), chat(f"{INSULT} Mail bob@example.com"))
    assert {(v.source, v.action) for v in decision.verdicts()} == {
        ("filter:pii", Action.REDACT),
        ("filter:toxicity", Action.BLOCK),
    }


async def test_describe_names_backends_and_thresholds(make_pipeline: PipelineFactory) -> None:
    description = make_pipeline().describe()
    assert description["filters"] == ["pii", "blocklist", "toxicity"]
    assert description["toxicity"]["backend"] == "profanity"  # type: ignore[index]
    assert description["toxicity"]["thresholds"]["profanity"] == {"flag": 0.5, "block": 0.9}  # type: ignore[index]
    assert description["pii"]["mode"] == "patterns"  # type: ignore[index]


class BrokenFilter:
    """A filter whose model fails on every text."""

    spans = True
    inline = False

    def __init__(self, name: str) -> None:
        self.name = name

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        raise RuntimeError("model exploded")

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        return None  # a model: the stream holds its window back

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        raise RuntimeError("model exploded")


class StuckFilter(BrokenFilter):
    """A filter that never answers until released."""

    def __init__(self, name: str, release: threading.Event) -> None:
        super().__init__(name)
        self._release = release

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        self._release.wait()
        return [FilterResult(self.name, Action.ALLOW) for _ in texts]


def with_filter(make_pipeline: PipelineFactory, config: dict[str, Any], name: str, filter_: object) -> FilterPipeline:
    registry = FilterRegistry()
    registry.register(name, lambda c, r: filter_)  # type: ignore[arg-type,return-value]
    return make_pipeline(config, registry=registry)


async def test_a_failing_pii_filter_blocks_by_default(
    make_pipeline: PipelineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = with_filter(make_pipeline, {}, "pii", BrokenFilter("pii"))
    decision, out = await check(pipeline, chat("Mail bob@example.com"))
    assert decision.action is Action.BLOCK
    assert out["choices"][0]["finish_reason"] == "content_filter"
    assert decision.errors()[0]["filter"] == "pii"
    assert "model exploded" in caplog.text
    assert "bob@example.com" not in caplog.text  # the incident is logged, the text is not


class InlineBrokenFilter(BrokenFilter):
    """A failing filter that runs on the event loop, as the cheap ones do."""

    inline = True


async def test_a_failing_inline_filter_blocks_by_default(make_pipeline: PipelineFactory) -> None:
    pipeline = with_filter(make_pipeline, {}, "pii", InlineBrokenFilter("pii"))
    decision, out = await check(pipeline, chat("Mail bob@example.com"))
    assert decision.action is Action.BLOCK
    assert out["choices"][0]["finish_reason"] == "content_filter"
    assert decision.errors()[0]["filter"] == "pii"


async def test_a_failing_toxicity_filter_passes_by_default_and_is_logged(
    make_pipeline: PipelineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pipeline = with_filter(make_pipeline, {}, "toxicity", BrokenFilter("toxicity"))
    decision, _ = await check(pipeline, chat("Hello there"))
    assert decision.action is Action.ALLOW
    assert decision.errors()[0]["filter"] == "toxicity"
    assert "fail mode pass" in caplog.text


async def test_fail_mode_block_can_be_set_for_toxicity(make_pipeline: PipelineFactory) -> None:
    config = {"defaults": {"toxicity": {"fail_mode": "block"}}}
    pipeline = with_filter(make_pipeline, config, "toxicity", BrokenFilter("toxicity"))
    decision, _ = await check(pipeline, chat("Hello there"))
    assert decision.action is Action.BLOCK


async def test_a_filter_timeout_blocks_under_fail_mode_block(make_pipeline: PipelineFactory) -> None:
    release = threading.Event()
    config = {"defaults": {"pii": {"timeout_seconds": 0.05}}}
    pipeline = with_filter(make_pipeline, config, "pii", StuckFilter("pii", release))
    try:
        decision, _ = await check(pipeline, chat("Mail bob@example.com"))
    finally:
        release.set()
    assert decision.action is Action.BLOCK
    assert "FilterTimeout" in str(decision.errors()[0]["error"])


async def test_a_filter_timeout_passes_under_fail_mode_pass(make_pipeline: PipelineFactory) -> None:
    release = threading.Event()
    config = {"defaults": {"pii": {"timeout_seconds": 0.05, "fail_mode": "pass"}}}
    pipeline = with_filter(make_pipeline, config, "pii", StuckFilter("pii", release))
    try:
        decision, out = await check(pipeline, chat("Mail bob@example.com"))
    finally:
        release.set()
    assert decision.action is Action.ALLOW
    assert out["choices"][0]["message"]["content"] == "Mail bob@example.com"


def test_the_default_registry_runs_span_filters_before_the_classifier() -> None:
    assert default_registry().names() == ["pii", "blocklist", "toxicity"]
