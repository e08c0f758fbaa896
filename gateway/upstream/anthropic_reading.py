"""Anthropic's Messages answers read as the chat view the rest of the path works on: a message as a
chat completion, its event stream as chat chunks. Text and tool uses carry over exactly, with the
stop reason and the usage (cache reads as cached prompt tokens). The stop sequence that ended an
answer rides in the choice's `stop_reason`, where vLLM reports it too.

Thinking blocks (`thinking`, its text and signature, and `redacted_thinking`) ride whole in a
field of the gateway's own (`THINKING_FIELD`) to the filters, which read a block's text, and on to
the Messages writer: a client must send them back as they came for the model to go on after a tool
use, so a block is relayed unchanged or not at all (`filters.answer`)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from gateway.core.chat_view import THINKING_FIELD
from gateway.upstream.base import Json

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def chat_id(message_id: str) -> str:
    """`msg_x` as `chatcmpl-x`, which the Messages writer turns back into `msg_x`."""
    return "chatcmpl-" + message_id.removeprefix("msg_")


def chat_usage(usage: Json) -> Json:
    cached = int(usage.get("cache_read_input_tokens") or 0)
    prompt = int(usage.get("input_tokens") or 0) + cached + int(usage.get("cache_creation_input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    result: Json = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    if cached:
        result["prompt_tokens_details"] = {"cached_tokens": cached}
    return result


def _finish(stopped: Json) -> Json:
    """A message's (or a message_delta's) stop as a chat choice's finish."""
    stop = stopped.get("stop_reason") or "end_turn"
    finish: Json = {"finish_reason": FINISH_REASONS.get(stop, "stop")}
    if stop == "stop_sequence" and isinstance(stopped.get("stop_sequence"), str):
        finish["stop_reason"] = stopped["stop_sequence"]
    return finish


def thinking_block(block: Json) -> Json | None:
    """A thinking block with its documented fields only; None for another block."""
    if block.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data") or ""}
    if block.get("type") == "thinking":
        return {"type": "thinking", "thinking": block.get("thinking") or "", "signature": block.get("signature") or ""}
    return None


def chat_completion(message: Json) -> Json:
    """A Messages answer as a chat completion."""
    texts: list[str] = []
    calls: list[Json] = []
    thinking: list[Json] = []
    for block in message.get("content") or []:
        relayed = thinking_block(block)
        if relayed is not None:
            thinking.append(relayed)
        elif block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": arguments},
                }
            )
    reply: Json = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        reply["tool_calls"] = calls
    if thinking:
        reply[THINKING_FIELD] = thinking
    return {
        "id": chat_id(str(message.get("id") or "")),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": message.get("model"),
        "choices": [{"index": 0, "message": reply, "logprobs": None, **_finish(message)}],
        "usage": chat_usage(message.get("usage") or {}),
    }


class ChunkReader:
    """Reads one Messages event stream into chat chunk payloads, event by event."""

    def __init__(self) -> None:
        self._id = "chatcmpl-"
        self._model: Any = None
        self._usage: Json = {}
        self._tools: dict[int, int] = {}  # content block index -> chat tool call index
        self._thinking: dict[int, Json] = {}  # content block index -> the thinking block it builds

    def _chunk(self, delta: Json, finish: Json | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, **(finish or {"finish_reason": None})}
        return orjson.dumps(
            {"id": self._id, "object": "chat.completion.chunk", "created": 0, "model": self._model, "choices": [choice]}
        )

    def read(self, event: Json) -> list[bytes]:
        """The chat chunks that one event stands for (none for pings and most block ends)."""
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                return [self._chunk({"content": delta.get("text") or ""})]
            thinking = self._thinking.get(int(event.get("index") or 0))
            if thinking is not None:
                if delta.get("type") == "thinking_delta":
                    thinking["thinking"] += delta.get("thinking") or ""
                elif delta.get("type") == "signature_delta":
                    thinking["signature"] += delta.get("signature") or ""
                return []
            position = self._tools.get(int(event.get("index") or 0))
            if delta.get("type") == "input_json_delta" and position is not None:
                call = {"index": position, "function": {"arguments": delta.get("partial_json") or ""}}
                return [self._chunk({"tool_calls": [call]})]
            return []
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "text" and block.get("text"):
                return [self._chunk({"content": block["text"]})]
            if block.get("type") in ("thinking", "redacted_thinking"):
                # Whole at its end: the filters read a thinking block's text whole, as it is relayed.
                self._thinking[int(event.get("index") or 0)] = {"thinking": "", "signature": "", **block}
                return []
            if block.get("type") == "tool_use":
                position = self._tools[int(event.get("index") or 0)] = len(self._tools)
                call = {
                    "index": position,
                    "id": block.get("id"),
                    "type": "function",
                    "function": {"name": block.get("name"), "arguments": ""},
                }
                return [self._chunk({"tool_calls": [call]})]
            return []
        if kind == "content_block_stop":
            finished = self._thinking.pop(int(event.get("index") or 0), None)
            relayed = None if finished is None else thinking_block(finished)
            return [] if relayed is None else [self._chunk({THINKING_FIELD: [relayed]})]
        if kind == "message_start":
            message = event.get("message") or {}
            self._id = chat_id(str(message.get("id") or ""))
            self._model = message.get("model")
            self._usage = dict(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "message_delta":
            self._usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
            usage = {"id": self._id, "object": "chat.completion.chunk", "created": 0, "model": self._model}
            return [
                self._chunk({}, _finish(event.get("delta") or {})),
                orjson.dumps({**usage, "choices": [], "usage": chat_usage(self._usage)}),
            ]
        return []
