"""The mock upstream's OpenAI Responses API (`POST /v1/responses`), plain and as an event stream,
for the native passthrough. The upstream model name chooses the behaviour as on the chat side:
echo (default; a call of the first tool when tools are offered: a namespace's first function when
that tool is a namespace, the question as a custom tool's input), fail-500, rate-limited, leaky-400 (quotes
the Authorization header and an internal URL), error-stream (a few words, then an error event
quoting the key), refusing (a refusal part instead of text). A request with `reasoning` gets a
reasoning item first, with a summary repeating the question when `reasoning.summary` asks for
one, and its encrypted content when `include` asks for it."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

TEXT_SLICE = 6  # characters per text delta: an e-mail address spans several events


def last_user_text(items: str | list[dict[str, Any]] | None) -> str:
    if isinstance(items, str):
        return items
    for item in reversed(items or []):
        if item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            return content
        return " ".join(part.get("text", "") for part in content or [] if part.get("type") == "input_text")
    return ""


def response(body: dict[str, Any]) -> dict[str, Any]:
    asked = last_user_text(body.get("input"))
    tools = body.get("tools")
    if tools and body.get("tool_choice") != "none":
        arguments = orjson.dumps({"input": asked}).decode()
        item = {
            "type": "function_call",
            "id": "fc_mock",
            "call_id": "call_mock",
            "name": tools[0]["name"],
            "arguments": arguments,
            "status": "completed",
        }
        if tools[0]["type"] == "namespace":  # its first function, named within it
            item = {**item, "name": tools[0]["tools"][0]["name"], "namespace": tools[0]["name"]}
        if tools[0]["type"] == "custom":  # its input is the question, as text
            item = {"type": "custom_tool_call", "id": "ctc_mock", "call_id": "call_mock", "name": tools[0]["name"]}
            item["input"] = asked
        written = 4
    else:
        text = "Mock answer: " + asked
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        if body.get("model") == "refusing":
            text = "I can't help with that."
            part = {"type": "refusal", "refusal": text}
        item = {"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant", "content": [part]}
        written = len(text.split())
    prompt = len(orjson.dumps(body.get("input")).split(b" ")) + len(str(body.get("instructions") or "").split())
    output = [item]
    if body.get("reasoning"):
        thought: dict[str, Any] = {"type": "reasoning", "id": "rs_mock", "summary": []}
        if body["reasoning"].get("summary"):
            thought["summary"] = [{"type": "summary_text", "text": "The user asked: " + asked}]
        if "reasoning.encrypted_content" in (body.get("include") or []):
            thought["encrypted_content"] = "gAAAA-sealed-by-the-provider"
        output = [thought, item]
    return {
        "id": "resp_mockupstream",
        "object": "response",
        "created_at": 1,
        "model": body.get("model"),
        "status": "completed",
        "output": output,
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": written,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + written,
        },
    }


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps({"type": kind, **payload}) + b"\n\n"


def events(answer: dict[str, Any]) -> list[bytes]:
    """The answer as OpenAI streams it: text in slices (a word may span events), function call
    arguments in two halves."""
    start = {**answer, "status": "in_progress", "output": [], "usage": None}
    frames = [_event("response.created", {"response": start}), _event("response.in_progress", {"response": start})]
    for index, item in enumerate(answer["output"]):
        if item["type"] == "message":
            added = {"output_index": index, "item": {**item, "content": []}}
            frames.append(_event("response.output_item.added", added))
            part = item["content"][0]
            kind, field = ("refusal", "refusal") if part["type"] == "refusal" else ("output_text", "text")
            text = part[field]
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            for offset in range(0, len(text), TEXT_SLICE):
                delta = text[offset : offset + TEXT_SLICE]
                frames.append(_event(f"response.{kind}.delta", {**where, "delta": delta}))
            frames.append(_event(f"response.{kind}.done", {**where, field: text}))
        elif item["type"] == "reasoning":
            frames.append(
                _event("response.output_item.added", {"output_index": index, "item": {**item, "summary": []}})
            )
            for position, part in enumerate(item["summary"]):
                where = {"item_id": item["id"], "output_index": index, "summary_index": position}
                frames.append(_event("response.reasoning_summary_part.added", {**where, "part": {**part, "text": ""}}))
                for offset in range(0, len(part["text"]), TEXT_SLICE):
                    delta = part["text"][offset : offset + TEXT_SLICE]
                    frames.append(_event("response.reasoning_summary_text.delta", {**where, "delta": delta}))
                frames.append(_event("response.reasoning_summary_text.done", {**where, "text": part["text"]}))
                frames.append(_event("response.reasoning_summary_part.done", {**where, "part": part}))
        elif item["type"] == "custom_tool_call":
            frames.append(_event("response.output_item.added", {"output_index": index, "item": {**item, "input": ""}}))
            for offset in range(0, len(item["input"]), TEXT_SLICE):
                delta = {
                    "item_id": item["id"],
                    "output_index": index,
                    "delta": item["input"][offset : offset + TEXT_SLICE],
                }
                frames.append(_event("response.custom_tool_call_input.delta", delta))
        else:
            frames.append(
                _event("response.output_item.added", {"output_index": index, "item": {**item, "arguments": ""}})
            )
            arguments = item["arguments"]
            for half in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
                delta = {"item_id": item["id"], "output_index": index, "delta": half}
                frames.append(_event("response.function_call_arguments.delta", delta))
        frames.append(_event("response.output_item.done", {"output_index": index, "item": item}))
    frames.append(_event("response.completed", {"response": answer}))
    return frames


def _error(status: int, kind: str, text: str) -> web.Response:
    return web.json_response({"error": {"message": text, "type": kind, "param": None, "code": None}}, status=status)


def failure(request: web.Request, model: str) -> web.Response | None:
    if model == "fail-500":
        return _error(500, "server_error", "upstream exploded")
    if model == "rate-limited":
        response = _error(429, "rate_limit_error", "slow down")
        response.headers["Retry-After"] = "0"
        return response
    if model == "leaky-400":
        leak = f"Invalid request to http://10.1.2.3:8080/v1/responses with {request.headers.get('Authorization')}"
        return _error(400, "invalid_request_error", leak)
    return None


async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
    model = str(body.get("model"))
    refused = failure(request, model)
    if refused is not None:
        return refused
    if not body.get("stream"):
        return web.json_response(response(body))
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await stream.prepare(request)
    frames = events(response(body))
    if model == "error-stream":
        leak = f"overloaded for {request.headers.get('Authorization')}"
        frames = [*frames[:5], _event("error", {"code": "server_error", "message": leak, "param": None})]
    for frame in frames:
        await stream.write(frame)
    return stream
