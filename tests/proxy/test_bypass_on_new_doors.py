"""The bypass attempts of tests/gateway/test_bypass_attempts.py on the Responses and Messages doors:
routing and provider fields are a 400 naming the field, nothing reaches a provider, and a provider's
mid-stream error ends the stream with our own event, its text (and the provider key) withheld."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import PROVIDER_SECRET

ROUTING_FIELDS: list[tuple[str, Any]] = [
    ("fallbacks", [{"model": "azure/some-other-deployment"}]),
    ("mock_response", "a made-up answer"),
    ("api_base", "http://127.0.0.1:9"),
    ("base_url", "http://127.0.0.1:9"),
    ("api_key", "sk-attacker"),
    ("extra_headers", {"Authorization": "Bearer sk-attacker"}),
    ("custom_llm_provider", "openai"),
]


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("mallory-new-doors")


@pytest.mark.parametrize(("field", "value"), ROUTING_FIELDS)
@pytest.mark.parametrize("model", ["gpt-test", "azure-test"])
def test_routing_fields_are_refused_on_responses(
    sqlite_gateway: GatewayProcess, key: str, mock_upstream: RunningMockUpstream, field: str, value: Any, model: str
) -> None:
    client = OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0)
    before = len(mock_upstream.mock.state.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=model, input="hi", extra_body={field: value})
    assert refused.value.body["param"] == field  # type: ignore[index]
    assert len(mock_upstream.mock.state.requests) == before


@pytest.mark.parametrize(("field", "value"), ROUTING_FIELDS)
@pytest.mark.parametrize("model", ["gpt-test", "claude-test"])
def test_routing_fields_are_refused_on_messages(
    sqlite_gateway: GatewayProcess, key: str, mock_upstream: RunningMockUpstream, field: str, value: Any, model: str
) -> None:
    claude = anthropic.Anthropic(base_url=sqlite_gateway.root_url, api_key=key, max_retries=0)
    before = len(mock_upstream.mock.state.requests)
    with pytest.raises(anthropic.BadRequestError) as refused:
        claude.messages.create(
            model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}], extra_body={field: value}
        )
    assert field in refused.value.body["error"]["message"]  # type: ignore[index]
    assert len(mock_upstream.mock.state.requests) == before


@pytest.mark.parametrize(
    ("path", "body", "error_marker"),
    [
        ("/v1/responses", {"model": "error-stream", "input": "hi", "stream": True}, b"event: response.failed"),
        (
            "/v1/messages",
            {
                "model": "error-stream",
                "max_tokens": 10,
                "messages": [{"role": "user", "content": "hi"}],
                "stream": True,
            },
            b"event: error",
        ),
    ],
)
def test_a_mid_stream_upstream_error_becomes_our_own_event(
    sqlite_gateway: GatewayProcess, key: str, path: str, body: dict[str, Any], error_marker: bytes
) -> None:
    with httpx.stream(
        "POST", sqlite_gateway.root_url + path, json=body, headers={"x-api-key": key}, timeout=20
    ) as response:
        raw = response.read()
    assert response.status_code == 200
    assert error_marker in raw
    assert PROVIDER_SECRET.encode() not in raw and b"Traceback" not in raw
    assert PROVIDER_SECRET not in sqlite_gateway.log()
