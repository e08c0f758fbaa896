"""Chat answers written as Anthropic's Messages API returns them: the message object, its event
stream (message_start, content blocks with text and tool-input deltas, message_delta with the stop
reason and usage, message_stop) and its errors. What is written has passed the filters already;
the thinking blocks of a native answer (`THINKING_FIELD`) come first, as they came, and a
reasoning model's `reasoning_content` is a thinking block of the gateway's, unsigned (the
provider's own API signs nothing: a client sends the block back only to this gateway, which
leaves it out of the chat it translates to)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from gateway.core.chat_view import REVIEW_ID_FIELD, THINKING_FIELD
from gateway.core.errors import GatewayError
from gateway.core.text_runs import TextRuns
from gateway.proxy.dialects import StreamTail

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}
TEXT_DELTA_START = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
TEXT_DELTA_MIDDLE = b',"delta":{"type":"text_delta","text":'
TEXT_START = {"type": "text", "text": ""}  # a block as it starts, before its deltas
THINKING_START = {"type": "thinking", "thinking": "", "signature": ""}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error_body(error: GatewayError) -> dict[str, Any]:
    kind = ERROR_TYPES.get(error.status_code, "api_error")
    return {"type": "error", "error": {"type": kind, "message": str(error)}}


def error_response(error: GatewayError) -> Response:
    return Response(
        orjson.dumps(error_body(error)),
        status_code=error.status_code,
        media_type="application/json",
        headers=error.headers,
    )


def stop_of(choice: dict[str, Any], refused: bool) -> tuple[str, str | None]:
    """A chat choice's Messages stop reason, with the stop sequence that ended it where the upstream
    said which: in the choice's `stop_reason`, as vLLM reports it and as Anthropic's answers are read
    back (OpenAI's chat API does not say, so its stops read as `end_turn`). A model's refusal ends
    as Anthropic's do."""
    finish = choice.get("finish_reason") or "stop"
    matched = choice.get("stop_reason")
    if finish == "stop" and refused:
        return "refusal", None
    if finish == "stop" and isinstance(matched, str):
        return "stop_sequence", matched
    return STOP_REASONS.get(finish, "end_turn"), None


def _arguments(text: str | None) -> Any:
    try:
        return orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return {}  # a model's malformed arguments: the tool gets none rather than a broken answer


def usage(chat_usage: dict[str, Any] | None) -> dict[str, Any]:
    chat_usage = chat_usage or {}
    cached = (chat_usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    return {
        "input_tokens": int(chat_usage.get("prompt_tokens") or 0) - cached,
        "output_tokens": int(chat_usage.get("completion_tokens") or 0),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
    }


def message(completion: dict[str, Any], model: str) -> dict[str, Any]:
    choice = (completion.get("choices") or [{}])[0]
    reply = choice.get("message") or {}
    content: list[dict[str, Any]] = list(reply.get(THINKING_FIELD) or [])
    if reply.get("reasoning_content"):
        content.append({"type": "thinking", "thinking": reply["reasoning_content"], "signature": ""})
    text = reply.get("content") or reply.get("refusal")
    if text:
        content.append({"type": "text", "text": text})
    for call in reply.get("tool_calls") or []:
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": _arguments(function.get("arguments")),
            }
        )
    stop_reason, stop_sequence = stop_of(choice, bool(reply.get("refusal")))
    return {
        "id": "msg_" + str(completion.get("id") or "").removeprefix("chatcmpl-"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage(completion.get("usage")),
    }


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps({"type": kind, **payload}) + b"\n\n"


class MessagesEncoder:
    """Writes a chat stream's released chunks as Messages events, block by block."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._started = False
        self._block = -1  # index of the open content block, -1 for none
        self._open: str | None = None  # "text", "thinking" or the id of the open tool_use block
        self._tools: dict[int, int] = {}  # chat tool call index -> content block index
        self._stop_reason = "end_turn"
        self._stop_sequence: str | None = None
        self._refused = False
        self._tail = StreamTail()
        self._runs = TextRuns()

    def _start(self, chunk: dict[str, Any]) -> bytes:
        self._started = True
        frame: dict[str, Any] = {
            "id": "msg_" + str(chunk.get("id") or "").removeprefix("chatcmpl-"),
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return _event("message_start", {"message": frame})

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event("content_block_stop", {"index": self._block})

    def _open_block(self, kind: str, started: dict[str, Any]) -> bytes:
        """The start of a block of `kind` (after the end of the open one), unless one is open."""
        if self._open == kind:
            return b""
        out = self._close_block()
        self._block += 1
        self._open = kind
        return out + _event("content_block_start", {"index": self._block, "content_block": started})

    def _text(self, text: str) -> bytes:
        out = self._open_block("text", TEXT_START)
        # The stream's most frequent event, written from a template (as Responses' text deltas).
        return out + b"".join((TEXT_DELTA_START, b"%d" % self._block, TEXT_DELTA_MIDDLE, orjson.dumps(text), b"}}\n\n"))

    def _reasoning_text(self, text: str) -> bytes:
        """A reasoning model's text, in an unsigned thinking block (opened at its first)."""
        out = self._open_block("thinking", THINKING_START)
        delta = {"type": "thinking_delta", "thinking": text}
        return out + _event("content_block_delta", {"index": self._block, "delta": delta})

    def _thinking(self, block: dict[str, Any]) -> bytes:
        """A thinking block as Anthropic streams one: its start, its text (whole, as the filters
        read it), its signature, its end."""
        out = self._close_block()
        self._block += 1
        if block["type"] == "redacted_thinking":
            out += _event("content_block_start", {"index": self._block, "content_block": block})
        else:
            out += _event("content_block_start", {"index": self._block, "content_block": THINKING_START})
            if block["thinking"]:
                text = {"type": "thinking_delta", "thinking": block["thinking"]}
                out += _event("content_block_delta", {"index": self._block, "delta": text})
            signature = {"type": "signature_delta", "signature": block["signature"]}
            out += _event("content_block_delta", {"index": self._block, "delta": signature})
        return out + _event("content_block_stop", {"index": self._block})

    def _tool_call(self, call: dict[str, Any]) -> bytes:
        out = b""
        position = int(call.get("index", 0))
        function = call.get("function") or {}
        if position not in self._tools:
            out += self._close_block()
            self._block += 1
            self._tools[position] = self._block
            self._open = f"tool:{position}"
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name") or "",
                "input": {},
            }
            out += _event("content_block_start", {"index": self._block, "content_block": block})
        arguments = function.get("arguments")
        if arguments:
            delta = {"type": "input_json_delta", "partial_json": arguments}
            out += _event("content_block_delta", {"index": self._tools[position], "delta": delta})
        return out

    def _chunk(self, chunk: dict[str, Any]) -> bytes:
        out = b"" if self._started else self._start(chunk)
        for choice in self._tail.first_choice(chunk):
            delta = choice.get("delta") or {}
            text = delta.get("content") or delta.get("refusal")
            self._refused = self._refused or bool(delta.get("refusal"))
            for block in delta.get(THINKING_FIELD) or []:
                out += self._thinking(block)
            if delta.get("reasoning_content"):
                out += self._reasoning_text(delta["reasoning_content"])
            if text:
                out += self._text(text)
            for call in delta.get("tool_calls") or []:
                out += self._tool_call(call)
            if choice.get("finish_reason"):
                self._stop_reason, self._stop_sequence = stop_of(choice, self._refused)
                out += self._close_block()
        return out

    def events(self, payloads: list[bytes]) -> bytes:
        if self._open == "text":
            # Mid-answer, a read of text chunks only: one delta from its template, as Responses do.
            text = self._runs.only_text(payloads)
            if text:
                return self._text(text)
        out = []
        for chunk, text in self._runs(payloads):
            if text is None:
                out.append(self._chunk(chunk))
            else:
                out.append((b"" if self._started else self._start(chunk)) + self._text(text))
        return b"".join(out)

    def end(self, payloads: list[bytes]) -> bytes:
        out = self.events(payloads) + self._close_block()
        if not self._started:
            out += self._start({})
        delta: dict[str, Any] = {"delta": {"stop_reason": self._stop_reason, "stop_sequence": self._stop_sequence}}
        delta["usage"] = usage(self._tail.usage)
        if self._tail.review_id is not None:
            delta[REVIEW_ID_FIELD] = self._tail.review_id
        return out + _event("message_delta", delta) + _event("message_stop", {})

    def error(self, error: GatewayError) -> bytes:
        return _event("error", {"error": error_body(error)["error"]})
