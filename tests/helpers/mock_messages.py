"""The mock upstream's Anthropic Messages API (`POST /v1/messages`), plain and as an event stream,
for the native passthrough and litellm's anthropic/ provider. The upstream model name chooses the
behaviour as on the chat side: echo (default; a tool use when tools are offered), fail-500,
rate-limited, leaky-400 (quotes the x-api-key header and an internal URL), error-stream (two words,
then an error event quoting the key). A stop sequence found in the answer cuts it there
(`stop_reason: "stop_sequence"`, naming it). With `thinking` on, the answer starts with a signed
thinking block (its text left out with `display: "omitted"`), and as Anthropic's API does, the
mock refuses a latest assistant turn whose tool use follows no thinking block or whose thinking
block was changed."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from aiohttp import web

from tests.helpers.mock_text import cut_at_stop

TEXT_SLICE = 6  # characters per text delta: an e-mail address spans several events


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [block.get("text", "") for block in content or [] if block.get("type") == "text"]
        if texts:
            return " ".join(texts)
    return ""


def _signature(thought: str, omitted: bool) -> str:
    return ("sig-omitted-" if omitted else "sig-") + hashlib.sha256(thought.encode()).hexdigest()[:24]


def _thinking(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The answer's thinking block, where thinking is on: its text repeats the question (so a
    leak test can put something to find in it)."""
    options = body.get("thinking") or {}
    if options.get("type") not in ("enabled", "adaptive"):
        return []
    thought = "Thinking over: " + last_user_text(body.get("messages") or [])
    omitted = options.get("display") == "omitted"
    return [{"type": "thinking", "thinking": "" if omitted else thought, "signature": _signature(thought, omitted)}]


def thinking_problem(body: dict[str, Any]) -> str | None:
    """What Anthropic's API would refuse in the latest assistant turn of a thinking request."""
    if (body.get("thinking") or {}).get("type") not in ("enabled", "adaptive"):
        return None
    turns = [turn for turn in body.get("messages") or [] if turn.get("role") == "assistant"]
    content = turns[-1].get("content") if turns else None
    if not isinstance(content, list):
        return None
    for block in content:
        signature = str(block.get("signature", ""))
        if block.get("type") == "thinking" and signature.startswith("sig-omitted-") and block.get("thinking"):
            return "thinking blocks in the latest assistant message cannot be modified"
        if block.get("type") == "thinking" and not signature.startswith("sig-omitted-"):
            if signature != _signature(block.get("thinking", ""), omitted=False):
                return "thinking blocks in the latest assistant message cannot be modified"
    uses_a_tool = any(block.get("type") == "tool_use" for block in content)
    if uses_a_tool and (not content or content[0].get("type") not in ("thinking", "redacted_thinking")):
        return "Expected `thinking` or `redacted_thinking`, but found `tool_use`"
    return None


def message(body: dict[str, Any]) -> dict[str, Any]:
    text, stopped_by = cut_at_stop(
        "Mock answer: " + last_user_text(body.get("messages") or []), body.get("stop_sequences")
    )
    tools = body.get("tools")
    if tools and (body.get("tool_choice") or {}).get("type") != "none":
        arguments = {"input": last_user_text(body.get("messages") or [])}
        content = [{"type": "tool_use", "id": "toolu_mock", "name": tools[0]["name"], "input": arguments}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": text}]
        stop = "end_turn" if stopped_by is None else "stop_sequence"
    prompt = sum(len(str(turn.get("content", "")).split()) for turn in body.get("messages") or [])
    return {
        "id": "msg_mockupstream",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": _thinking(body) + content,
        "stop_reason": stop,
        "stop_sequence": stopped_by if stop == "stop_sequence" else None,
        "usage": {"input_tokens": prompt, "output_tokens": len(text.split())},
    }


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps({"type": kind, **payload}) + b"\n\n"


def events(answer: dict[str, Any]) -> list[bytes]:
    """The answer as Anthropic streams it: text in slices (a word may span events), tool input in
    two halves."""
    start = {**answer, "content": [], "stop_reason": None, "usage": {**answer["usage"], "output_tokens": 1}}
    frames = [_event("message_start", {"message": start}), _event("ping", {})]
    for index, block in enumerate(answer["content"]):
        if block["type"] == "text":
            frames.append(
                _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            )
            text = block["text"]
            for offset in range(0, len(text), TEXT_SLICE):
                delta = {"type": "text_delta", "text": text[offset : offset + TEXT_SLICE]}
                frames.append(_event("content_block_delta", {"index": index, "delta": delta}))
        elif block["type"] == "thinking":
            started = {"type": "thinking", "thinking": "", "signature": ""}
            frames.append(_event("content_block_start", {"index": index, "content_block": started}))
            thought = block["thinking"]
            for offset in range(0, len(thought), TEXT_SLICE):
                delta = {"type": "thinking_delta", "thinking": thought[offset : offset + TEXT_SLICE]}
                frames.append(_event("content_block_delta", {"index": index, "delta": delta}))
            delta = {"type": "signature_delta", "signature": block["signature"]}
            frames.append(_event("content_block_delta", {"index": index, "delta": delta}))
        else:
            frames.append(_event("content_block_start", {"index": index, "content_block": {**block, "input": {}}}))
            arguments = orjson.dumps(block["input"]).decode()
            for half in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
                delta = {"type": "input_json_delta", "partial_json": half}
                frames.append(_event("content_block_delta", {"index": index, "delta": delta}))
        frames.append(_event("content_block_stop", {"index": index}))
    delta = {"stop_reason": answer["stop_reason"], "stop_sequence": answer["stop_sequence"]}
    frames.append(
        _event("message_delta", {"delta": delta, "usage": {"output_tokens": answer["usage"]["output_tokens"]}})
    )
    frames.append(_event("message_stop", {}))
    return frames


def _error(status: int, kind: str, text: str) -> web.Response:
    return web.json_response({"type": "error", "error": {"type": kind, "message": text}}, status=status)


def failure(request: web.Request, model: str) -> web.Response | None:
    if model == "fail-500":
        return _error(500, "api_error", "upstream exploded")
    if model == "rate-limited":
        response = _error(429, "rate_limit_error", "slow down")
        response.headers["Retry-After"] = "0"
        return response
    if model == "leaky-400":
        leak = f"Invalid request to http://10.1.2.3:8080/v1/messages with key {request.headers.get('x-api-key')}"
        return _error(400, "invalid_request_error", leak)
    return None


async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
    model = str(body.get("model"))
    refused = failure(request, model)
    if refused is not None:
        return refused
    problem = thinking_problem(body)
    if problem is not None:
        return _error(400, "invalid_request_error", problem)
    if not body.get("stream"):
        return web.json_response(message(body))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    frames = events(message(body))
    if model == "error-stream":
        leak = f"overloaded for key {request.headers.get('x-api-key')}"
        frames = [*frames[:5], _event("error", {"error": {"type": "overloaded_error", "message": leak}})]
    for frame in frames:
        await response.write(frame)
    return response
