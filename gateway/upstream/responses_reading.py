"""OpenAI's Responses answers read as the chat view the rest of the path works on: a response as a
chat completion, its event stream as chat chunks. Output text and function calls carry over
exactly, with the finish reason (from the status and `incomplete_details`) and the usage (cached
input tokens as cached prompt tokens, reasoning tokens as such), and refusal parts as the chat
message's refusal. Reasoning items have no place in a chat answer: they ride in a field of their
own (`REASONING_FIELD`) to the Responses writer (the filters read their summaries)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from gateway.core.chat_view import REASONING_FIELD, custom_arguments, namespaced
from gateway.upstream.base import Json

INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}
# The events after which the stream has nothing more to say.
FINAL_EVENTS = frozenset({"response.completed", "response.incomplete"})
TEXT_MARK = "\x00text\x00"  # stands for a delta's text while a chunk's template is written


def chat_id(response_id: str) -> str:
    return "chatcmpl-" + response_id.removeprefix("resp_")


def chat_usage(usage: Json) -> Json:
    prompt = int(usage.get("input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    result: Json = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    cached = int((usage.get("input_tokens_details") or {}).get("cached_tokens") or 0)
    if cached:
        result["prompt_tokens_details"] = {"cached_tokens": cached}
    reasoning = int((usage.get("output_tokens_details") or {}).get("reasoning_tokens") or 0)
    if reasoning:
        result["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return result


def finish_reason(response: Json, called: bool) -> str:
    if response.get("status") == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return INCOMPLETE_REASONS.get(str(reason), "length")
    return "tool_calls" if called else "stop"


def _call(item: Json) -> Json:
    return {
        "id": item.get("call_id"),
        "type": "function",
        "function": {
            "name": namespaced(str(item.get("name") or ""), item.get("namespace")),
            "arguments": item.get("arguments") or "",
        },
    }


def _custom_call(item: Json) -> Json:
    """A custom tool's call as a chat call of a function of one string (its input)."""
    name = namespaced(str(item.get("name") or ""), item.get("namespace"))
    arguments = custom_arguments(str(item.get("input") or ""))
    return {"id": item.get("call_id"), "type": "function", "function": {"name": name, "arguments": arguments}}


def relayed_reasoning(item: Json) -> Json:
    """A reasoning item as the caller gets it: its id, its summary (model text, screened on its way
    as an answer's other texts are: `filters.answer`) and its encrypted content, which only the
    provider can read, so that a client keeping no state (`store: false`) can send it back."""
    summary = [
        {"type": "summary_text", "text": part["text"]}
        for part in item.get("summary") or []
        if isinstance(part, dict) and part.get("type") == "summary_text" and isinstance(part.get("text"), str)
    ]
    relayed: Json = {"type": "reasoning", "id": item.get("id"), "summary": summary}
    if item.get("encrypted_content"):
        relayed["encrypted_content"] = item["encrypted_content"]
    return relayed


def chat_completion(response: Json) -> Json:
    """A Responses answer as a chat completion."""
    texts: list[str] = []
    refusals: list[str] = []
    calls: list[Json] = []
    reasoning: list[Json] = []
    for item in response.get("output") or []:
        if item.get("type") == "reasoning":
            reasoning.append(relayed_reasoning(item))
        elif item.get("type") == "message":
            for part in item.get("content") or []:
                if part.get("type") == "output_text":
                    texts.append(part.get("text") or "")
                elif part.get("type") == "refusal":
                    refusals.append(part.get("refusal") or "")
        elif item.get("type") == "function_call":
            calls.append(_call(item))
        elif item.get("type") == "custom_tool_call":
            calls.append(_custom_call(item))
    reply: Json = {"role": "assistant", "content": "".join(texts) if texts or not (calls or refusals) else None}
    if refusals:
        reply["refusal"] = "".join(refusals)
    if calls:
        reply["tool_calls"] = calls
    if reasoning:
        reply[REASONING_FIELD] = reasoning
    return {
        "id": chat_id(str(response.get("id") or "")),
        "object": "chat.completion",
        "created": int(response.get("created_at") or time.time()),
        "model": response.get("model"),
        "choices": [
            {"index": 0, "message": reply, "finish_reason": finish_reason(response, bool(calls)), "logprobs": None}
        ],
        "usage": chat_usage(response.get("usage") or {}),
    }


class ChunkReader:
    """Reads one Responses event stream into chat chunk payloads, event by event."""

    def __init__(self) -> None:
        self._id = "chatcmpl-"
        self._model: Any = None
        self._calls: dict[str, int] = {}  # function call item id -> chat tool call index
        self._text_around = self._text_template()  # a text chunk's bytes before and after its text

    def _chunk(self, delta: Json, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return orjson.dumps(
            {"id": self._id, "object": "chat.completion.chunk", "created": 0, "model": self._model, "choices": [choice]}
        )

    def _text_template(self) -> tuple[bytes, bytes]:
        before, _, after = self._chunk({"content": TEXT_MARK}).partition(orjson.dumps(TEXT_MARK))
        return before, after

    def read(self, event: Json) -> list[bytes]:
        """The chat chunks that one event stands for (none for the many bookkeeping events)."""
        kind = event.get("type")
        if kind == "response.output_text.delta":
            # The stream's most frequent event, written from a template: the chunk's bytes around
            # its text are the same for every delta of one response.
            before, after = self._text_around
            return [before + orjson.dumps(event.get("delta") or "") + after]
        if kind == "response.refusal.delta":
            return [self._chunk({"refusal": event.get("delta") or ""})]
        if kind == "response.function_call_arguments.delta":
            position = self._calls.get(str(event.get("item_id")))
            if position is None:
                return []
            return [self._chunk({"tool_calls": [{"index": position, "function": {"arguments": event.get("delta")}}]})]
        if kind == "response.output_item.done":
            item = event.get("item") or {}
            if item.get("type") == "custom_tool_call":  # whole at its end, its input with it
                position = self._calls[str(item.get("id"))] = len(self._calls)
                return [self._chunk({"tool_calls": [{**_custom_call(item), "index": position}]})]
            if item.get("type") != "reasoning":
                return []
            return [self._chunk({REASONING_FIELD: [relayed_reasoning(item)]})]
        if kind == "response.output_item.added":
            item = event.get("item") or {}
            if item.get("type") != "function_call":
                return []
            position = self._calls[str(item.get("id"))] = len(self._calls)
            call = {**_call(item), "index": position}
            return [self._chunk({"tool_calls": [call]})]
        if kind == "response.created":
            response = event.get("response") or {}
            self._id = chat_id(str(response.get("id") or ""))
            self._model = response.get("model")
            self._text_around = self._text_template()
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind in FINAL_EVENTS:
            response = event.get("response") or {}
            usage = {"id": self._id, "object": "chat.completion.chunk", "created": 0, "model": self._model}
            return [
                self._chunk({}, finish_reason(response, bool(self._calls))),
                orjson.dumps({**usage, "choices": [], "usage": chat_usage(response.get("usage") or {})}),
            ]
        return []
