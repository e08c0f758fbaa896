"""Codex CLI's own requests, as its version 0.171.0 sent them (recorded against the mock, their
texts, tool descriptions, schemas and grammar replaced by placeholders, their structure kept): two
turns of its agent loop, the second with the first's reasoning item, function call and the call's
output, streamed through the openai SDK to a deployment asked in chat and to one that speaks
Responses; once for a model Codex does not know and once for one it does (`gpt-5.5`), for which
it sends other tools. What its requests hold that plain Responses requests do not:
`client_metadata` (not OpenAI's: the gateway reads it and sends it nowhere), a namespace of
functions, a custom (freeform) tool, `apply_patch`, web search and a client-run tool search (the
gateway runs no built-in tool: left out), developer messages and items with their ids. Recorded with
`python -m tests.helpers.mock_upstream --port 8765 --record turns.jsonl` and `codex exec` with a
provider whose `base_url` is `http://127.0.0.1:8765/v1` (`wire_api = "responses"`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from tests.helpers.gateway_api import new_team_key
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.openai_schema import RESPONSE_EVENTS, problems

RECORDED = json.loads((Path(__file__).parent / "codex_turns.json").read_text())
TURNS = [(kind, turn) for kind in ("unknown_model", "known_model") for turn in (0, 1)]
LEFT_OUT = ("web_search", "tool_search")
CUSTOM: Any = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Edit files with a patch.",
    "format": {"type": "grammar", "syntax": "lark", "definition": "start: LINE+"},
}
NAMESPACE: Any = {
    "type": "namespace",
    "name": "crm",
    "description": "The customer records.",
    "tools": [{"type": "function", "name": "find_customer", "parameters": {"type": "object"}, "strict": False}],
}


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess) -> OpenAI:
    key = sqlite_gateway.create_key("codex-team")
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=30)


def _turn(client: OpenAI, body: dict[str, Any], model: str) -> Any:
    """The turn streamed as Codex streams it; the final response."""
    request = {name: value for name, value in body.items() if name not in ("stream", "client_metadata", "model")}
    events = list(
        client.responses.create(
            **request, model=model, stream=True, extra_body={"client_metadata": body["client_metadata"]}
        )
    )
    assert events[-1].type == "response.completed"
    return events[-1].response


@pytest.mark.parametrize(("recording", "turn"), TURNS)
def test_a_codex_turn_is_translated_for_a_chat_provider(
    client: OpenAI, mock_upstream: RunningMockUpstream, recording: str, turn: int
) -> None:
    body = RECORDED[recording][turn]
    response = _turn(client, body, "gpt-test")
    assert response.output[-1].type == "function_call" and response.output[-1].name == "exec_command"
    sent = mock_upstream.mock.state.last("/v1/chat/completions").body
    names = [tool["function"]["name"] for tool in sent["tools"]]
    namespaced = [
        f"{tool['name']}__{function['name']}"
        for tool in body["tools"]
        if tool["type"] == "namespace"
        for function in tool["tools"]
    ]
    assert namespaced == [name for name in names if "__" in name]
    assert len(names) == sum(len(tool.get("tools", [tool])) for tool in body["tools"] if tool["type"] not in LEFT_OUT)
    assert "client_metadata" not in sent and [m["role"] for m in sent["messages"]][:2] == ["developer", "developer"]


@pytest.mark.parametrize(("recording", "turn"), TURNS)
def test_a_codex_turn_passes_through_to_a_responses_provider_without_what_is_not_openais(
    client: OpenAI, mock_upstream: RunningMockUpstream, recording: str, turn: int
) -> None:
    body = RECORDED[recording][turn]
    _turn(client, body, "gpt-native")
    sent = mock_upstream.mock.state.last("/v1/responses").body
    assert sent["input"] == body["input"] and sent["include"] == body["include"]
    assert sent["tools"] == [tool for tool in body["tools"] if tool["type"] not in LEFT_OUT]
    assert "client_metadata" not in sent and sent["store"] is False


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("model", ["gpt-test", "gpt-native"])
def test_a_namespaced_function_is_called_by_its_name_in_its_namespace(
    client: OpenAI, mock_upstream: RunningMockUpstream, model: str, streamed: bool
) -> None:
    """Chat has no namespaces: a namespace's function is `<namespace>__<name>` there, and its call
    is written back as the function's own name in its namespace."""
    request: dict[str, Any] = {"model": model, "input": "who is ada?", "tools": [NAMESPACE]}
    if streamed:
        events = list(client.responses.create(**request, stream=True))
        response = events[-1].response
        done = next(e for e in events if e.type == "response.function_call_arguments.done")
        assert done.name == "find_customer"
    else:
        response = client.responses.create(**request)
    call = response.output[-1]
    assert (call.type, call.name, call.namespace) == ("function_call", "find_customer", "crm")
    answered: list[Any] = [
        {"role": "user", "content": "who is ada?"},
        call.model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": call.call_id, "output": "a mathematician"},
    ]
    client.responses.create(model="gpt-test", input=answered, tools=[NAMESPACE], tool_choice="none")
    sent = mock_upstream.mock.state.last("/v1/chat/completions").body
    assert sent["messages"][1]["tool_calls"][0]["function"]["name"] == "crm__find_customer"


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("model", ["gpt-test", "gpt-native"])
def test_a_custom_tool_is_called_with_its_input_as_text(
    client: OpenAI, mock_upstream: RunningMockUpstream, model: str, streamed: bool
) -> None:
    """Chat has no freeform tools: a custom tool is a function of one string there (its
    description names the grammar), and its call is written back as the custom tool's call."""
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch"
    request: dict[str, Any] = {"model": model, "input": patch, "tools": [CUSTOM]}
    if streamed:
        events = list(client.responses.create(**request, stream=True))
        response = events[-1].response
        done = next(e for e in events if e.type == "response.custom_tool_call_input.done")
        assert done.input == patch
        for event in events:
            assert problems(RESPONSE_EVENTS[event.type], event.model_dump(mode="json")) == [], event.type
    else:
        response = client.responses.create(**request)
    call = response.output[-1]
    assert (call.type, call.name, call.input) == ("custom_tool_call", "apply_patch", patch)
    if model == "gpt-test":
        (tool,) = mock_upstream.mock.state.last("/v1/chat/completions").body["tools"]
        assert tool["function"]["parameters"]["required"] == ["input"]
        assert "start: LINE+" in tool["function"]["description"]
    answered: list[Any] = [
        {"role": "user", "content": patch},
        call.model_dump(exclude_none=True),
        {"type": "custom_tool_call_output", "call_id": call.call_id, "output": "Done!"},
    ]
    client.responses.create(model="gpt-test", input=answered, tools=[CUSTOM], tool_choice="none")
    sent = mock_upstream.mock.state.last("/v1/chat/completions").body
    assert json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"]) == {"input": patch}
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": call.call_id, "content": "Done!"}


def test_a_policy_that_changes_the_conversation_keeps_codexs_calls_for_a_responses_provider(
    sqlite_gateway: GatewayProcess, mock_upstream: RunningMockUpstream
) -> None:
    """Support's policy prepends the house system prompt, so the gateway writes the caller's items
    again from the governed chat messages: its custom and namespaced calls go as it sent them."""
    support = new_team_key(sqlite_gateway, "codex-support", policy="support")
    client = OpenAI(base_url=sqlite_gateway.base_url, api_key=support.key, max_retries=0, timeout=30)
    items: list[Any] = [
        {"role": "user", "content": "fix the file and look the customer up"},
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "Done!"},
        {"type": "function_call", "call_id": "c2", "name": "find_customer", "namespace": "crm", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c2", "output": "a mathematician"},
    ]
    client.responses.create(model="gpt-native", input=items, tools=[CUSTOM, NAMESPACE], tool_choice="none")
    sent = mock_upstream.mock.state.last("/v1/responses").body
    assert sent["instructions"].startswith("You are a customer support assistant for Acme.")
    assert sent["input"] == items
