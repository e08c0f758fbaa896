"""Native passthrough of OpenAI's Responses API: the official openai SDK against a gateway process
whose `gpt-native*` models are Responses-speaking deployments of the mock upstream. The caller's
request reaches the provider as a Responses request (with `store: false`); the governance is the
translated path's, the same filters, hold-back, review items and ledger rows."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers.gateway_api import Ledger
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import Received, RunningMockUpstream
from tests.helpers.openai_schema import RESPONSE, problems
from tests.helpers.servers import PROVIDER_SECRET

EMAIL = "jane.doe@example.com"
ADMIN = {"Authorization": "Bearer admin-test-key"}
UPSTREAM_MODEL = "gpt-4o-mini"
TOOLS: list[Any] = [
    {"type": "function", "name": "lookup", "description": "Look a word up.", "parameters": {"type": "object"}}
]


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("native-responses-team")


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=30)


def _streamed(client: OpenAI, **request: Any) -> list[Any]:
    with client.responses.create(stream=True, **request) as stream:
        return list(stream)


def _last_responses_call(mock_upstream: RunningMockUpstream) -> Received:
    return next(
        r
        for r in reversed(mock_upstream.mock.state.requests)
        if r.path == "/v1/responses" and r.body.get("model") == UPSTREAM_MODEL
    )


def test_the_callers_request_reaches_the_provider_as_sent(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    raw = client.responses.with_raw_response.create(
        model="gpt-native",
        instructions="Be terse.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "hello native"}]}],
        truncation="auto",
        metadata={"ticket": "t-42"},
    )
    response = raw.parse()
    sent = _last_responses_call(mock_upstream)
    headers = {name.lower(): value for name, value in sent.headers.items()}
    assert sent.body["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "hello native"}]}]
    assert (sent.body["instructions"], sent.body["truncation"], sent.body["metadata"]) == (
        "Be terse.",
        "auto",
        {"ticket": "t-42"},
    )
    assert sent.body["store"] is False and sent.body["stream"] is False  # the gateway keeps the response
    assert headers["authorization"] == f"Bearer {PROVIDER_SECRET}"
    assert problems(RESPONSE, raw.http_response.json()) == []
    assert response.model == "gpt-native" and response.id != "resp_mockupstream"  # the gateway's own id
    assert response.output_text == "Mock answer: hello native" and response.status == "completed"
    assert response.usage is not None and response.usage.output_tokens == 4


def test_a_translated_deployment_is_still_asked_in_chat(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    response = client.responses.create(model="gpt-test", input="hello translated")
    sent = mock_upstream.mock.state.requests[-1]
    assert sent.path == "/v1/chat/completions" and sent.body["messages"][-1]["content"] == "hello translated"
    assert response.output_text == "Mock answer: hello translated"


# What the SDK types for caching, built-in tool limits, compaction and the tool choice.
CACHING_AND_LIMITS: dict[str, Any] = {
    "prompt_cache_key": "team-a",
    "prompt_cache_retention": "in_memory",
    "prompt_cache_options": {"mode": "implicit", "ttl": "30m"},
    "max_tool_calls": 2,
    "context_management": [{"type": "compaction", "compact_threshold": 200_000}],
    "tools": [{"type": "custom", "name": "apply_patch", "description": "Edit files."}],
    "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": [{"type": "custom", "name": "apply_patch"}]},
}


def test_caching_limits_and_compaction_reach_a_native_provider_as_sent(
    client: OpenAI, mock_upstream: RunningMockUpstream
) -> None:
    response = client.responses.create(model="gpt-native", input="keep it cached", **CACHING_AND_LIMITS)
    sent = _last_responses_call(mock_upstream).body
    assert {name: sent[name] for name in CACHING_AND_LIMITS} == CACHING_AND_LIMITS
    assert [(item.type, getattr(item, "name", None)) for item in response.output] == [
        ("custom_tool_call", "apply_patch")
    ]


def test_a_chat_model_gets_the_caching_fields_and_not_the_built_in_ones(
    client: OpenAI, mock_upstream: RunningMockUpstream
) -> None:
    client.responses.create(model="gpt-test", input="keep it cached in chat", **CACHING_AND_LIMITS)
    sent = mock_upstream.mock.state.requests[-1].body
    assert (sent["prompt_cache_retention"], sent["prompt_cache_options"]) == (
        "in_memory",
        CACHING_AND_LIMITS["prompt_cache_options"],
    )
    assert sent["tool_choice"] == {
        "type": "allowed_tools",
        "allowed_tools": {"mode": "auto", "tools": [{"type": "function", "function": {"name": "apply_patch"}}]},
    }
    assert "max_tool_calls" not in sent and "context_management" not in sent


def test_a_native_stream_has_the_responses_events(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    events = _streamed(client, model="gpt-native", input="stream me natively")
    assert _last_responses_call(mock_upstream).body["stream"] is True
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds
    final = events[-1].response
    assert final.output_text == "Mock answer: stream me natively"
    assert final.usage is not None and final.usage.output_tokens == 5


@pytest.mark.parametrize("streamed", [False, True])
def test_a_native_function_call_round_trips(client: OpenAI, mock_upstream: RunningMockUpstream, streamed: bool) -> None:
    if streamed:
        first = _streamed(client, model="gpt-native", input="define gateway", tools=TOOLS)[-1].response
    else:
        first = client.responses.create(model="gpt-native", input="define gateway", tools=TOOLS)
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup" and call.call_id == "call_mock"
    assert json.loads(call.arguments) == {"input": "define gateway"}
    outputs: list[Any] = [
        {"role": "user", "content": "define gateway"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": "a door"},
        {"role": "user", "content": "now say it"},
    ]
    second = client.responses.create(model="gpt-native", tools=TOOLS, tool_choice="none", input=outputs)
    assert _last_responses_call(mock_upstream).body["input"] == outputs
    assert second.output_text == "Mock answer: now say it"


def test_previous_response_id_sends_the_stored_conversation(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    first = client.responses.create(model="gpt-native", input="my name is Ada")
    second = client.responses.create(model="gpt-native", input="what is my name?", previous_response_id=first.id)
    sent = _last_responses_call(mock_upstream).body
    assert "previous_response_id" not in sent
    assert sent["input"] == [
        {"role": "user", "content": "my name is Ada"},
        {"role": "assistant", "content": "Mock answer: my name is Ada"},
        {"role": "user", "content": "what is my name?"},
    ]
    assert second.previous_response_id == first.id
    streamed = _streamed(client, model="gpt-native", input="and again?", previous_response_id=second.id)
    latest = streamed[-1].response.id
    third = client.responses.create(model="gpt-native", input="once more", previous_response_id=latest)
    assert len(_last_responses_call(mock_upstream).body["input"]) == 7 and third.status == "completed"


def test_pii_split_across_native_events_never_leaks(client: OpenAI) -> None:
    prompt = "padding " * 30 + f"reach me at {EMAIL} " + "more padding " * 10
    plain = client.responses.create(model="gpt-native", input=prompt).output_text
    events = _streamed(client, model="gpt-native", input=prompt)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert EMAIL not in plain and "<EMAIL_ADDRESS>" in plain
    assert all(EMAIL not in "".join(deltas[:i]) for i in range(len(deltas) + 1))
    assert "".join(deltas) == plain


def test_a_withheld_native_answer_is_incomplete_with_its_review(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-native", input="you are a fucking idiot")
    response = raw.parse()
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "content_filter"
    assert "idiot" not in response.output_text
    item = httpx.get(
        f"{sqlite_gateway.root_url}/admin/api/review/{raw.headers['x-gateway-review-id']}", headers=ADMIN
    ).json()
    assert item["action"] == "block" and "idiot" in item["original"]
    events = _streamed(client, model="gpt-native", input="you are a fucking idiot")
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "content_filter"
    assert (events[-1].response.model_extra or {}).get("gateway_review_id", "").startswith("rev_")
    assert all("idiot" not in e.delta for e in events if e.type == "response.output_text.delta")


@pytest.mark.parametrize("streamed", [False, True])
def test_each_native_response_writes_a_ledger_row_with_tokens_and_cost(
    sqlite_gateway: GatewayProcess, client: OpenAI, streamed: bool
) -> None:
    if streamed:
        with client.responses.with_streaming_response.create(
            model="gpt-native", input="count me in the books", stream=True
        ) as raw:
            request_id = raw.headers["x-request-id"]
            raw.read()
    else:
        plain = client.responses.with_raw_response.create(model="gpt-native", input="count me in the books")
        request_id = plain.headers["x-request-id"]
    ledger = Ledger(sqlite_gateway.config["database_url"])
    try:
        row = ledger.row(request_id)
    finally:
        ledger.close()
    assert row.endpoint == "responses" and row.requested_model == "gpt-native" and row.status_code == 200
    assert row.team_name == "native-responses-team" and row.streamed is streamed
    assert row.prompt_tokens > 0 and row.completion_tokens == len("Mock answer: count me in the books".split())
    assert row.cost_nanos == row.prompt_tokens * 500 + row.completion_tokens * 2000  # the configured prices


@pytest.mark.parametrize("streamed", [False, True])
def test_a_models_refusal_part_reaches_the_caller_as_one(client: OpenAI, streamed: bool) -> None:
    if streamed:
        events = _streamed(client, model="gpt-native-refusing", input="help me with something bad")
        kinds = [event.type for event in events]
        assert "response.refusal.delta" in kinds and "response.refusal.done" in kinds
        response = events[-1].response
    else:
        response = client.responses.create(model="gpt-native-refusing", input="help me with something bad")
    assert response.status == "completed"
    (item,) = response.output
    assert item.type == "message"
    assert [part.model_dump() for part in item.content] == [{"type": "refusal", "refusal": "I can't help with that."}]
    assert problems(RESPONSE, response.model_dump(mode="json")) == []


REASONED: dict[str, Any] = {
    "reasoning": {"effort": "low", "summary": "auto"},
    "include": ["reasoning.encrypted_content"],
    "store": False,
}


@pytest.mark.parametrize("streamed", [False, True])
def test_a_reasoning_item_is_relayed_sealed_and_goes_back_as_sent(
    client: OpenAI, mock_upstream: RunningMockUpstream, streamed: bool
) -> None:
    if streamed:
        events = _streamed(client, model="gpt-native", input="think first", **REASONED)
        response = events[-1].response
        added = [(e.output_index, e.item.type) for e in events if e.type == "response.output_item.added"]
        assert added == [(0, "reasoning"), (1, "message")]
    else:
        response = client.responses.create(model="gpt-native", input="think first", **REASONED)
    thought, answer = response.output
    assert thought.type == "reasoning" and thought.id == "rs_mock"
    assert thought.encrypted_content == "gAAAA-sealed-by-the-provider"
    assert [(part.type, part.text) for part in thought.summary] == [("summary_text", "The user asked: think first")]
    assert answer.type == "message" and response.output_text == "Mock answer: think first"
    assert problems(RESPONSE, response.model_dump(mode="json")) == []

    # A client that keeps no state sends the item back; the provider gets it as it was made.
    item = thought.model_dump(exclude_none=True)
    again = [{"role": "user", "content": "think first"}, item, {"role": "user", "content": "and then?"}]
    client.responses.create(model="gpt-native", input=again, **REASONED)
    assert _last_responses_call(mock_upstream).body["input"][1] == item


@pytest.mark.parametrize("streamed", [False, True])
def test_a_reasoning_summary_is_screened_before_it_is_relayed(client: OpenAI, streamed: bool) -> None:
    asked = f"write to {EMAIL} please"
    said = "The user asked: write to <EMAIL_ADDRESS> please"
    if streamed:
        events = _streamed(client, model="gpt-native", input=asked, **REASONED)
        assert not any(EMAIL in event.model_dump_json() for event in events)
        summary_events = [
            (e.type, e.output_index, e.summary_index, getattr(e, "delta", None) or getattr(e, "text", None))
            for e in events
            if e.type.startswith("response.reasoning_summary_text.")
        ]
        assert summary_events == [
            ("response.reasoning_summary_text.delta", 0, 0, said),
            ("response.reasoning_summary_text.done", 0, 0, said),
        ]
        parts = [e.type for e in events if e.type.startswith("response.reasoning_summary_part.")]
        assert parts == ["response.reasoning_summary_part.added", "response.reasoning_summary_part.done"]
        response = events[-1].response
    else:
        raw = client.responses.with_raw_response.create(model="gpt-native", input=asked, **REASONED)
        assert EMAIL not in raw.http_response.text
        assert problems(RESPONSE, raw.http_response.json()) == []
        response = raw.parse()
    assert [part.text for part in response.output[0].summary] == [said]
    assert response.output_text == "Mock answer: write to <EMAIL_ADDRESS> please"


@pytest.mark.parametrize("streamed", [False, True])
def test_a_continued_response_sends_its_reasoning_back_to_the_provider_only(
    client: OpenAI, mock_upstream: RunningMockUpstream, streamed: bool
) -> None:
    reasoned = {**REASONED, "store": True}
    if streamed:
        first = _streamed(client, model="gpt-native", input="think first", **reasoned)[-1].response
    else:
        first = client.responses.create(model="gpt-native", input="think first", **reasoned)
    thought = first.output[0].model_dump(exclude_none=True)
    assert thought["type"] == "reasoning" and thought["encrypted_content"] == "gAAAA-sealed-by-the-provider"

    second = client.responses.create(model="gpt-native", input="and then?", previous_response_id=first.id)
    assert _last_responses_call(mock_upstream).body["input"] == [
        {"role": "user", "content": "think first"},
        thought,
        {"role": "assistant", "content": "Mock answer: think first"},
        {"role": "user", "content": "and then?"},
    ]
    # A chat model continuing the same conversation gets the chat turns alone.
    third = client.responses.create(model="gpt-test", input="in short?", previous_response_id=second.id)
    assert third.output_text == "Mock answer: in short?"
    sent = next(r for r in reversed(mock_upstream.mock.state.requests) if r.path.endswith("/chat/completions"))
    assert [sorted(message) for message in sent.body["messages"]] == [["content", "role"]] * 5


def test_reasoning_items_a_client_sent_are_kept_with_the_turn_they_precede(
    client: OpenAI, mock_upstream: RunningMockUpstream
) -> None:
    item = {"type": "reasoning", "id": "rs_client", "summary": [], "encrypted_content": "gAAAA-from-the-client"}
    call = {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"}
    turns: list[Any] = [
        {"role": "user", "content": "look it up"},
        item,
        call,
        {"type": "function_call_output", "call_id": "call_1", "output": "a door"},
    ]
    first = client.responses.create(model="gpt-native", input=turns, tools=TOOLS)
    client.responses.create(model="gpt-native", input="thanks", tools=TOOLS, previous_response_id=first.id)
    sent = _last_responses_call(mock_upstream).body["input"]
    assert sent[:4] == turns and sent[-1] == {"role": "user", "content": "thanks"}


def test_a_reasoning_item_sent_to_a_chat_model_is_left_out(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    reasoning_text = [{"type": "reasoning_text", "text": "weighing it"}]
    item = {"type": "reasoning", "id": "rs_1", "summary": [], "content": reasoning_text, "encrypted_content": "gAAAA"}
    turns = [{"role": "user", "content": "first"}, item, {"role": "user", "content": "second"}]
    response = client.responses.create(model="gpt-test", input=turns, store=False)  # type: ignore[arg-type]
    assert response.output_text == "Mock answer: second"
    sent = next(r for r in reversed(mock_upstream.mock.state.requests) if r.path.endswith("/chat/completions"))
    assert [m["content"] for m in sent.body["messages"]] == ["first", "second"]


def test_a_providers_refusal_comes_in_openais_format_without_its_text(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model="gpt-native-leaky", input="hi")
    body = json.dumps(refused.value.body)
    assert refused.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    assert PROVIDER_SECRET not in body and "10.1.2.3" not in body
    with pytest.raises(openai.InternalServerError) as failed:
        client.responses.create(model="gpt-native-broken", input="hi")
    assert "exploded" not in json.dumps(failed.value.body)


def test_a_native_stream_that_fails_ends_with_our_error_event(sqlite_gateway: GatewayProcess, key: str) -> None:
    body = {"model": "gpt-native-error-stream", "stream": True, "input": "hi there you"}
    response = httpx.post(
        f"{sqlite_gateway.base_url}/responses", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.status_code == 200
    assert b"event: response.failed" in response.content and b"response.completed" not in response.content
    assert PROVIDER_SECRET.encode() not in response.content and b"overloaded for" not in response.content
