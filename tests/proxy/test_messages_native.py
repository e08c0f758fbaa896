"""Native passthrough of Anthropic's Messages API: the official anthropic SDK against a gateway
process whose `claude-*` models are Anthropic-speaking deployments of the mock upstream. The
caller's request reaches the provider as a Messages request; the governance is the translated
path's, the same filters, hold-back, review items and ledger rows."""

from __future__ import annotations

import json
from typing import Any, Literal

import anthropic
import httpx
import pytest

from tests.helpers.gateway_api import Ledger
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import Received, RunningMockUpstream
from tests.helpers.servers import PROVIDER_SECRET

EMAIL = "jane.doe@example.com"
ADMIN = {"Authorization": "Bearer admin-test-key"}
UPSTREAM_MODEL = "claude-3-5-haiku-20241022"


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("native-messages-team")


@pytest.fixture(scope="module")
def claude(sqlite_gateway: GatewayProcess, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sqlite_gateway.root_url, api_key=key, max_retries=0, timeout=30)


def _ask(claude: anthropic.Anthropic, text: str, model: str = "claude-test", **extra: Any) -> anthropic.types.Message:
    return claude.messages.create(model=model, max_tokens=200, messages=[{"role": "user", "content": text}], **extra)


def _last_messages_call(mock_upstream: RunningMockUpstream, model: str = UPSTREAM_MODEL) -> Received:
    return next(
        r
        for r in reversed(mock_upstream.mock.state.requests)
        if r.path == "/v1/messages" and r.body.get("model") == model
    )


