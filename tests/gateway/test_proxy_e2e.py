"""End to end: the official openai SDK against `gateway serve`, with a mock upstream on loopback."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import PROVIDER_SECRET
from tests.helpers.waiting import wait_until


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("alpha")


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=20)


def test_plain_chat_returns_the_upstream_answer(client: OpenAI) -> None:
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello there"}])
    assert answer.choices[0].message.content == "Mock answer: hello there"
    assert answer.usage is not None and answer.usage.total_tokens > 0


def test_upstream_receives_its_own_model_name_and_the_provider_key(
    client: OpenAI, mock_upstream: RunningMockUpstream
) -> None:
    client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "which key?"}], extra_body={"seed": 7}
    )
    received = next(r for r in reversed(mock_upstream.mock.state.requests) if r.body.get("seed") == 7)
    assert received.body["model"] == "echo"
    assert received.headers["Authorization"] == f"Bearer {PROVIDER_SECRET}"


def test_a_streamed_chat_arrives_in_pieces_as_the_model_writes(client: OpenAI) -> None:
    words = " ".join(f"word{number}" for number in range(20))
    stream = client.chat.completions.create(model="paced", messages=[{"role": "user", "content": words}], stream=True)
    pieces = [chunk.choices[0].delta.content for chunk in stream if chunk.choices and chunk.choices[0].delta.content]
    assert len(pieces) > 10  # a word behind the model (20 ms apart), not all at the end
    assert "".join(pieces) == f"Mock answer: {words}"


def test_stream_options_include_usage_is_passed_through(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "count me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = [chunk.usage for chunk in stream if chunk.usage is not None]
    assert len(usage) == 1 and usage[0].total_tokens > 0


def test_sse_framing_is_exactly_openais(sqlite_gateway: GatewayProcess, key: str) -> None:
    body = {"model": "gpt-test", "stream": True, "messages": [{"role": "user", "content": "frame"}]}
    with httpx.stream(
        "POST", f"{sqlite_gateway.base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(response.iter_bytes())
    events = raw.split(b"\n\n")
    assert events[-1] == b"" and events[-2] == b"data: [DONE]"
    for event in events[:-2]:
        assert event.startswith(b"data: {")
        json.loads(event[6:])


def test_tool_calls_come_back_as_openai_tool_calls(client: OpenAI) -> None:
    tools: list[Any] = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
            },
        }
    ]
    answer = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "find x"}], tools=tools
    )
    calls = answer.choices[0].message.tool_calls
    assert calls is not None and calls[0].type == "function"
    call = calls[0]
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"input": "find x"}


def test_n_returns_every_choice(client: OpenAI) -> None:
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "twice"}], n=2)
    assert [choice.index for choice in answer.choices] == [0, 1]


def test_response_format_reaches_the_upstream(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "json please"}], response_format={"type": "json_object"}
    )
    received = next(r for r in reversed(mock_upstream.mock.state.requests) if r.body.get("response_format"))
    assert received.body["response_format"] == {"type": "json_object"}


def test_embeddings(client: OpenAI) -> None:
    result = client.embeddings.create(model="embed-test", input=["a", "b"], encoding_format="float")
    assert [item.embedding for item in result.data] == [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]


def test_builtin_mock_model_answers_and_embeds_with_the_sdk_defaults(client: OpenAI) -> None:
    answer = client.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "Mock answer: hi"


def test_litellm_path_serves_a_non_openai_provider(client: OpenAI, mock_upstream: RunningMockUpstream) -> None:
    answer = client.chat.completions.create(model="claude-test", messages=[{"role": "user", "content": "via litellm"}])
    assert answer.choices[0].message.content == "Mock answer: via litellm"
    received = mock_upstream.mock.state.requests[-1]
    assert received.path == "/v1/messages" and received.headers["x-api-key"] == PROVIDER_SECRET


def test_models_list_shows_only_the_teams_models(sqlite_gateway: GatewayProcess) -> None:
    restricted = sqlite_gateway.create_key("beta", models="gpt-test")
    models = OpenAI(base_url=sqlite_gateway.base_url, api_key=restricted).models.list()
    assert [model.id for model in models] == ["gpt-test"]


def test_model_not_allowed_for_team_is_403(sqlite_gateway: GatewayProcess) -> None:
    restricted = sqlite_gateway.create_key("gamma", models="gpt-test")
    with pytest.raises(openai.PermissionDeniedError) as error:
        OpenAI(base_url=sqlite_gateway.base_url, api_key=restricted, max_retries=0).chat.completions.create(
            model="broken", messages=[{"role": "user", "content": "x"}]
        )
    assert error.value.code == "model_not_allowed"


def test_bad_key_is_401(sqlite_gateway: GatewayProcess) -> None:
    with pytest.raises(openai.AuthenticationError) as error:
        OpenAI(base_url=sqlite_gateway.base_url, api_key="sk-gw-wrong", max_retries=0).models.list()
    assert error.value.code == "invalid_api_key"


def test_missing_key_is_401(sqlite_gateway: GatewayProcess) -> None:
    response = httpx.get(f"{sqlite_gateway.base_url}/models")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


def test_unknown_model_is_404_model_not_found(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as error:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert error.value.code == "model_not_found"


def test_invalid_json_is_400(sqlite_gateway: GatewayProcess, key: str) -> None:
    response = httpx.post(
        f"{sqlite_gateway.base_url}/chat/completions", content=b"{not json", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_missing_messages_is_400_naming_the_field(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="gpt-test", messages=[])
    assert error.value.param == "messages"


@pytest.mark.parametrize(
    "field", ["api_base", "base_url", "api_key", "api_version", "custom_llm_provider", "extra_headers"]
)
def test_fields_that_choose_the_upstream_are_refused(client: OpenAI, field: str) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "x"}], extra_body={field: "http://attacker.example"}
        )
    assert error.value.param == field


def test_body_over_the_limit_is_413(sqlite_gateway: GatewayProcess, key: str) -> None:
    huge = "x" * (9 * 1024 * 1024)
    response = httpx.post(
        f"{sqlite_gateway.base_url}/chat/completions",
        json={"model": "gpt-test", "messages": [{"role": "user", "content": huge}]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_upstream_500_after_retries_is_502(
    client: OpenAI, mock_upstream: RunningMockUpstream, sqlite_gateway: GatewayProcess
) -> None:
    before = mock_upstream.mock.state.calls["fail-500"]
    with pytest.raises(openai.InternalServerError) as error:
        client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])
    assert error.value.status_code == 502
    assert mock_upstream.mock.state.calls["fail-500"] - before == 3  # one call and two retries
    metrics = httpx.get(f"{sqlite_gateway.root_url}/metrics").text
    failures = [
        line
        for line in metrics.splitlines()
        if line.startswith('gateway_upstream_failures_total{deployment="broken#0"}')
    ]
    assert failures and float(failures[0].rsplit(" ", 1)[1]) >= 3


def test_flaky_upstream_succeeds_after_retries(client: OpenAI) -> None:
    answer = client.chat.completions.create(model="flaky", messages=[{"role": "user", "content": "third time"}])
    assert answer.choices[0].message.content == "Mock answer: third time"


def test_failing_group_falls_back_to_the_next_group(client: OpenAI) -> None:
    answer = client.chat.completions.create(model="primary-down", messages=[{"role": "user", "content": "fallback"}])
    assert answer.choices[0].message.content == "Mock answer: fallback"


def test_upstream_timeout_is_504(client: OpenAI) -> None:
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as error:
        client.chat.completions.create(model="slow", messages=[{"role": "user", "content": "x"}])
    assert error.value.status_code == 504
    assert error.value.code == "upstream_timeout"
    assert time.monotonic() - started < 10


def test_upstream_connection_reset_is_502(client: OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as error:
        client.chat.completions.create(model="reset", messages=[{"role": "user", "content": "x"}])
    assert error.value.status_code == 502


def test_malformed_upstream_json_is_502(client: OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as error:
        client.chat.completions.create(model="malformed", messages=[{"role": "user", "content": "x"}])
    assert error.value.status_code == 502


def test_upstream_4xx_passes_through_scrubbed(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        client.chat.completions.create(model="leaky", messages=[{"role": "user", "content": "x"}])
    message = error.value.message
    assert error.value.code == "bad" and error.value.param == "messages"
    assert PROVIDER_SECRET not in message and "10.1.2.3" not in message
    assert PROVIDER_SECRET not in sqlite_gateway.log()


def test_upstream_429_passes_through_as_429(client: OpenAI) -> None:
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="rate-limited", messages=[{"role": "user", "content": "x"}])


def test_client_disconnect_mid_stream_cancels_the_upstream(
    sqlite_gateway: GatewayProcess, key: str, mock_upstream: RunningMockUpstream
) -> None:
    state = mock_upstream.mock.state
    cancelled_before = state.streams_cancelled
    body = {"model": "slow-stream", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    with httpx.stream(
        "POST",
        f"{sqlite_gateway.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                break  # one chunk arrived: leave
    wait_until(
        lambda: state.streams_cancelled != cancelled_before,
        timeout=5,
        interval=0.05,
        waiting_for="the upstream stream to be cancelled",
    )
    assert state.streams_cancelled == cancelled_before + 1


def test_unknown_route_is_an_openai_error(sqlite_gateway: GatewayProcess) -> None:
    response = httpx.get(f"{sqlite_gateway.root_url}/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_url"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/embeddings", "/v1/models"])
def test_a_wrong_method_on_a_known_route_is_a_405_openai_error(sqlite_gateway: GatewayProcess, path: str) -> None:
    method = "POST" if path == "/v1/models" else "GET"
    response = httpx.request(method, f"{sqlite_gateway.root_url}{path}")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_health_readiness_and_metrics(sqlite_gateway: GatewayProcess) -> None:
    assert httpx.get(f"{sqlite_gateway.root_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{sqlite_gateway.root_url}/readyz").json()
    assert ready["checks"]["database"] == "ok"
    metrics = httpx.get(f"{sqlite_gateway.root_url}/metrics").text
    assert "gateway_requests_total" in metrics
