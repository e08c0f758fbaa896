"""An attacker with an ordinary team key tries to steer the call, read the provider key, or get an
upstream byte past the filters: on the fast path (`openai/…`) and through litellm (`azure/…`),
plain and streamed. Every attempt is a clear 400 or our own error, and nothing reaches another server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import PROVIDER_SECRET

FAST, LITELLM = "gpt-test", "azure-test"
BOTH_PATHS = pytest.mark.parametrize("model", [FAST, LITELLM])
BOTH_MODES = pytest.mark.parametrize("stream", [False, True])


@pytest.fixture(scope="module")
def attacker() -> Iterator[RunningMockUpstream]:
    """A server the attacker controls: it must never be called."""
    with RunningMockUpstream() as running:
        yield running


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("mallory")


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=20)


def _refused(client: OpenAI, model: str, stream: bool, extra: dict[str, Any]) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        answer = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream, extra_body=extra
        )
        if stream:
            list(answer)
    return caught.value


@BOTH_PATHS
@BOTH_MODES
def test_fallbacks_to_an_attacker_api_base_are_refused_and_never_called(
    client: OpenAI, attacker: RunningMockUpstream, model: str, stream: bool
) -> None:
    error = _refused(
        client,
        model,
        stream,
        {"mock_response": "litellm.RateLimitError", "fallbacks": [{"api_base": attacker.url, "mock_response": None}]},
    )
    assert error.body["param"] in ("mock_response", "fallbacks")  # type: ignore[index]
    assert error.body["code"] == "unknown_parameter"  # type: ignore[index]
    assert attacker.mock.state.requests == []


@BOTH_PATHS
@pytest.mark.parametrize(
    "field, value",
    [
        ("fallbacks", [{"model": "azure/some-other-deployment"}]),
        ("mock_response", "a made-up answer"),
        ("user_config", {"model_list": []}),
        ("deployment_id", "other"),
        ("extra_body", {"api_base": "http://127.0.0.1:9"}),
        ("api_base", "http://127.0.0.1:9"),
        ("base_url", "http://127.0.0.1:9"),
        ("api_key", "sk-attacker"),
        ("custom_llm_provider", "openai"),
        ("num_retries", 50),
    ],
)
def test_routing_and_litellm_fields_are_a_400_naming_the_field(
    client: OpenAI, mock_upstream: RunningMockUpstream, model: str, field: str, value: Any
) -> None:
    before = len(mock_upstream.mock.state.requests)
    error = _refused(client, model, False, {field: value})
    assert error.body["param"] == field  # type: ignore[index]
    assert field in error.message
    assert len(mock_upstream.mock.state.requests) == before


@BOTH_PATHS
@pytest.mark.parametrize(
    "extra, param",
    [
        ({"max_tokens": -1}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"max_tokens": "ten"}, "max_tokens"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 7}, "temperature"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": "hi", "api_key": "x"}]}, "messages[0].api_key"),
        ({"stream_options": {"include_usage": True, "api_base": "x"}}, "stream_options.api_base"),
    ],
)
def test_ill_typed_fields_are_a_400_naming_the_field_not_a_content_filter(
    client: OpenAI, mock_upstream: RunningMockUpstream, model: str, extra: dict[str, Any], param: str
) -> None:
    before = len(mock_upstream.mock.state.requests)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], extra_body=extra)
    assert caught.value.body["param"] == param  # type: ignore[index]
    assert caught.value.body["code"] in ("invalid_type", "invalid_value", "unknown_parameter")  # type: ignore[index]
    assert len(mock_upstream.mock.state.requests) == before


def test_embeddings_refuse_unknown_fields(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="embed-test", input="hello", extra_body={"api_base": "http://127.0.0.1:9"})
    assert caught.value.body["param"] == "api_base"  # type: ignore[index]


@pytest.mark.parametrize("model", ["error-stream", "azure-error-stream"])
def test_a_mid_stream_upstream_error_becomes_our_own_error_event(
    sqlite_gateway: GatewayProcess, key: str, model: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with httpx.stream(
        "POST",
        f"{sqlite_gateway.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=20,
    ) as response:
        raw = response.read().decode()
    assert response.status_code == 200
    assert PROVIDER_SECRET not in raw
    assert "stream failed for key" not in raw
    assert "Traceback" not in raw and "site-packages" not in raw
    assert '"error"' in raw and "failed" in raw
    assert PROVIDER_SECRET not in sqlite_gateway.log()


@pytest.mark.parametrize("model", ["error-stream", "azure-error-stream"])
def test_the_sdk_sees_a_mid_stream_upstream_error_as_an_api_error(client: OpenAI, model: str) -> None:
    stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], stream=True)
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    assert PROVIDER_SECRET not in str(caught.value)


@pytest.mark.parametrize("model", ["redirect", "azure-redirect"])
@BOTH_MODES
def test_a_cross_origin_redirect_is_not_followed_with_the_key(
    client: OpenAI, mock_upstream: RunningMockUpstream, attacker: RunningMockUpstream, model: str, stream: bool
) -> None:
    mock_upstream.mock.state.redirect_to = attacker.url + "/chat/completions"
    with pytest.raises(openai.APIStatusError) as caught:
        answer = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
        if stream:
            list(answer)
    assert caught.value.status_code == 502
    assert PROVIDER_SECRET not in str(caught.value.body)
    assert attacker.mock.state.requests == []