def test_the_callers_request_reaches_the_provider_as_sent(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream
) -> None:
    system: list[anthropic.types.TextBlockParam] = [
        {"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}
    ]
    message = _ask(claude, "hello native", system=system, top_k=5, metadata={"user_id": "u-42"})
    sent = _last_messages_call(mock_upstream)
    headers = {name.lower(): value for name, value in sent.headers.items()}
    assert sent.body["system"] == system  # the blocks and their cache_control, not a chat system turn
    assert sent.body["messages"] == [{"role": "user", "content": "hello native"}]
    assert (sent.body["top_k"], sent.body["metadata"], sent.body["max_tokens"]) == (5, {"user_id": "u-42"}, 200)
    assert headers["x-api-key"] == PROVIDER_SECRET and headers["anthropic-version"] == "2023-06-01"
    assert message.model == "claude-test" and message.id == "msg_mockupstream"
    assert message.content[0].text == "Mock answer: hello native"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0


def test_inference_geo_reaches_a_native_provider_and_a_chat_model_refuses_it(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream
) -> None:
    """Where the model runs is a promise only a provider that speaks Messages can keep: a chat
    upstream would drop it, so the request is refused rather than sent without it."""
    _ask(claude, "where do you run", inference_geo="us")
    assert _last_messages_call(mock_upstream).body["inference_geo"] == "us"
    before = len(mock_upstream.mock.state.requests)
    for model in ("claude-translated", "gpt-test"):
        with pytest.raises(anthropic.BadRequestError) as refused:
            _ask(claude, "where do you run", model=model, inference_geo="us")
        assert refused.value.body["error"] == {  # type: ignore[index]
            "type": "invalid_request_error",
            "message": "Unsupported parameter: 'inference_geo' is not supported with this model.",
        }
    assert len(mock_upstream.mock.state.requests) == before


def test_a_translated_deployment_still_goes_through_litellm(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream
) -> None:
    message = _ask(claude, "hello translated", model="claude-translated", system="You are terse.")
    sent = _last_messages_call(mock_upstream)
    assert sent.body["messages"][-1]["content"] != "hello translated"  # litellm wrote it as blocks
    assert message.content[0].text == "Mock answer: hello translated"  # type: ignore[union-attr]


def test_a_native_stream_has_anthropics_events(claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream) -> None:
    with claude.messages.stream(
        model="claude-test", max_tokens=200, messages=[{"role": "user", "content": "stream me natively"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert _last_messages_call(mock_upstream).body["stream"] is True
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds and "message_delta" in kinds
    assert final.content[0].text == "Mock answer: stream me natively"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


@pytest.mark.parametrize("streamed", [False, True])
def test_a_native_tool_use_round_trips(claude: anthropic.Anthropic, streamed: bool) -> None:
    tools: list[anthropic.types.ToolParam] = [{"name": "lookup", "input_schema": {"type": "object"}}]
    request: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 200,
        "tools": tools,
        "messages": [{"role": "user", "content": "define gateway"}],
    }
    if streamed:
        with claude.messages.stream(**request) as stream:
            first = stream.get_final_message()
    else:
        first = claude.messages.create(**request)
    use = first.content[0]
    assert first.stop_reason == "tool_use"
    assert use.type == "tool_use" and use.id == "toolu_mock" and use.input == {"input": "define gateway"}
    second = claude.messages.create(
        model="claude-test",
        max_tokens=200,
        tools=tools,
        tool_choice={"type": "none"},
        messages=[
            {"role": "user", "content": "define gateway"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": use.id, "name": use.name, "input": {}}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": use.id, "content": "a door"},
                    {"type": "text", "text": "now say it"},
                ],
            },
        ],
    )
    assert second.content[0].text == "Mock answer: now say it"  # type: ignore[union-attr]


def test_pii_split_across_native_events_never_leaks(claude: anthropic.Anthropic) -> None:
    prompt = "padding " * 30 + f"reach me at {EMAIL} " + "more padding " * 10
    plain = _ask(claude, prompt).content[0].text  # type: ignore[union-attr]
    with claude.messages.stream(
        model="claude-test", max_tokens=200, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        deltas = [e.delta.text for e in stream if e.type == "content_block_delta" and e.delta.type == "text_delta"]
    assert EMAIL not in plain and "<EMAIL_ADDRESS>" in plain
    assert all(EMAIL not in "".join(deltas[:i]) for i in range(len(deltas) + 1))
    assert "".join(deltas) == plain


def test_a_withheld_native_answer_is_a_refusal_with_its_review(
    claude: anthropic.Anthropic, sqlite_gateway: GatewayProcess
) -> None:
    raw = claude.messages.with_raw_response.create(
        model="claude-test", max_tokens=200, messages=[{"role": "user", "content": "you are a fucking idiot"}]
    )
    message = raw.parse()
    assert message.stop_reason == "refusal"
    assert "idiot" not in json.dumps(message.model_dump())
    item = httpx.get(
        f"{sqlite_gateway.root_url}/admin/api/review/{raw.headers['x-gateway-review-id']}", headers=ADMIN
    ).json()
    assert item["action"] == "block" and "idiot" in item["original"]
    with claude.messages.stream(
        model="claude-test", max_tokens=200, messages=[{"role": "user", "content": "you are a fucking idiot"}]
    ) as stream:
        events = list(stream)
    final_delta = next(e for e in events if e.type == "message_delta")
    assert final_delta.delta.stop_reason == "refusal"
    assert (final_delta.model_extra or {}).get("gateway_review_id", "").startswith("rev_")
    assert "idiot" not in "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


@pytest.mark.parametrize("streamed", [False, True])
def test_each_native_message_writes_a_ledger_row_with_tokens_and_cost(
    sqlite_gateway: GatewayProcess, claude: anthropic.Anthropic, streamed: bool
) -> None:
    request: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "count me in the books"}],
    }
    if streamed:
        with claude.messages.with_streaming_response.create(**request, stream=True) as raw:
            request_id = raw.headers["x-request-id"]
            raw.read()
    else:
        raw_plain = claude.messages.with_raw_response.create(**request)
        request_id = raw_plain.headers["x-request-id"]
    ledger = Ledger(sqlite_gateway.config["database_url"])
    try:
        row = ledger.row(request_id)
    finally:
        ledger.close()
    assert row.endpoint == "messages" and row.requested_model == "claude-test" and row.status_code == 200
    assert row.team_name == "native-messages-team" and row.streamed is streamed
    assert row.prompt_tokens > 0 and row.completion_tokens == len("Mock answer: count me in the books".split())
    assert row.cost_nanos == row.prompt_tokens * 800 + row.completion_tokens * 4000  # the configured prices


