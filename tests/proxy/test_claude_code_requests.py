"""Claude Code's own requests, as its version 2.1.337 sent them (recorded against the mock, their
texts, tool descriptions and schemas replaced by placeholders, their structure kept): two turns of
its agent loop, the second with the first's thinking and tool use and the tool's result, sent with
its beta features through the anthropic SDK's beta client (`?beta=true`, `anthropic-beta`), to a
deployment that speaks Messages and to one asked in chat. What its requests hold that plain
Messages requests do not: a system turn among the others, `context_management`,
`output_config.effort`, adaptive thinking with its text left out, a tool with `defer_loading`.
Recorded with `python -m tests.helpers.mock_upstream --port 8765 --record turns.jsonl` and
`ANTHROPIC_BASE_URL=http://127.0.0.1:8765 claude -p "say hi"`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import pytest

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream

RECORDED = json.loads((Path(__file__).parent / "claude_code_turns.json").read_text())
BETAS: list[str] = RECORDED["betas"].split(",")


@pytest.fixture(scope="module")
def claude(sqlite_gateway: GatewayProcess) -> anthropic.Anthropic:
    key = sqlite_gateway.create_key("claude-code-team")
    return anthropic.Anthropic(base_url=sqlite_gateway.root_url, api_key=key, max_retries=0, timeout=30)


def _turn(claude: anthropic.Anthropic, body: dict[str, Any], model: str) -> anthropic.types.beta.BetaMessage:
    request = {name: value for name, value in body.items() if name != "stream"}  # as `stream()` sends it
    with claude.beta.messages.stream(**{**request, "model": model}, betas=BETAS) as stream:
        return stream.get_final_message()


@pytest.mark.parametrize("turn", [0, 1])
def test_a_claude_code_turn_passes_through_to_a_messages_provider_as_sent(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream, turn: int
) -> None:
    body = RECORDED["turns"][turn]
    answer = _turn(claude, body, "claude-test")
    assert answer.stop_reason == "tool_use" and [block.type for block in answer.content] == ["thinking", "tool_use"]
    sent = mock_upstream.mock.state.last("/v1/messages")
    for field in ("system", "messages", "tools", "thinking", "context_management", "output_config", "metadata"):
        assert sent.body[field] == body[field], field
    headers = {name.lower(): value for name, value in sent.headers.items()}
    assert headers["anthropic-beta"] == RECORDED["betas"]


@pytest.mark.parametrize("turn", [0, 1])
def test_a_claude_code_turn_is_translated_for_a_chat_provider(
    claude: anthropic.Anthropic, mock_upstream: RunningMockUpstream, turn: int
) -> None:
    body = RECORDED["turns"][turn]
    answer = _turn(claude, body, "gpt-test")
    assert answer.stop_reason == "tool_use" and answer.content[-1].type == "tool_use"
    sent = mock_upstream.mock.state.last("/v1/chat/completions").body
    roles = [message["role"] for message in sent["messages"]]
    assert roles[:3] == ["system", "user", "system"]  # its system prompt, then its turns as they came
    assert sent["reasoning_effort"] == "high"  # output_config.effort
    assert "context_management" not in sent and "anthropic-beta" not in json.dumps(sent)
    assert len(sent["tools"]) == len(body["tools"])
