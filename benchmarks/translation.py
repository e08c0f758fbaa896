"""Benchmark: reading a Responses or Messages request into a chat body, the gateway's own way and
litellm's bridges (the Responses-to-chat transformation and the Anthropic pass-through adapter),
on the same requests: CPU per request (best of several runs), whether both say the same (the
messages compared with tool arguments parsed), and whether the bridge's body passes the chat
request allowlist as it is. Run: `.venv/bin/python -m benchmarks.translation [--calls 5000]`."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import orjson

from gateway.core.errors import InvalidRequest
from gateway.offline import apply_offline_defaults
from gateway.proxy.messages_requests import chat_body as messages_chat_body
from gateway.proxy.messages_requests import check_messages_request
from gateway.proxy.openai_requests import check_chat_request
from gateway.proxy.responses_requests import chat_body as responses_chat_body
from gateway.proxy.responses_requests import check_responses_request

SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}
RESPONSES: dict[str, dict[str, Any]] = {
    "text and instructions": {"model": "m", "instructions": "Be brief.", "input": "Summarise the report."},
    "a function call and its output": {
        "model": "m",
        "tools": [{"type": "function", "name": "lookup", "parameters": SCHEMA, "strict": False}],
        "input": [
            {"role": "user", "content": "look it up"},
            {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": '{"q":"x"}'},
            {"type": "function_call_output", "call_id": "c1", "output": "found"},
            {"role": "user", "content": [{"type": "input_text", "text": "and now?"}]},
        ],
    },
}
MESSAGES: dict[str, dict[str, Any]] = {
    "system and text": {
        "model": "m",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Summarise the report."}],
    },
    "a tool use and its result": {
        "model": "m",
        "max_tokens": 100,
        "tools": [{"name": "lookup", "input_schema": SCHEMA}],
        "messages": [
            {"role": "user", "content": "look it up"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "found"},
                    {"type": "text", "text": "and now?"},
                ],
            },
        ],
    },
}


def _ours_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    check_responses_request(body)
    messages: list[dict[str, Any]] = responses_chat_body(body, [])["messages"]
    return messages


def _ours_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    check_messages_request(body)
    messages: list[dict[str, Any]] = messages_chat_body(body)["messages"]
    return messages


def _litellm_responses(body: dict[str, Any]) -> list[dict[str, Any]]:
    from litellm.responses.litellm_completion_transformation.transformation import (
        LiteLLMCompletionResponsesConfig,
    )

    params = {key: value for key, value in body.items() if key not in ("model", "input")}
    chat = LiteLLMCompletionResponsesConfig.transform_responses_api_request_to_chat_completion_request(
        model=body["model"],
        input=body["input"],
        responses_api_request=params,  # type: ignore[arg-type]
    )
    messages: list[dict[str, Any]] = chat["messages"]
    return messages


def _litellm_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    from litellm.llms.anthropic.pass_through.adapters.transformation import LiteLLMAnthropicMessagesAdapter

    chat, _ = LiteLLMAnthropicMessagesAdapter().translate_anthropic_to_openai(body)  # type: ignore[arg-type]
    return [dict(message) for message in chat["messages"]]


def _meaning(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without empty fields and with tool arguments parsed, to compare what they say."""
    out = []
    for message in messages:
        plain = {key: value for key, value in dict(message).items() if value not in (None, "", [])}
        if "tool_calls" in plain:
            plain["tool_calls"] = [
                {
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": orjson.loads(call["function"]["arguments"]),
                }
                for call in plain["tool_calls"]
            ]
        out.append(plain)
    return out


def _allowed(messages: list[dict[str, Any]]) -> bool:
    try:
        check_chat_request({"model": "m", "messages": messages})
    except InvalidRequest:
        return False
    return True


def _cpu_us(read: Callable[[dict[str, Any]], object], body: dict[str, Any], calls: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(calls):
            read(body)
        best = min(best, (time.process_time() - started) / calls * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    apply_offline_defaults()
    print("| API | request | ours (µs) | litellm (µs) | same meaning | litellm's passes the allowlist |")
    print("|---|---|---|---|---|---|")
    suites = (
        ("Responses", RESPONSES, _ours_responses, _litellm_responses),
        ("Messages", MESSAGES, _ours_messages, _litellm_messages),
    )
    for api, cases, ours, theirs in suites:
        for name, body in cases.items():
            bridged = theirs(body)
            same = _meaning(ours(body)) == _meaning(bridged)
            print(
                f"| {api} | {name} | {_cpu_us(ours, body, args.calls):.1f} | {_cpu_us(theirs, body, args.calls):.1f} "
                f"| {'yes' if same else 'no'} | {'yes' if _allowed(bridged) else 'no'} |"
            )


if __name__ == "__main__":
    main()
