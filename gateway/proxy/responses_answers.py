"""Chat answers written as OpenAI's Responses API returns them: the response object (output
messages and function calls, status, usage) and its event stream (response.created, output items
and content parts added, text and argument deltas, their done events, response.completed or
response.incomplete). A reasoning model's `reasoning_content` is a reasoning item with its text
(`reasoning_text`), as OpenAI's open-weight models answer. What is written has passed the filters
already."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from gateway.core.chat_view import REASONING_FIELD, REVIEW_ID_FIELD, custom_input, split_namespaced
from gateway.core.errors import GatewayError
from gateway.core.text_runs import TextRuns
from gateway.proxy.dialects import StreamTail
from gateway.proxy.responses_requests import tool_kinds

TEXT_DELTA_START = b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":'
TEXT_DELTA_END = b',"logprobs":[]}\n\n'
INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


def usage(chat_usage: dict[str, Any] | None) -> dict[str, Any]:
    chat_usage = chat_usage or {}
    prompt = int(chat_usage.get("prompt_tokens") or 0)
    completion = int(chat_usage.get("completion_tokens") or 0)
    cached = (chat_usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (chat_usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return {
        "input_tokens": prompt,
        # Chat usage does not say what was written to a cache; OpenAI's types require the count.
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + completion,
    }


def _tools(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's tools as a response repeats them: functions with each field, others as sent."""
    return [
        {
            "type": "function",
            "name": tool["name"],
            "description": tool.get("description"),
            "parameters": tool.get("parameters"),
            "strict": tool.get("strict"),
        }
        if tool["type"] == "function"
        else tool
        for tool in request.get("tools") or []
    ]


class ResponseFrame:
    """The fields of a response that come from its request, and its identity."""

    def __init__(self, request: dict[str, Any], response_id: str) -> None:
        self.id = response_id
        self.reasoning_id = reasoning_item_id(response_id)
        self.namespaces, self.custom_tools = tool_kinds(request.get("tools") or [])
        self.created_at = int(time.time())
        self._request = request

    def response(self, status: str, output: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        request = self._request
        text = request.get("text") or {}
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": None,
            "incomplete_details": None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "model": request["model"],
            "output": output,
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "previous_response_id": request.get("previous_response_id"),
            "reasoning": {"effort": (request.get("reasoning") or {}).get("effort"), "summary": None},
            "store": request.get("store", True),
            "temperature": request.get("temperature", 1.0),
            "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity", "medium")},
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": _tools(request),
            "top_p": request.get("top_p", 1.0),
            "truncation": request.get("truncation", "disabled"),
            "user": request.get("user"),
            "metadata": request.get("metadata") or {},
            "usage": None,
            **extra,
        }

    def finished(self, output: list[dict[str, Any]], finish_reason: str | None, chat_usage: Any) -> dict[str, Any]:
        reason = INCOMPLETE_REASONS.get(finish_reason or "")
        status = "incomplete" if reason else "completed"
        if reason and output and output[-1]["type"] == "message":
            output = [*output[:-1], {**output[-1], "status": "incomplete"}]  # the message that was cut
        return self.response(
            status,
            output,
            incomplete_details={"reason": reason} if reason else None,
            usage=usage(chat_usage),
            completed_at=int(time.time()) if status == "completed" else None,
        )


def reasoning_item_id(response_id: str) -> str:
    """The id of the reasoning item the gateway writes for a chat answer's reasoning text."""
    return "rs_" + response_id.removeprefix("resp_")


