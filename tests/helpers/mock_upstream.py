"""A real HTTP mock of an OpenAI-compatible provider, on loopback, for tests and the benchmark.

The upstream model name chooses the behaviour, so one server covers every case:
  echo (default)   answers "Mock answer: <last user text>", streams word by word, calls tools
  fail-500         always 500          | flaky-<N>   503 for the first N calls of that name, then echo
  rate-limited     429 + Retry-After   | slow        waits longer than any test timeout
  reset            drops the connection | malformed   200 with a body that is not JSON
  leaky-400        400 whose message quotes the Authorization header and an internal URL
  slow-stream      streams a chunk every 50 ms for 10 s (to observe client disconnects)
  error-stream     streams two words, then an error event quoting the Authorization header
  paced-echo       echo, streamed a word every 20 ms, as a model writes
  redirect         307 to `state.redirect_to` (a test's other server), to see whether it is followed
  reasoning-echo   echo, after reasoning text that repeats the question (`reasoning_content`, as
                   vLLM and DeepSeek send it), with the answer's log probabilities and fields of
                   no API's (`provider_notes`, `provider_trace`)
A `stop` string found in the answer cuts it there, reported in the choice's `stop_reason` as vLLM does.
Azure's paths (/openai/deployments/<model>/...) answer the same way, for litellm's azure/ provider.
Anthropic's Messages API (POST /v1/messages, plain and streamed) answers as `mock_messages` says,
OpenAI's Responses API (POST /v1/responses, plain and streamed) as `mock_responses` says.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tests.helpers import mock_messages, mock_responses
from tests.helpers.mock_text import cut_at_stop

SECRET_HEADERS = ("authorization", "x-api-key", "api-key")  # never written to a recording


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class MockUpstreamState:
    requests: list[Received] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    streams_started: int = 0
    streams_finished: int = 0
    streams_cancelled: int = 0
    record: bool = True
    redirect_to: str = "http://127.0.0.1:9/"
    record_to: Path | None = None  # each request appended as a JSON line (a client's, to replay in tests)

    def last(self, path: str) -> Received:
        """The latest request received on `path`."""
        return next(received for received in reversed(self.requests) if received.path == path)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


REASONING_SLICE = 6  # characters of reasoning text per streamed chunk


def _reasons(body: dict[str, Any]) -> bool:
    return body.get("model") == "reasoning-echo"


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    text, stopped_by = cut_at_stop("Mock answer: " + _last_user_text(body.get("messages", [])), body.get("stop"))
    count = body.get("n") or 1
    tools = body.get("tools")
    choices = []
    for index in range(count):
        if tools and body.get("tool_choice") != "none":
            name = tools[0]["function"]["name"]
            arguments = orjson.dumps({"input": _last_user_text(body.get("messages", []))}).decode()
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": arguments}}
                ],
            }
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": text}
            finish = "stop"
        if _reasons(body):
            message["reasoning_content"] = "Thinking over: " + _last_user_text(body.get("messages", []))
            message["provider_notes"] = "internal routing note"
        choice = {"index": index, "message": message, "finish_reason": finish, "logprobs": None}
        if _reasons(body):
            choice["logprobs"] = {"content": [{"token": word, "logprob": -0.5} for word in text.split(" ")]}
        if finish == "stop" and stopped_by is not None:
            choice["stop_reason"] = stopped_by
        choices.append(choice)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion_tokens = len(text.split()) * count
    extra = {"provider_trace": "trace-for-internal-use"} if _reasons(body) else {}
    return {
        **extra,
        "id": "chatcmpl-upstream",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _chunk(
    body: dict[str, Any],
    delta: dict[str, Any],
    finish: str | None = None,
    index: int = 0,
    stop: str | None = None,
    logprobs: dict[str, Any] | None = None,
) -> bytes:
    choice: dict[str, Any] = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": logprobs}
    if stop is not None:
        choice["stop_reason"] = stop
    payload = {
        "id": "chatcmpl-upstream",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": body.get("model"),
        "choices": [choice],
    }
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class MockUpstream:
    """The aiohttp application; `state` records what it received."""

    def __init__(self, pace_seconds: float = 0.0) -> None:
        self.state = MockUpstreamState()
        self._pace = pace_seconds  # between the chunks of a streamed answer, as a real model's pace
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self.chat)
        self.app.router.add_post("/v1/embeddings", self.embeddings)
        self.app.router.add_post("/v1/messages", self.anthropic)
        self.app.router.add_post("/v1/responses", self.responses)
        self.app.router.add_post("/openai/deployments/{model}/chat/completions", self.chat)
        self.app.router.add_post("/openai/deployments/{model}/embeddings", self.embeddings)

    async def _read(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(await request.read())
        if self.state.record:
            self.state.requests.append(Received(request.path, dict(request.headers), body))
        if self.state.record_to is not None:
            headers = {
                str(name): value for name, value in request.headers.items() if name.lower() not in SECRET_HEADERS
            }
            line = {"path": request.path_qs, "headers": headers, "body": body}
            with self.state.record_to.open("ab") as recorded:
                recorded.write(orjson.dumps(line) + b"\n")
        return body

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        model = request.match_info.get("model") or str(body.get("model", "echo"))
        self.state.calls[model] += 1
        failure = await self._failure(request, model)
        if failure is not None:
            return failure
        if body.get("stream"):
            return await self._stream(request, body, model)
        return web.Response(body=orjson.dumps(_completion(body)), content_type="application/json")

    async def _failure(self, request: web.Request, model: str) -> web.StreamResponse | None:
        if model == "fail-500":
            return web.json_response({"error": {"message": "upstream exploded", "type": "server_error"}}, status=500)
        if model.startswith("flaky-") and self.state.calls[model] <= int(model.split("-", 1)[1]):
            return web.json_response({"error": {"message": "overloaded", "type": "server_error"}}, status=503)
        if model == "rate-limited":
            return web.json_response(
                {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
                status=429,
                headers={"Retry-After": "0"},
            )
        if model == "slow":
            await asyncio.sleep(30)  # past any timeout the tests give the gateway
        if model == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if model == "redirect":
            raise web.HTTPTemporaryRedirect(self.state.redirect_to)
        if model == "malformed":
            return web.Response(body=b"<html>not json", content_type="application/json")
        if model == "leaky-400":
            secret = request.headers.get("Authorization", "")
            message = f"Invalid request to http://10.1.2.3:8080/v1/chat?key=abc with header {secret}"
            return web.json_response(
                {"error": {"message": message, "type": "invalid_request_error", "param": "messages", "code": "bad"}},
                status=400,
            )
        return None

    async def _stream(self, request: web.Request, body: dict[str, Any], model: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        self.state.streams_started += 1
        try:
            if model == "slow-stream":
                for number in range(200):
                    await response.write(_chunk(body, {"content": f"tick{number} "}))
                    await asyncio.sleep(0.05)  # a slow model: clients leave mid-stream
            elif model == "error-stream":
                await response.write(_chunk(body, {"role": "assistant", "content": "Safe"}))
                await response.write(_chunk(body, {"content": " start"}))
                leak = f"stream failed for key {request.headers.get('Authorization') or request.headers.get('api-key')}"
                await response.write(b"data: " + orjson.dumps({"error": {"message": leak, "type": "server_error"}}))
                await response.write(b"\n\n")
            else:
                completion = _completion(body)
                for choice in completion["choices"]:
                    index = choice["index"]
                    message = choice["message"]
                    await response.write(_chunk(body, {"role": "assistant", "content": ""}, index=index))
                    reasoning = message.get("reasoning_content") or ""
                    for offset in range(0, len(reasoning), REASONING_SLICE):  # an address spans several
                        thought = {"reasoning_content": reasoning[offset : offset + REASONING_SLICE]}
                        await response.write(_chunk(body, {**thought, "provider_notes": "note"}, index=index))
                    if message.get("tool_calls"):
                        call = message["tool_calls"][0]
                        await response.write(_chunk(body, {"tool_calls": [{"index": 0, **call}]}, index=index))
                    else:
                        pace = 0.02 if model == "paced-echo" else self._pace
                        for position, word in enumerate(message["content"].split(" ")):
                            if pace and position:
                                await asyncio.sleep(pace)
                            text = word if position == 0 else " " + word
                            logprobs = {"content": [{"token": text, "logprob": -0.5}]} if _reasons(body) else None
                            await response.write(_chunk(body, {"content": text}, index=index, logprobs=logprobs))
                    finish = _chunk(body, {}, choice["finish_reason"], index=index, stop=choice.get("stop_reason"))
                    await response.write(finish)
                if (body.get("stream_options") or {}).get("include_usage"):
                    usage = {
                        "id": "chatcmpl-upstream",
                        "object": "chat.completion.chunk",
                        "created": 1,
                        "model": model,
                        "choices": [],
                        "usage": completion["usage"],
                    }
                    await response.write(b"data: " + orjson.dumps(usage) + b"\n\n")
            await response.write(b"data: [DONE]\n\n")
            self.state.streams_finished += 1
        except (asyncio.CancelledError, ConnectionResetError):
            self.state.streams_cancelled += 1
            raise
        return response

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]} for i, _ in enumerate(inputs)]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            }
        )

    async def anthropic(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        self.state.calls[str(body.get("model"))] += 1
        return await mock_messages.answer(request, body)

    async def responses(self, request: web.Request) -> web.StreamResponse:
        body = await self._read(request)
        self.state.calls[str(body.get("model"))] += 1
        return await mock_responses.answer(request, body)


class RunningMockUpstream:
    """Runs a MockUpstream on a loopback port in a background thread with its own event loop."""

    def __init__(self, port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.mock = MockUpstream()
        self._port = port
        self._ssl_context = ssl_context
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.mock.app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self._port, ssl_context=self._ssl_context)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> RunningMockUpstream:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Mock OpenAI-compatible upstream")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--pace-ms", type=float, default=0.0, help="milliseconds between streamed chunks")
    parser.add_argument(
        "--record", type=Path, help="append each request (path, headers but keys, body) to this JSON-lines file"
    )
    args = parser.parse_args()
    mock = MockUpstream(pace_seconds=args.pace_ms / 1000)
    mock.state.record = False
    mock.state.record_to = args.record
    web.run_app(mock.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
