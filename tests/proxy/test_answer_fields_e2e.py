"""What of a chat answer reaches the client once the filters read it: OpenAI's documented fields,
the texts screened (a reasoning model's `reasoning_content` too); a provider's other fields and
the log probabilities (which spell out the text before a redaction) are left out. The mock's
`reasoning-echo` model reasons aloud, repeating the question, and adds fields of no API's."""

from __future__ import annotations

from typing import Any

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from tests.helpers.gateway_process import GatewayProcess

EMAIL = "jane.doe@example.com"
QUESTION: list[ChatCompletionMessageParam] = [{"role": "user", "content": f"write to {EMAIL}"}]


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess) -> OpenAI:
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=sqlite_gateway.create_key("answer-fields"), max_retries=0)


def test_a_plain_answers_reasoning_is_screened_and_other_fields_left_out(
    client: OpenAI, sqlite_gateway: GatewayProcess
) -> None:
    raw = client.chat.completions.with_raw_response.create(model="reasoning", messages=QUESTION, logprobs=True)
    body: dict[str, Any] = raw.http_response.json()
    message = body["choices"][0]["message"]
    assert message["reasoning_content"] == "Thinking over: write to <EMAIL_ADDRESS>"
    assert message["content"] == "Mock answer: write to <EMAIL_ADDRESS>"
    assert body["choices"][0]["logprobs"] is None
    assert "provider_notes" not in message and "provider_trace" not in body
    assert EMAIL not in raw.http_response.text
    raw.parse()  # the SDK reads it


def test_a_streamed_answers_reasoning_is_screened_and_other_fields_left_out(client: OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="reasoning", messages=QUESTION, stream=True, logprobs=True))
    deltas = [choice.delta for chunk in chunks for choice in chunk.choices]
    reasoning = "".join(getattr(delta, "reasoning_content", None) or "" for delta in deltas)
    assert reasoning == "Thinking over: write to <EMAIL_ADDRESS>"
    assert "".join(delta.content or "" for delta in deltas) == "Mock answer: write to <EMAIL_ADDRESS>"
    dumped = [chunk.model_dump_json() for chunk in chunks]
    assert not any(EMAIL in text or "provider_" in text for text in dumped)
    assert all(choice.logprobs is None for chunk in chunks for choice in chunk.choices)
