"""Token counts: the provider's own `usage` when it sends one, else tiktoken's count.

tiktoken reads its encodings from TIKTOKEN_CACHE_DIR, which `gateway.offline.apply_offline_defaults`
points at the copies litellm ships, so counting works with no internet. The per-message overhead
follows OpenAI's cookbook ("How to count tokens with tiktoken"): 3 tokens per message, 1 per name,
3 to prime the reply. Images and audio parts are not counted (their cost is not in text tokens).

Requests and answers arrive as parsed JSON, so their objects are checked with `isinstance(x, dict)`:
with cold caches, as under load, an ABC check (`Mapping`) costs a request about 6 µs more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import tiktoken

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
# Texts up to this length are counted once and remembered (at most CACHED_TEXTS of them: 16 MB or so).
CACHED_TEXT_CHARS = 16_384
CACHED_TEXTS = 1024
# Model families that use the o200k encoding; every other name falls back to cl100k.
O200K_FAMILIES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4")


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Prompt and completion tokens of one request, and whether the gateway counted them itself."""

    prompt_tokens: int
    completion_tokens: int
    counted: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def encoding_name_for(model: str) -> str:
    """o200k_base for the gpt-4o family (and later OpenAI models), cl100k_base for anything else."""
    name = model.rsplit("/", 1)[-1].lower()
    return "o200k_base" if name.startswith(O200K_FAMILIES) else "cl100k_base"


def provider_usage(payload: Mapping[str, Any]) -> TokenUsage | None:
    """The `usage` object of a response or chunk, if it carries token counts."""
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if not isinstance(prompt, int):
        return None
    return TokenUsage(prompt, completion if isinstance(completion, int) else 0)


class TokenCounter:
    """Counts tokens with tiktoken; holds the loaded encodings (loading one takes ~0.3 s)."""

    def __init__(self) -> None:
        self._encodings: dict[str, tiktoken.Encoding] = {}
        self._encoding_names: dict[str, str] = {}  # model -> encoding name: a lookup on every count
        # (encoding name, text) -> tokens, the oldest forgotten first. Not an LRU: its bookkeeping
        # on every hit touches memory nothing else in a request does, and a limited request
        # counts its prompt before the call, where under load each cold cache line costs.
        self._remembered: dict[tuple[str, str], int] = {}

    def encoding_for(self, model: str) -> tiktoken.Encoding:
        return self._encoding(encoding_name_for(model))

    def _encoding(self, name: str) -> tiktoken.Encoding:
        encoding = self._encodings.get(name)
        if encoding is None:
            encoding = self._encodings[name] = tiktoken.get_encoding(name)
        return encoding

    def count_text(self, text: str, model: str) -> int:
        return self._tokens(encoding_name_for(model), text)

    def _tokens(self, encoding_name: str, text: str) -> int:
        if not text:
            return 0
        if len(text) > CACHED_TEXT_CHARS:
            return self._count(encoding_name, text)
        # System prompts and library prompts come back request after request: count them once.
        key = (encoding_name, text)
        tokens = self._remembered.get(key)
        if tokens is None:
            if len(self._remembered) >= CACHED_TEXTS:
                del self._remembered[next(iter(self._remembered))]
            tokens = self._remembered[key] = self._count(encoding_name, text)
        return tokens

    def _count(self, encoding_name: str, text: str) -> int:
        # disallowed_special=() : a prompt may legitimately contain "<|endoftext|>" as text.
        return len(self._encoding(encoding_name).encode(text, disallowed_special=()))

    def count_messages(self, messages: Any, model: str, tools: Any = None) -> int:
        """Prompt tokens of a chat request's messages (and tool definitions, encoded as JSON)."""
        encoding = self._encoding_names.get(model)
        if encoding is None:
            encoding = self._encoding_names[model] = encoding_name_for(model)
        total = REPLY_PRIMING_TOKENS
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            # Plain text needs no generator: limited requests count their prompt before the call.
            text = content if isinstance(content, str) else "".join(_content_texts(content))
            total += (
                TOKENS_PER_MESSAGE + self._tokens(encoding, str(message.get("role", ""))) + self._tokens(encoding, text)
            )
            if message.get("name"):
                total += TOKENS_PER_NAME + self._tokens(encoding, str(message["name"]))
            if message.get("tool_calls"):
                total += self._tokens(encoding, "".join(tool_call_texts(message["tool_calls"])))
        if tools:
            total += self._tokens(encoding, orjson.dumps(tools).decode())
        return total

    def count_embedding_input(self, value: Any, model: str) -> int:
        """Tokens of an embeddings request's `input` (a string or a list of strings)."""
        items = value if isinstance(value, list) else [value]
        return sum(self.count_text(item, model) if isinstance(item, str) else len(item or []) for item in items)

    def count_completion(self, response: Mapping[str, Any], model: str) -> int:
        """Completion tokens of a whole chat response: every choice's text and tool-call arguments."""
        total = 0
        for choice in response.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict):
                total += self.count_text("".join(_content_texts(message.get("content"))), model)
                total += self.count_text("".join(tool_call_texts(message.get("tool_calls"))), model)
        return total

    def usage_of_response(self, response: Mapping[str, Any], messages: Any, model: str) -> TokenUsage:
        """The provider's usage when present, else a tiktoken count of prompt and answer."""
        reported = provider_usage(response)
        if reported is not None:
            return reported
        return TokenUsage(self.count_messages(messages, model), self.count_completion(response, model), counted=True)


def _content_texts(content: Any) -> Iterable[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield part["text"]


def tool_call_texts(tool_calls: Any) -> Iterable[str]:
    """The function names and argument strings of a message's (or a delta's) tool calls."""
    for call in tool_calls if isinstance(tool_calls, list) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            for key in ("name", "arguments"):
                if isinstance(function.get(key), str):
                    yield function[key]