def _reasoning_text(item_id: str, text: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": item_id, "summary": [], "content": [{"type": "reasoning_text", "text": text}]}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message(item_id: str, text: str | None, refusal: str | None, status: str = "completed") -> dict[str, Any]:
    content = [_text_part(text)] if text else []
    if refusal:
        content.append({"type": "refusal", "refusal": refusal})
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def _tool_call(call: dict[str, Any], frame: ResponseFrame, status: str = "completed") -> dict[str, Any]:
    """A chat tool call as the Responses item it stands for: a custom tool's call (which has no
    status), or a function's."""
    function = call.get("function") or {}
    if function.get("name") in frame.custom_tools:
        return {
            "type": "custom_tool_call",
            "id": "ctc_" + str(call.get("id") or ""),
            "call_id": call.get("id"),
            "name": function["name"],
            "input": custom_input(function.get("arguments") or "") if status == "completed" else "",
        }
    return _function_call(call, frame.namespaces, status)


def _function_call(call: dict[str, Any], namespaces: tuple[str, ...], status: str = "completed") -> dict[str, Any]:
    function = call.get("function") or {}
    name: str = function.get("name") or ""
    item = {
        "type": "function_call",
        "id": "fc_" + str(call.get("id") or ""),
        "call_id": call.get("id"),
        "name": name,
        "arguments": function.get("arguments") or "",
        "status": status,
    }
    item["name"], namespace = split_namespaced(name, namespaces)
    if namespace is not None:
        item["namespace"] = namespace
    return item


def answer_output(frame: ResponseFrame, completion: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The first choice's output items, and its finish reason."""
    choice = (completion.get("choices") or [{}])[0]
    reply = choice.get("message") or {}
    output: list[dict[str, Any]] = list(reply.get(REASONING_FIELD) or [])  # a native answer's, first
    if reply.get("reasoning_content"):
        output.append(_reasoning_text(frame.reasoning_id, reply["reasoning_content"]))
    if reply.get("content") or reply.get("refusal"):
        item_id = "msg_" + str(completion.get("id") or "").removeprefix("chatcmpl-")
        output.append(_message(item_id, reply.get("content"), reply.get("refusal")))
    output += [_tool_call(call, frame) for call in reply.get("tool_calls") or []]
    return output, choice.get("finish_reason")


def response_object(frame: ResponseFrame, completion: dict[str, Any]) -> dict[str, Any]:
    output, finish_reason = answer_output(frame, completion)
    return frame.finished(output, finish_reason, completion.get("usage"))


Store = Callable[[dict[str, Any]], None]


class ResponsesEncoder:
    """Writes a chat stream's released chunks as Responses events; at the end the whole response,
    stored first (when the request asked for it)."""

    def __init__(self, frame: ResponseFrame, store: Store | None) -> None:
        self._frame = frame
        self._item_id = "msg_" + frame.id.removeprefix("resp_")
        self._store = store
        self._sequence = 0
        self._started = False
        self._output: list[dict[str, Any]] = []  # items so far; the open one is last
        self._text: list[str] = []
        self._refusal: list[str] = []
        self._message_open = False
        self._delta_middle: bytes | None = None  # a text delta's bytes between its number and text
        self._calls: dict[int, dict[str, Any]] = {}  # chat tool call index -> its output item
        self._arguments: dict[int, list[str]] = {}
        self._open_call: int | None = None
        self._thinking: list[str] | None = None  # the open reasoning item's text so far, if one is open
        self._finish_reason: str | None = None
        self._tail = StreamTail()
        self._runs = TextRuns()

    def _event(self, kind: str, **payload: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **payload}
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _start(self) -> bytes:
        self._started = True
        response = self._frame.response("in_progress", [])
        return self._event("response.created", response=response) + self._event(
            "response.in_progress", response=response
        )

    def _message_id(self) -> str:
        return self._item_id

    def _open_message(self) -> bytes:
        out = self._close_reasoning_text() + self._close_call()
        if self._message_open:
            return out
        self._message_open = True
        index = len(self._output)
        self._output.append(_message(self._message_id(), None, None, status="in_progress"))
        return out + self._event("response.output_item.added", output_index=index, item=self._output[-1])

    def _text_delta(self, text: str) -> bytes:
        out = self._open_message()
        index = len(self._output) - 1
        if not self._text:
            out += self._event(
                "response.content_part.added",
                item_id=self._message_id(),
                output_index=index,
                content_index=0,
                part=_text_part(""),
            )
        if self._delta_middle is None:
            item = self._message_id().encode()
            self._delta_middle = b',"item_id":"%s","output_index":%d,"content_index":0,"delta":' % (item, index)
        return out + self._next_text_delta(self._delta_middle, text)

    def _next_text_delta(self, middle: bytes, text: str) -> bytes:
        """The stream's most frequent event, written from a template (about a third of its CPU when
        each one was a dict for orjson; benchmarks.proxy --apis responses), once the message's text
        part is open."""
        self._text.append(text)
        sequence = self._sequence
        self._sequence = sequence + 1
        return b"".join((TEXT_DELTA_START, b"%d" % sequence, middle, orjson.dumps(text), TEXT_DELTA_END))

    def _refusal_delta(self, text: str) -> bytes:
        out = self._open_message()
        index = len(self._output) - 1
        content_index = 1 if self._text else 0
        if not self._refusal:
            out += self._event(
                "response.content_part.added",
                item_id=self._message_id(),
                output_index=index,
                content_index=content_index,
                part={"type": "refusal", "refusal": ""},
            )
        self._refusal.append(text)
        return out + self._event(
            "response.refusal.delta",
            item_id=self._message_id(),
            output_index=index,
            content_index=content_index,
            delta=text,
        )

    def _close_message(self) -> bytes:
        if not self._message_open:
            return b""
        self._message_open = False
        self._delta_middle = None  # a later message has another output index
        index = len(self._output) - 1
        text, refusal = "".join(self._text), "".join(self._refusal)
        item_id = self._message_id()
        out = b""
        if self._text:
            out += self._event(
                "response.output_text.done",
                item_id=item_id,
                output_index=index,
                content_index=0,
                text=text,
                logprobs=[],
            )
            out += self._event(
                "response.content_part.done",
                item_id=item_id,
                output_index=index,
                content_index=0,
                part=_text_part(text),
            )
        if self._refusal:
            content_index = 1 if self._text else 0
            out += self._event(
                "response.refusal.done",
                item_id=item_id,
                output_index=index,
                content_index=content_index,
                refusal=refusal,
            )
            out += self._event(
                "response.content_part.done",
                item_id=item_id,
                output_index=index,
                content_index=content_index,
                part={"type": "refusal", "refusal": refusal},
            )
        cut = self._finish_reason in INCOMPLETE_REASONS  # known here only when the message ends the answer
        self._output[index] = _message(item_id, text or None, refusal or None, "incomplete" if cut else "completed")
        return out + self._event("response.output_item.done", output_index=index, item=self._output[index])

    def _call_delta(self, call: dict[str, Any]) -> bytes:
        position = int(call.get("index", 0))
        function = call.get("function") or {}
        out = b""
        if position not in self._calls:
            out += self._close_reasoning_text() + self._close_message() + self._close_call()
            item = _tool_call(call, self._frame, status="in_progress")
            self._calls[position] = item
            self._arguments[position] = []
            self._open_call = position
            self._output.append(item)
            out += self._event("response.output_item.added", output_index=len(self._output) - 1, item=item)
        item = self._calls[position]
        arguments = function.get("arguments")
        if arguments:
            self._arguments[position].append(arguments)
            if item["type"] == "function_call":  # a custom tool's input comes whole at its end
                out += self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=self._output.index(item),
                    delta=arguments,
                )
        return out

    def _close_call(self) -> bytes:
        if self._open_call is None:
            return b""
        position, self._open_call = self._open_call, None
        item = self._calls[position]
        index = self._output.index(item)
        arguments = "".join(self._arguments[position])
        if item["type"] == "custom_tool_call":
            text = custom_input(arguments)
            done = {**item, "input": text}
            where = {"item_id": item["id"], "output_index": index}
            out = self._event("response.custom_tool_call_input.delta", **where, delta=text)
            out += self._event("response.custom_tool_call_input.done", **where, input=text)
        else:
            done = {**item, "arguments": arguments, "status": "completed"}
            out = self._event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                name=item["name"],
                arguments=arguments,
            )
        self._output[index] = self._calls[position] = done
        return out + self._event("response.output_item.done", output_index=index, item=done)

    def _reasoning(self, item: dict[str, Any]) -> bytes:
        """A native answer's reasoning item, whole (its summaries were screened whole): added,
        each summary as one part and one delta, done."""
        out = self._close_reasoning_text() + self._close_message() + self._close_call()
        index = len(self._output)
        self._output.append(item)
        out += self._event("response.output_item.added", output_index=index, item={**item, "summary": []})
        for position, part in enumerate(item["summary"]):
            where = {"item_id": item["id"], "output_index": index, "summary_index": position}
            out += self._event("response.reasoning_summary_part.added", **where, part={**part, "text": ""})
            out += self._event("response.reasoning_summary_text.delta", **where, delta=part["text"])
            out += self._event("response.reasoning_summary_text.done", **where, text=part["text"])
            out += self._event("response.reasoning_summary_part.done", **where, part=part)
        return out + self._event("response.output_item.done", output_index=index, item=item)

    def _reasoning_text_delta(self, text: str) -> bytes:
        """A reasoning model's text, in a reasoning item of the gateway's (opened at its first)."""
        out = b""
        if self._thinking is None:
            out += self._close_message() + self._close_call()
            self._thinking = []
            self._output.append({"type": "reasoning", "id": self._frame.reasoning_id, "summary": [], "content": []})
            out += self._event("response.output_item.added", output_index=len(self._output) - 1, item=self._output[-1])
            opened = {"type": "reasoning_text", "text": ""}
            out += self._event("response.content_part.added", **self._reasoning_where(), part=opened)
        self._thinking.append(text)
        return out + self._event("response.reasoning_text.delta", **self._reasoning_where(), delta=text)

    def _reasoning_where(self) -> dict[str, Any]:
        return {"item_id": self._frame.reasoning_id, "output_index": len(self._output) - 1, "content_index": 0}

    def _close_reasoning_text(self) -> bytes:
        if self._thinking is None:
            return b""
        text, self._thinking = "".join(self._thinking), None
        where = self._reasoning_where()
        item = self._output[-1] = _reasoning_text(self._frame.reasoning_id, text)
        out = self._event("response.reasoning_text.done", **where, text=text)
        out += self._event("response.content_part.done", **where, part=item["content"][0])
        return out + self._event("response.output_item.done", output_index=where["output_index"], item=item)

    def _chunk(self, chunk: dict[str, Any]) -> bytes:
        out = b"" if self._started else self._start()
        for choice in self._tail.first_choice(chunk):
            delta = choice.get("delta") or {}
            for item in delta.get(REASONING_FIELD) or []:
                out += self._reasoning(item)
            if delta.get("reasoning_content"):
                out += self._reasoning_text_delta(delta["reasoning_content"])
            if delta.get("content"):
                out += self._text_delta(delta["content"])
            if delta.get("refusal"):
                out += self._refusal_delta(delta["refusal"])
            for call in delta.get("tool_calls") or []:
                out += self._call_delta(call)
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
        return out

    def events(self, payloads: list[bytes]) -> bytes:
        middle = self._delta_middle
        if middle is not None:
            # Mid-answer, a network read of text chunks only: nothing to open or close, and each
            # chunk read from its template. Most of a stream's reads are so; the general path
            # below cost about twice as much per chunk (benchmarks.proxy --apis responses).
            text = self._runs.only_text(payloads)
            if text:
                return self._next_text_delta(middle, text)
        out = []
        for chunk, text in self._runs(payloads):
            if text is None:
                out.append(self._chunk(chunk))
            else:
                out.append((b"" if self._started else self._start()) + self._text_delta(text))
        return b"".join(out)

    def end(self, payloads: list[bytes]) -> bytes:
        out = self.events(payloads)
        if not self._started:
            out += self._start()
        out += self._close_reasoning_text() + self._close_message() + self._close_call()
        extra = {REVIEW_ID_FIELD: self._tail.review_id} if self._tail.review_id else {}
        response = {**self._frame.finished(self._output, self._finish_reason, self._tail.usage), **extra}
        if self._store is not None:
            self._store(response)
        kind = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
        return out + self._event(kind, response=response)

    def error(self, error: GatewayError) -> bytes:
        body = error.body()["error"]
        failed = self._frame.response(
            "failed", self._output, error={"code": "server_error", "message": body["message"]}
        )
        return self._event("error", code=body["code"], message=body["message"], param=body["param"]) + self._event(
            "response.failed", response=failed
        )
