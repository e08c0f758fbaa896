"""OpenAI's Responses API end to end: the official openai SDK's `client.responses` against a gateway
process and the mock upstream, on the fast path and through litellm, checked against the schemas
written from OpenAI's published OpenAPI description. Governance is the chat path's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers.gateway_api import Ledger
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.openai_schema import RESPONSE, RESPONSE_EVENTS, problems

EMAIL = "jane.doe@example.com"
ADMIN = {"Authorization": "Bearer admin-test-key"}
TOOLS: list[Any] = [
    {"type": "function", "name": "lookup", "description": "Look a word up.", "parameters": {"type": "object"}}
]


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess) -> OpenAI:
    key = sqlite_gateway.create_key("responses-team")
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=30)


def _streamed(client: OpenAI, **request: Any) -> list[Any]:
    with client.responses.create(stream=True, **request) as stream:
        return list(stream)


@pytest.mark.parametrize("model", ["gpt-test", "azure-test"])
def test_a_plain_response_with_instructions(client: OpenAI, model: str) -> None:
    raw = client.responses.with_raw_response.create(model=model, instructions="Be terse.", input="hello there")
    response = raw.parse()
    assert problems(RESPONSE, raw.http_response.json()) == []
    assert response.status == "completed" and response.model == model and response.instructions == "Be terse."
    assert response.output_text == "Mock answer: hello there"
    assert response.usage is not None and response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_function_calls_and_their_outputs_as_input_items(client: OpenAI) -> None:
    first = client.responses.create(model="gpt-test", input="define gateway", tools=TOOLS)
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup"
    assert json.loads(call.arguments) == {"input": "define gateway"}
    second = client.responses.create(
        model="gpt-test",
        tools=TOOLS,
        tool_choice="none",
        input=[
            {"role": "user", "content": "define gateway"},
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "a door"},
            {"role": "user", "content": [{"type": "input_text", "text": "now say it"}]},
        ],
    )
    assert second.output_text == "Mock answer: now say it"


def test_a_streamed_response_has_the_responses_events(client: OpenAI) -> None:
    events = _streamed(client, model="gpt-test", input="stream me some words")
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    for expected in ("response.output_item.added", "response.content_part.added", "response.output_text.done"):
        assert expected in kinds
    for event in events:
        assert problems(RESPONSE_EVENTS[event.type], event.model_dump(mode="json")) == [], event.type
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response
    assert text == final.output_text == "Mock answer: stream me some words"
    assert final.usage is not None and final.usage.output_tokens > 0


def test_a_streamed_function_call(client: OpenAI) -> None:
    events = _streamed(client, model="gpt-test", input="define proxy", tools=TOOLS)
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"input": "define proxy"}
    assert events[-1].response.output[0].type == "function_call"


def test_previous_response_id_continues_the_conversation(
    client: OpenAI, sqlite_gateway: GatewayProcess, mock_upstream: RunningMockUpstream
) -> None:
    first = client.responses.create(model="gpt-test", input="my name is Ada")
    second = client.responses.create(model="gpt-test", input="what is my name?", previous_response_id=first.id)
    sent = next(
        r.body
        for r in reversed(mock_upstream.mock.state.requests)
        if r.path == "/v1/chat/completions" and r.body["messages"][-1]["content"] == "what is my name?"
    )
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][1]["content"] == "Mock answer: my name is Ada"
    assert second.previous_response_id == first.id
    streamed = _streamed(client, model="gpt-test", input="and again?", previous_response_id=second.id)
    third = client.responses.create(model="gpt-test", input="once more", previous_response_id=streamed[-1].response.id)
    assert third.status == "completed"


def test_a_stored_response_is_read_back_only_by_its_team(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    made = client.responses.create(model="gpt-test", input="keep this")
    assert client.responses.retrieve(made.id).output_text == "Mock answer: keep this"
    other = OpenAI(base_url=sqlite_gateway.base_url, api_key=sqlite_gateway.create_key("other-team"), max_retries=0)
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError) as missing:
        other.responses.create(model="gpt-test", input="continue theirs", previous_response_id=made.id)
    assert missing.value.body["param"] == "previous_response_id"  # type: ignore[index]


def test_store_false_keeps_nothing(client: OpenAI) -> None:
    made = client.responses.create(model="gpt-test", input="forget this", store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)


def test_pii_is_redacted_plain_and_streamed(client: OpenAI) -> None:
    prompt = "padding " * 30 + f"reach me at {EMAIL} " + "more padding " * 10
    plain = client.responses.create(model="gpt-test", input=prompt).output_text
    events = _streamed(client, model="gpt-test", input=prompt)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert EMAIL not in plain and "<EMAIL_ADDRESS>" in plain
    assert all(EMAIL not in "".join(deltas[:i]) for i in range(len(deltas) + 1))
    assert "".join(deltas) == plain


def test_a_reasoning_models_text_is_a_screened_reasoning_item_plain_and_streamed(
    client: OpenAI, mock_upstream: RunningMockUpstream
) -> None:
    """The mock's `reasoning_content` repeats the question, e-mail address and all, streamed in
    slices that split the address."""
    raw = client.responses.with_raw_response.create(model="reasoning", input=f"write to {EMAIL}")
    plain = raw.parse()
    assert problems(RESPONSE, raw.http_response.json()) == [] and EMAIL not in raw.http_response.text
    thought = plain.output[0]
    assert thought.type == "reasoning" and thought.content is not None
    assert [(part.type, part.text) for part in thought.content] == [
        ("reasoning_text", "Thinking over: write to <EMAIL_ADDRESS>")
    ]
    assert plain.output_text == "Mock answer: write to <EMAIL_ADDRESS>"
    events = _streamed(client, model="reasoning", input=f"write to {EMAIL}")
    for event in events:
        assert problems(RESPONSE_EVENTS[event.type], event.model_dump(mode="json")) == [], event.type
        assert EMAIL not in event.model_dump_json()
    deltas = [e.delta for e in events if e.type == "response.reasoning_text.delta"]
    assert len(deltas) > 1 and "".join(deltas) == "Thinking over: write to <EMAIL_ADDRESS>"
    streamed = events[-1].response
    assert [item.type for item in streamed.output] == ["reasoning", "message"]
    assert streamed.output[0].content == thought.content
    client.responses.create(model="reasoning", input="and then?", previous_response_id=streamed.id)
    sent = next(
        r.body
        for r in reversed(mock_upstream.mock.state.requests)
        if r.path == "/v1/chat/completions" and r.body["messages"][-1]["content"] == "and then?"
    )
    assert sent["messages"][1] == {"role": "assistant", "content": "Mock answer: write to <EMAIL_ADDRESS>"}


def test_a_withheld_answer_is_incomplete_for_the_content_filter(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-test", input="you are a fucking idiot")
    response = raw.parse()
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "content_filter"
    assert "idiot" not in response.output_text
    item = httpx.get(
        f"{sqlite_gateway.root_url}/admin/api/review/{raw.headers['x-gateway-review-id']}", headers=ADMIN
    ).json()
    assert item["action"] == "block" and "idiot" in item["original"]
    events = _streamed(client, model="gpt-test", input="you are a fucking idiot")
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "content_filter"
    assert (events[-1].response.model_extra or {}).get("gateway_review_id", "").startswith("rev_")
    assert all("idiot" not in e.delta for e in events if e.type == "response.output_text.delta")


def test_bad_requests_are_refused_naming_the_field(client: OpenAI) -> None:
    for extra, param in (
        ({"api_base": "http://attacker.example"}, "api_base"),
        ({"background": True}, "background"),
        ({"tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]}, "tools[0].type"),
        ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, "input[0].type"),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input[0].id"),
    ):
        with pytest.raises(openai.BadRequestError) as refused:
            client.responses.create(model="gpt-test", input="hi", extra_body=extra)
        assert refused.value.body["param"] == param, (extra, refused.value.body)  # type: ignore[index]


def test_the_teams_policy_applies_before_the_call(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="credential") as blocked:
        client.responses.create(model="gpt-test", input="my key is AKIAABCDEFGHIJKLMNOP, use it")
    assert blocked.value.code == "content_filter"


def test_a_bad_key_is_refused(sqlite_gateway: GatewayProcess) -> None:
    stranger = OpenAI(base_url=sqlite_gateway.base_url, api_key="sk-gw-nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.responses.create(model="gpt-test", input="hi")


def test_each_response_writes_a_ledger_row(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-test", input="count me in the books")
    response = raw.parse()
    ledger = Ledger(sqlite_gateway.config["database_url"])
    try:
        row = ledger.row(raw.headers["x-request-id"])
    finally:
        ledger.close()
    assert row.endpoint == "responses" and row.requested_model == "gpt-test" and row.status_code == 200
    assert response.usage is not None
    assert (row.prompt_tokens, row.completion_tokens) == (response.usage.input_tokens, response.usage.output_tokens)
