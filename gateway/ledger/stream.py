"""Usage of a streamed answer: ask the provider for it, watch the chunks, count what was generated.

The gateway always asks upstream for `stream_options.include_usage`, so the provider's own count
arrives in a last chunk with no choices; a client that did not ask for it must not see that chunk
(OpenAI sends it only on request). When the provider sends no usage, or the client leaves before
the end, the text generated so far is counted with tiktoken: the client pays for what was made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.ledger.tokens import TokenCounter, TokenUsage, provider_usage, tool_call_texts

# Chunks are parsed for their text only when it is needed (no usage reported, or the client left),
# or once this many wait: most answers never pay for it, and a long one holds at most this many.
UNREAD_CHUNKS = 256
# A `usage` key whose value is not null, found without parsing: JSON escapes every quote inside a
# string, so an unescaped `"usage"` followed by a colon is a key (OpenAI sends `"usage":null` in
# every chunk before the last).
_USAGE_REPORT = re.compile(rb'"usage"[ \t\r]*:[ \t\r]*(?!null)')


def client_wants_usage(body: Mapping[str, Any]) -> bool:
    """True if the client itself asked for the usage chunk."""
    options = body.get("stream_options")
    return isinstance(options, Mapping) and bool(options.get("include_usage"))


def with_usage_requested(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a streamed request body that asks upstream for the usage chunk."""
    upstream = dict(body)
    given = body.get("stream_options")
    options: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    options["include_usage"] = True
    upstream["stream_options"] = options
    return upstream


class StreamUsageTracker:
    """Fed every chunk payload (the JSON after `data: `) of one stream, in order."""

    def __init__(
        self,
        counter: TokenCounter,
        model: str,
        body: Mapping[str, Any],
        *,
        prompt_tokens: int | None = None,
        forward_usage_chunk: bool,
    ) -> None:
        """`prompt_tokens`: the count made before the call, if any; else the prompt of `body` is
        counted only when the provider reports no usage."""
        self._counter = counter
        self._model = model
        self._body = body
        self._prompt_tokens = prompt_tokens
        self._forward_usage_chunk = forward_usage_chunk
        self._pieces: list[str] = []
        self._unread: list[bytes] = []  # payloads whose text is not yet in _pieces (read lazily)
        self.reported: TokenUsage | None = None

    def feed_batch(self, payloads: list[bytes]) -> list[bytes]:
        """Record a network read's payloads; return those to forward, in order. The read is
        searched once for a usage report: a look at each chunk was a large part of the CPU a
        streamed answer costs (benchmarks.proxy, streamed), and only the last chunk reports it."""
        self._unread += payloads
        if len(self._unread) >= UNREAD_CHUNKS:
            self._read_unread()  # a long stream keeps its text, not every chunk it came in
        read = b"\n".join(payloads)
        found = _USAGE_REPORT.search(read)
        if found is None:
            return payloads  # read for their text only if that is ever needed
        first = read.count(b"\n", 0, found.start())  # payloads hold no line breaks
        return payloads[:first] + [payload for payload in payloads[first:] if self._forwards(payload)]

    def _forwards(self, payload: bytes) -> bool:
        """Keep the usage a chunk reports; return whether the chunk goes on to the client."""
        if _USAGE_REPORT.search(payload) is None:
            return True
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return True  # not ours to judge: the stream forwards it as it came
        if not isinstance(chunk, dict):
            return True
        reported = provider_usage(chunk)
        if reported is None:
            return True
        self.reported = reported
        return self._forward_usage_chunk or bool(chunk.get("choices"))

    @property
    def text(self) -> str:
        """Everything generated so far (content, refusals, tool-call names and arguments)."""
        self._read_unread()
        return "".join(self._pieces)

    def _read_unread(self) -> None:
        for payload in self._unread:
            self._pieces.extend(_generated_texts(payload))
        self._unread.clear()

    def usage(self) -> TokenUsage:
        """The provider's usage if it arrived, else the prompt estimate plus a count of the text so far."""
        if self.reported is not None:
            return self.reported
        prompt = self._prompt_tokens
        if prompt is None:
            prompt = self._counter.count_messages(self._body.get("messages"), self._model, self._body.get("tools"))
        return TokenUsage(prompt, self._counter.count_text(self.text, self._model), counted=True)


def _generated_texts(payload: bytes) -> list[str]:
    """The content, refusal and tool-call texts of one chunk's deltas."""
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return []
    choices = chunk.get("choices") if isinstance(chunk, dict) else None
    texts: list[str] = []
    for choice in choices if isinstance(choices, list) else []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            continue
        if isinstance(delta.get("content"), str):
            texts.append(delta["content"])
        if isinstance(delta.get("refusal"), str):
            texts.append(delta["refusal"])
        texts.extend(tool_call_texts(delta.get("tool_calls")))
    return texts
