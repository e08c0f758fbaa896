"""The built-in mock model in a tool loop: it calls the first tool on a user's turn and answers in
text once the tool's result came back, so a coding agent pointed at the quickstart gateway (Claude
Code, Codex CLI) ends its loop after one round."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.core.settings import LitellmParams
from gateway.upstream.base import Deployment
from gateway.upstream.circuit import Circuit
from gateway.upstream.mock_provider import MockProvider

pytestmark = pytest.mark.anyio
TOOLS = [{"type": "function", "function": {"name": "run", "parameters": {"type": "object"}}}]
ASKED = [{"role": "user", "content": "list the files"}]
CALLED = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"id": "call_mock_0", "type": "function", "function": {"name": "run", "arguments": "{}"}}],
}


async def _answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    provider = MockProvider()
    deployment = Deployment("mock#0", "mock", LitellmParams(model="gateway-mock/gpt-4o"), provider, Circuit(3, 30))
    completion = await provider.chat(deployment, {"model": "mock", "messages": messages, "tools": TOOLS})
    choice: dict[str, Any] = completion["choices"][0]
    return choice


async def test_a_users_turn_gets_the_first_tool_called() -> None:
    choice = await _answer(ASKED)
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["tool_calls"][0]["function"]["name"] == "run"


async def test_a_tools_result_gets_an_answer_in_text() -> None:
    choice = await _answer([*ASKED, CALLED, {"role": "tool", "tool_call_id": "call_mock_0", "content": "a.txt"}])
    assert choice["finish_reason"] == "stop" and choice["message"]["content"] == "Mock answer: list the files"