def test_a_providers_refusal_comes_in_anthropics_format_without_its_text(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        _ask(claude, "hi", model="claude-leaky")
    body = json.dumps(refused.value.body)
    assert refused.value.body["type"] == "error"  # type: ignore[index]
    assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert PROVIDER_SECRET not in body and "10.1.2.3" not in body
    with pytest.raises(anthropic.InternalServerError) as failed:
        _ask(claude, "hi", model="claude-broken")
    assert failed.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    assert "exploded" not in json.dumps(failed.value.body)


def test_a_native_stream_that_fails_ends_with_our_error_event(sqlite_gateway: GatewayProcess, key: str) -> None:
    body = {
        "model": "claude-error-stream",
        "max_tokens": 50,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    response = httpx.post(f"{sqlite_gateway.root_url}/v1/messages", json=body, headers={"x-api-key": key}, timeout=30)
    assert response.status_code == 200
    assert b"event: error" in response.content and b"message_stop" not in response.content
    assert PROVIDER_SECRET.encode() not in response.content and b"overloaded for key" not in response.content


def _thinking_turn(claude: anthropic.Anthropic, streamed: bool, **request: Any) -> anthropic.types.Message:
    if streamed:
        with claude.messages.stream(**request) as stream:
            return stream.get_final_message()
    return claude.messages.create(**request)


@pytest.mark.parametrize("display", ["omitted", "summarized"])
@pytest.mark.parametrize("streamed", [False, True])
def test_a_thinking_block_comes_as_it_came_and_carries_a_tool_use_on(
    claude: anthropic.Anthropic,
    mock_upstream: RunningMockUpstream,
    streamed: bool,
    display: Literal["omitted", "summarized"],
) -> None:
    """The provider refuses a tool use's next turn without its thinking block, or with it changed;
    the mock thinks aloud by repeating the question, unless its text is left out (`omitted`)."""
    tools: list[anthropic.types.ToolParam] = [{"name": "lookup", "input_schema": {"type": "object"}}]
    thinking: anthropic.types.ThinkingConfigParam = {"type": "adaptive", "display": display}
    question: anthropic.types.MessageParam = {"role": "user", "content": "define gateway"}
    request: dict[str, Any] = {"model": "claude-test", "max_tokens": 2000, "tools": tools, "thinking": thinking}
    first = _thinking_turn(claude, streamed, **request, messages=[question])
    assert [block.type for block in first.content] == ["thinking", "tool_use"]
    thought = first.content[0]
    assert thought.type == "thinking" and thought.signature.startswith("sig-")
    assert thought.thinking == ("" if display == "omitted" else "Thinking over: define gateway")
    answered: list[anthropic.types.MessageParam] = [
        question,
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},  # type: ignore[misc]
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_mock", "content": "a door"}]},
    ]
    second = _thinking_turn(claude, streamed, **{**request, "tool_choice": {"type": "none"}}, messages=answered)
    assert second.stop_reason == "end_turn"
    sent = _last_messages_call(mock_upstream).body["messages"][1]["content"][0]
    assert sent == {"type": "thinking", "thinking": thought.thinking, "signature": thought.signature}


@pytest.mark.parametrize("streamed", [False, True])
def test_thinking_the_filters_would_change_is_left_out(
    sqlite_gateway: GatewayProcess, key: str, streamed: bool
) -> None:
    """The mock's thinking repeats the question, e-mail address and all: a redacted thinking block
    would be refused by the provider on the next turn, so it does not go on at all."""
    body = {
        "model": "claude-test",
        "max_tokens": 2000,
        "stream": streamed,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": f"write to {EMAIL}"}],
    }
    answer = httpx.post(f"{sqlite_gateway.root_url}/v1/messages", json=body, headers={"x-api-key": key}, timeout=30)
    assert answer.status_code == 200
    assert EMAIL not in answer.text and "Thinking over" not in answer.text
    assert "<EMAIL_ADDRESS>" in answer.text and '"thinking"' not in answer.text
