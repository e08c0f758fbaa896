"""Runs of plain text in a chat stream's chunks, read without parsing each chunk.

Most chunks of a stream differ only in their text, so the first plain text chunk is kept as a
template (its bytes before and after the text's JSON string); a chunk with the same bytes around
one JSON string is the same chunk with other text. Parsing every chunk was most of what the stream
screen and the writers of the other APIs cost per chunk (benchmarks.proxy, streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any

import orjson

from gateway.core.chat_view import REVIEW_ID_FIELD


class TextRuns:
    """Reads one stream's batches of chunk payloads. Each readable chunk comes parsed with None,
    except that a run of consecutive chunks that only add text to the first answer's content comes
    as its first chunk with the run's text joined: the stream screen scans a run at once, and the
    writers of the other APIs make one event of it. A chunk that is not a JSON object is left out:
    nothing could read it."""

    def __init__(self) -> None:
        self._before = b""
        self._after = b""
        self._templated = False
        self._template_chunk: dict[str, Any] = {}  # the same chunk but for its text

    def __call__(self, payloads: list[bytes]) -> list[tuple[dict[str, Any], str | None]]:
        items: list[tuple[dict[str, Any], str | None]] = []
        run: list[str] = []
        for payload, text in self._reads(payloads):
            if text is None:
                try:
                    chunk = orjson.loads(payload)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(chunk, dict):
                    continue
                text = _plain_text(chunk)
                if text is None:
                    if run:
                        items[-1] = (items[-1][0], "".join(run))
                        run = []
                    items.append((chunk, None))
                    continue
                if not self._templated:
                    self._learn(payload, chunk, text)
                if not run:
                    items.append((chunk, text))
            elif not text:
                continue  # the template with no text adds nothing
            elif not run:
                items.append((self._template_chunk, text))
            run.append(text)
        if run:
            items[-1] = (items[-1][0], "".join(run))
        return items

    def _reads(self, payloads: list[bytes]) -> Iterator[tuple[bytes, str | None]]:
        """Each run of chunks that are the template with another text as one (b"", its text), and
        each other chunk as (itself, None). Lazy: a template learnt from one chunk serves the next.
        A run is taken to the last chunk that fits the template's bytes (the other chunks of a
        read, role, finish and usage, are at its ends) and read at once; should it not be all text,
        the rest of the read is read chunk by chunk."""
        at, count = 0, len(payloads)
        while at < count:
            if not self._fits(payloads[at]):
                yield payloads[at], None
                at += 1
                continue
            end = count
            while not self._fits(payloads[end - 1]):
                end -= 1
            text = self.only_text(payloads[at:end])
            if text is not None:
                yield b"", text
                at = end
                continue
            for payload in payloads[at:]:
                alone = self._templated_text(payload)
                yield (b"", alone) if alone is not None else (payload, None)
            return

    def _fits(self, payload: bytes) -> bool:
        return self._templated and payload.startswith(self._before) and payload.endswith(self._after)

    def only_text(self, payloads: list[bytes]) -> str | None:
        """The joined text of `payloads` when each is the template with another text (a network
        read in the middle of an answer); None when any is another chunk. The strings between the
        template's bytes are parsed together, as one JSON array that must hold exactly one string
        per chunk: a read holds a dozen chunks of an answer that comes fast (all of it, when it
        comes at once), and parsing them one by one was most of a streamed answer's extra CPU over
        chat (benchmarks.proxy --apis responses,messages)."""
        if len(payloads) <= 1:  # a read of one chunk: cheaper on its own
            return self._templated_text(payloads[0]) if payloads else ""
        # The ends first: a read holding a whole answer starts with its role chunk.
        if not (self._fits(payloads[0]) and self._fits(payloads[-1])):
            return None
        before, after = self._before, self._after
        fit = all(map(bytes.startswith, payloads, repeat(before))) and all(map(bytes.endswith, payloads, repeat(after)))
        if not fit:
            return None
        strings = map(itemgetter(slice(len(before), -len(after))), payloads)  # `after` is never empty
        try:
            texts = orjson.loads(b"[" + b",".join(strings) + b"]")
            text = "".join(texts)  # a TypeError for anything but strings
        except (orjson.JSONDecodeError, TypeError):
            return None
        return text if len(texts) == len(payloads) else None

    def _learn(self, payload: bytes, chunk: dict[str, Any], text: str) -> None:
        literal = orjson.dumps(text)
        # Else the provider escapes differently, or the text recurs (or ends a chunk that is no object).
        if payload.count(literal) == 1 and not payload.endswith(literal):
            self._before, _, self._after = payload.partition(literal)
            self._templated = True
            self._template_chunk = chunk

    def _templated_text(self, payload: bytes) -> str | None:
        """The text of a chunk that is the template with another text; None for any other. The
        bytes between the template's must be exactly one JSON string (orjson refuses anything
        after it), so the chunk means what the template means but for its text."""
        before, after = self._before, self._after
        if not self._templated or not payload.startswith(before) or not payload.endswith(after):
            return None
        try:
            text = orjson.loads(payload[len(before) : len(payload) - len(after)])
        except orjson.JSONDecodeError:
            return None
        return text if type(text) is str else None


def _plain_text(chunk: dict[str, Any]) -> str | None:
    """The text of a chunk that only adds text to the first answer's content (no role, tool call,
    finish, log probabilities, usage or review id); None for any other."""
    try:
        (choice,) = chunk["choices"]
        ((name, text),) = choice["delta"].items()
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    if name != "content" or type(text) is not str or not text:
        return None
    if choice.get("finish_reason") is not None or choice.get("logprobs") is not None or choice.get("index", 0):
        return None
    return None if "usage" in chunk or REVIEW_ID_FIELD in chunk else text
