"""The mock upstream's recording of a client's requests (`python -m tests.helpers.mock_upstream
--record FILE`), from which the recorded turns of Claude Code and Codex CLI came: each request as a
JSON line, its keys left out."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.helpers.mock_upstream import RunningMockUpstream


def test_each_request_is_a_line_without_its_keys(mock_upstream: RunningMockUpstream, tmp_path: Path) -> None:
    recording = tmp_path / "turns.jsonl"
    mock_upstream.mock.state.record_to = recording
    try:
        body = {"model": "claude-3-5-haiku", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
        headers = {"x-api-key": "sk-secret", "anthropic-beta": "claude-code-20250219"}
        httpx.post(f"{mock_upstream.url}/messages?beta=true", json=body, headers=headers).raise_for_status()
    finally:
        mock_upstream.mock.state.record_to = None
    (line,) = recording.read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["path"] == "/v1/messages?beta=true" and recorded["body"] == body
    assert recorded["headers"]["anthropic-beta"] == "claude-code-20250219"
    assert "sk-secret" not in line
