"""The built-in deterministic mock model (`gateway-mock/<name>`), so the gateway answers with no key.

It echoes the last user message, so what a filter would catch in an answer can be produced on
purpose; when tools are given it calls the first one, and answers in text once a tool's result
came back (so a coding agent's loop, Claude Code's or Codex's, ends after one round); it streams
word by word.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.upstream.base import ChunkBatches, Deployment, Json

EMBEDDING_DIMENSIONS = 16


def _last_user_text(messages: Any) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _word_count(text: str) -> int:
    return max(1, len(text.split()))


def mock_answer(body: Json) -> str:
    return f"Mock answer: {_last_user_text(body.get('messages'))}"


def _tool_call(body: Json) -> dict[str, Any] | None:
    tools = body.get("tools")
    if not isinstance(tools, list) or not tools or body.get("tool_choice") == "none":
        return None
    messages = body.get("messages")
    if (
        isinstance(messages, list)
        and messages
        and isinstance(messages[-1], dict)
        and messages[-1].get("role") == "tool"
    ):
        return None  # a tool answered: the loop ends in text
    function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
    arguments = orjson.dumps({"input": _last_user_text(body.get("messages"))}).decode()
    return {
        "id": "call_mock_0",
        "type": "function",
        "function": {"name": function.get("name", "tool"), "arguments": arguments},
    }


def _completion_id(body: Json) -> str:
    return "chatcmpl-mock-" + hashlib.sha256(orjson.dumps(body.get("messages"))).hexdigest()[:20]


class MockProvider:
    async def close(self) -> None:
        return None

    async def chat(self, deployment: Deployment, body: Json) -> Json:
        requested = body.get("n")
        count = requested if isinstance(requested, int) and requested > 0 else 1
        answer = mock_answer(body)
        tool_call = _tool_call(body)
        choices = []
        for index in range(count):
            message: dict[str, Any] = {"role": "assistant", "content": None if tool_call else answer, "refusal": None}
            if tool_call:
                message["tool_calls"] = [tool_call]
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "finish_reason": "tool_calls" if tool_call else "stop",
                    "logprobs": None,
                }
            )
        prompt_tokens = sum(
            _word_count(str(m.get("content", ""))) for m in body.get("messages", []) if isinstance(m, dict)
        )
        completion_tokens = _word_count(answer) * count
        return {
            "id": _completion_id(body),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": deployment.params.upstream_model,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    async def open_stream(self, deployment: Deployment, body: Json) -> ChunkBatches:
        return self._batches(deployment, body)

    async def _batches(self, deployment: Deployment, body: Json) -> ChunkBatches:
        async for payload in self._chunks(deployment, body):
            yield [payload]

    async def _chunks(self, deployment: Deployment, body: Json) -> AsyncIterator[bytes]:
        whole = await self.chat(deployment, body)
        base = {
            "id": whole["id"],
            "object": "chat.completion.chunk",
            "created": whole["created"],
            "model": whole["model"],
        }
        for choice in whole["choices"]:
            index, message = choice["index"], choice["message"]
            yield orjson.dumps(
                {
                    **base,
                    "choices": [{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
                }
            )
            if message.get("tool_calls"):
                call = message["tool_calls"][0]
                delta = {"tool_calls": [{"index": 0, **call}]}
                yield orjson.dumps({**base, "choices": [{"index": index, "delta": delta, "finish_reason": None}]})
            else:
                words = message["content"].split(" ")
                for position, word in enumerate(words):
                    piece = word if position == 0 else " " + word
                    yield orjson.dumps(
                        {**base, "choices": [{"index": index, "delta": {"content": piece}, "finish_reason": None}]}
                    )
            yield orjson.dumps(
                {**base, "choices": [{"index": index, "delta": {}, "finish_reason": choice["finish_reason"]}]}
            )
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage"):
            yield orjson.dumps({**base, "choices": [], "usage": whole["usage"]})

    async def embeddings(self, deployment: Deployment, body: Json) -> Json:
        inputs = body.get("input")
        texts = inputs if isinstance(inputs, list) else [inputs]
        data = []
        for index, text in enumerate(texts):
            digest = hashlib.sha256(str(text).encode()).digest()
            raw = struct.unpack(f"{EMBEDDING_DIMENSIONS}h", digest)
            vector = [value / 32768 for value in raw]
            embedding: Any = vector
            if body.get("encoding_format") == "base64":  # the openai SDK asks for this by default
                embedding = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(_word_count(str(text)) for text in texts)
        return {
            "object": "list",
            "data": data,
            "model": deployment.params.upstream_model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
