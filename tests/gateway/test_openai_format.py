"""Every body and stream event the gateway builds itself is in OpenAI's format exactly, checked
against schemas written from OpenAI's published OpenAPI description: withheld and redacted
answers, released stream chunks, the built-in mock model, and errors on every status."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.openai_schema import CHAT_COMPLETION, CHAT_COMPLETION_CHUNK, ERROR_RESPONSE, problems

TOXIC = "you are a fucking idiot"
PII = "padding words " * 10 + "write to jane.roe@example.com today " + "more words " * 10


@pytest.fixture(scope="module")
def headers(sqlite_gateway: GatewayProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {sqlite_gateway.create_key('format')}"}


def _post(gateway: GatewayProcess, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{gateway.base_url}/chat/completions", json=body, headers=headers, timeout=30)


def _events(
    gateway: GatewayProcess, headers: dict[str, str], body: dict[str, Any], *, done: bool = True
) -> list[dict[str, Any]]:
    with httpx.stream(
        "POST", f"{gateway.base_url}/chat/completions", json={**body, "stream": True}, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        lines = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    if not done:  # a stream that failed ends with its error event, as OpenAI's do
        return [orjson.loads(line) for line in lines]
    assert lines[-1] == "[DONE]"
    return [orjson.loads(line) for line in lines[:-1]]


def _ask(text: str, model: str = "gpt-test", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


@pytest.mark.parametrize("text", [TOXIC, PII], ids=["withheld", "redacted"])
def test_a_filtered_plain_answer_is_a_chat_completion(
    sqlite_gateway: GatewayProcess, headers: dict[str, str], text: str
) -> None:
    response = _post(sqlite_gateway, headers, _ask(text))
    assert response.status_code == 200
    assert problems(CHAT_COMPLETION, response.json()) == []


@pytest.mark.parametrize("text", [TOXIC, PII, "a plain answer"], ids=["withheld", "redacted", "allowed"])
def test_every_event_of_a_filtered_stream_is_a_chunk(
    sqlite_gateway: GatewayProcess, headers: dict[str, str], text: str
) -> None:
    events = _events(sqlite_gateway, headers, _ask(text, stream_options={"include_usage": True}))
    assert events and all(problems(CHAT_COMPLETION_CHUNK, event) == [] for event in events), events
    assert events[-1]["usage"]["total_tokens"] > 0


def test_the_built_in_mock_model_answers_in_openais_format(
    sqlite_gateway: GatewayProcess, headers: dict[str, str]
) -> None:
    assert problems(CHAT_COMPLETION, _post(sqlite_gateway, headers, _ask("hello", "mock-gpt")).json()) == []
    events = _events(sqlite_gateway, headers, _ask("hello", "mock-gpt"))
    assert all(problems(CHAT_COMPLETION_CHUNK, event) == [] for event in events)


@pytest.mark.parametrize(
    "body, auth, status",
    [
        (_ask("hi", temperature="hot"), True, 400),
        (_ask("hi", fallbacks=[]), True, 400),
        (_ask("hi"), False, 401),
        (_ask("hi", "no-such-model"), True, 404),
        (_ask("hi", "broken"), True, 502),
    ],
)
def test_errors_are_error_responses(
    sqlite_gateway: GatewayProcess, headers: dict[str, str], body: dict[str, Any], auth: bool, status: int
) -> None:
    response = _post(sqlite_gateway, headers if auth else {}, body)
    assert response.status_code == status
    assert problems(ERROR_RESPONSE, response.json()) == []


def test_a_mid_stream_failure_is_an_error_event(sqlite_gateway: GatewayProcess, headers: dict[str, str]) -> None:
    events = _events(sqlite_gateway, headers, _ask("hi", "error-stream"), done=False)
    assert problems(ERROR_RESPONSE, events[-1]) == []
    assert all(problems(CHAT_COMPLETION_CHUNK, event) == [] for event in events[:-1])
