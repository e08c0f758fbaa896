"""Anthropic's Messages API end to end: the official anthropic SDK pointed at a gateway process
with a gateway key in `x-api-key`, against the mock upstream, on the fast path (an OpenAI-speaking
model, translated) and through litellm to an Anthropic-speaking one. Governance is the chat path's:
filters, reviews, policies, the ledger."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from tests.helpers.gateway_api import Ledger
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream

EMAIL = "jane.doe@example.com"
ADMIN = {"Authorization": "Bearer admin-test-key"}


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("messages-team")


@pytest.fixture(scope="module")
def claude(sqlite_gateway: GatewayProcess, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sqlite_gateway.root_url, api_key=key, max_retries=0, timeout=30)


def _ask(claude: anthropic.Anthropic, text: str, model: str = "gpt-test", **extra: Any) -> anthropic.types.Message:
    return claude.messages.create(model=model, max_tokens=200, messages=[{"role": "user", "content": text}], **extra)


@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
def test_a_plain_message_with_a_system_prompt(claude: anthropic.Anthropic, model: str) -> None:
    message = _ask(claude, "hello there", model=model, system="You are terse.")
    assert message.type == "message" and message.role == "assistant" and message.model == model
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Mock answer: hello there"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
def test_a_stop_sequence_is_reported_as_the_one_that_ended_the_answer(
    claude: anthropic.Anthropic, model: str, streamed: bool
) -> None:
    """gpt-test's upstream names the stop in the choice as vLLM does; claude-test's speaks Messages."""
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": 200,
        "stop_sequences": ["never", "quarter"],
        "messages": [{"role": "user", "content": "the quarter closed"}],
    }
    if streamed:
        with claude.messages.stream(**request) as stream:
            message = stream.get_final_message()
    else:
        message = claude.messages.create(**request)
    assert message.content[0].text == "Mock answer: the "  # type: ignore[union-attr]
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "quarter")
    plain = _ask(claude, "no stop here", model=model, stop_sequences=["quarter"])
    assert (plain.stop_reason, plain.stop_sequence) == ("end_turn", None)


def test_multi_turn_with_a_tool_use_and_its_result(claude: anthropic.Anthropic, sqlite_gateway: GatewayProcess) -> None:
    tools: list[anthropic.types.ToolParam] = [
        {"name": "lookup", "description": "Look a word up.", "input_schema": {"type": "object", "properties": {}}}
    ]
    first = claude.messages.create(
        model="gpt-test", max_tokens=200, tools=tools, messages=[{"role": "user", "content": "define gateway"}]
    )
    assert first.stop_reason == "tool_use"
    use = first.content[0]
    assert use.type == "tool_use" and use.name == "lookup" and use.input == {"input": "define gateway"}
    second = claude.messages.create(
        model="gpt-test",
        max_tokens=200,
        tools=tools,
        tool_choice={"type": "none"},
        messages=[
            {"role": "user", "content": "define gateway"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": use.id, "content": "a door"},
                    {"type": "text", "text": "now say it"},
                ],
            },
        ],
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "Mock answer: now say it"  # type: ignore[union-attr]


def test_a_streamed_message_has_anthropics_events(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(
        model="gpt-test", max_tokens=200, messages=[{"role": "user", "content": "stream me some words"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_delta" in kinds and "message_delta" in kinds
    assert final.content[0].text == "Mock answer: stream me some words"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


def test_a_streamed_tool_use_arrives_as_input_json(claude: anthropic.Anthropic) -> None:
    tools: list[anthropic.types.ToolParam] = [{"name": "lookup", "input_schema": {"type": "object"}}]
    with claude.messages.stream(
        model="gpt-test", max_tokens=200, tools=tools, messages=[{"role": "user", "content": "define proxy"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "tool_use" and final.content[0].input == {"input": "define proxy"}


def test_pii_is_redacted_plain_and_streamed(claude: anthropic.Anthropic) -> None:
    prompt = "padding " * 30 + f"reach me at {EMAIL} " + "more padding " * 10
    plain = _ask(claude, prompt).content[0].text  # type: ignore[union-attr]
    with claude.messages.stream(
        model="gpt-test", max_tokens=200, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        deltas = [e.delta.text for e in stream if e.type == "content_block_delta" and e.delta.type == "text_delta"]
    assert EMAIL not in plain and "<EMAIL_ADDRESS>" in plain
    assert all(EMAIL not in "".join(deltas[:i]) for i in range(len(deltas) + 1))
    assert "".join(deltas) == plain


def test_a_reasoning_models_text_is_a_screened_thinking_block_plain_and_streamed(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream
) -> None:
    """The mock's `reasoning_content` repeats the question, e-mail address and all, streamed in
    slices that split the address; the gateway's thinking block is unsigned and goes back as
    nothing to a chat upstream."""
    plain = _ask(claude, f"write to {EMAIL}", model="reasoning")
    assert [block.type for block in plain.content] == ["thinking", "text"]
    thought = plain.content[0]
    assert thought.type == "thinking" and thought.signature == ""
    assert thought.thinking == "Thinking over: write to <EMAIL_ADDRESS>"
    with claude.messages.stream(
        model="reasoning", max_tokens=200, messages=[{"role": "user", "content": f"write to {EMAIL}"}]
    ) as stream:
        events = list(stream)
        streamed = stream.get_final_message()
    assert not any(EMAIL in event.model_dump_json() for event in events)
    deltas = [e.delta.thinking for e in events if e.type == "content_block_delta" and e.delta.type == "thinking_delta"]
    assert len(deltas) > 1 and "".join(deltas) == thought.thinking
    assert [block.model_dump(exclude={"parsed_output"}) for block in streamed.content] == [
        block.model_dump() for block in plain.content
    ]
    follow_up = claude.messages.create(
        model="reasoning",
        max_tokens=200,
        messages=[
            {"role": "user", "content": f"write to {EMAIL}"},
            {"role": "assistant", "content": [block.model_dump() for block in plain.content]},  # type: ignore[misc]
            {"role": "user", "content": "and then?"},
        ],
    )
    assert follow_up.content[-1].type == "text"
    sent = next(
        r.body
        for r in reversed(mock_upstream.mock.state.requests)
        if r.path == "/v1/chat/completions" and r.body["messages"][-1]["content"] == "and then?"
    )
    assert sent["messages"][1] == {"role": "assistant", "content": "Mock answer: write to <EMAIL_ADDRESS>"}


def test_a_withheld_answer_is_a_refusal_with_its_review(
    claude: anthropic.Anthropic, sqlite_gateway: GatewayProcess
) -> None:
    raw = claude.messages.with_raw_response.create(
        model="gpt-test", max_tokens=200, messages=[{"role": "user", "content": "you are a fucking idiot"}]
    )
    message = raw.parse()
    assert message.stop_reason == "refusal"
    assert "idiot" not in json.dumps(message.model_dump())
    review_id = raw.headers["x-gateway-review-id"]
    item = httpx.get(f"{sqlite_gateway.root_url}/admin/api/review/{review_id}", headers=ADMIN).json()
    assert item["action"] == "block" and "idiot" in item["original"]
    with claude.messages.stream(
        model="gpt-test", max_tokens=200, messages=[{"role": "user", "content": "you are a fucking idiot"}]
    ) as stream:
        events = list(stream)
    final_delta = next(e for e in events if e.type == "message_delta")
    assert final_delta.delta.stop_reason == "refusal"
    assert (final_delta.model_extra or {}).get("gateway_review_id", "").startswith("rev_")
    assert all(
        "idiot" not in e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


def test_errors_come_in_anthropics_format(sqlite_gateway: GatewayProcess, claude: anthropic.Anthropic) -> None:
    stranger = anthropic.Anthropic(base_url=sqlite_gateway.root_url, api_key="sk-gw-nope", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as denied:
        _ask(stranger, "hi")
    assert denied.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError) as unknown:
        claude.messages.create(
            model="gpt-test",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"api_base": "http://attacker.example"},
        )
    assert unknown.value.body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Unknown parameter: 'api_base'."},
    }
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        claude.messages.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}], max_tokens=0)
    with pytest.raises(anthropic.NotFoundError):
        _ask(claude, "hi", model="no-such-model")


def test_the_teams_policy_applies_before_the_call(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="credential") as blocked:
        _ask(claude, "my key is AKIAABCDEFGHIJKLMNOP, use it")
    assert blocked.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError, match="64000"):
        claude.messages.create(model="gpt-test", max_tokens=70_000, messages=[{"role": "user", "content": "hi"}])


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    short = claude.messages.count_tokens(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    longer = claude.messages.count_tokens(
        model="gpt-test", system="You are terse.", messages=[{"role": "user", "content": "hi " * 50}]
    )
    assert 0 < short.input_tokens < longer.input_tokens


def test_each_message_writes_a_ledger_row(sqlite_gateway: GatewayProcess, claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(
        model="gpt-test", max_tokens=50, messages=[{"role": "user", "content": "count me in the books"}]
    )
    message = raw.parse()
    ledger = Ledger(sqlite_gateway.config["database_url"])
    try:
        row = ledger.row(raw.headers["x-request-id"])
    finally:
        ledger.close()
    assert row.endpoint == "messages" and row.requested_model == "gpt-test" and row.status_code == 200
    assert row.team_name == "messages-team"
    assert (row.prompt_tokens, row.completion_tokens) == (message.usage.input_tokens, message.usage.output_tokens)
