"""Removes secrets and internal addresses from text that may reach a client or a log line.

Upstream error texts can carry request URLs, headers or keys (LiteLLM leaked keys this way, its
issues #15799 and #5762), so every such text passes through a `Scrubber` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_URL = re.compile(r"\b(?:https?|wss?|redis|rediss|postgres(?:ql)?(?:\+\w+)?|sqlite)://[^\s'\"<>]+", re.I)
_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;'\"]+")
_HEADER = re.compile(
    r"(?i)\b(api[-_ ]?key|authorization|token|secret|password)(\s*[:=]\s*)(?!bearer\b|basic\b)[^\s,;'\"&]+"
)
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk|gsk|xai|AIza)[-_][A-Za-z0-9_\-]{8,}")


class Scrubber:
    """Replaces known secret values, URLs and key-shaped tokens with placeholders."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _URL.sub("<url>", text)
        text = _SCHEME.sub(lambda m: f"{m.group(1)} ***", text)
        text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
        return _KEY_LIKE.sub("***", text)


PROVIDER_MESSAGE_LIMIT = 300


def provider_message(scrub: Scrubber, text: str) -> str:
    """What a client may read of a provider's error text: its first line, scrubbed and bounded.
    Text that carries a traceback (litellm folds them into messages) is dropped whole."""
    if "Traceback (most recent call last)" in text or 'File "/' in text:
        return "The model provider rejected the request."
    first = text.strip().split("\n", 1)[0]
    cleaned = scrub(first)
    if len(cleaned) > PROVIDER_MESSAGE_LIMIT:
        cleaned = cleaned[:PROVIDER_MESSAGE_LIMIT] + "…"
    return cleaned or "The model provider rejected the request."


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs every record's rendered message, as a last line of defence."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self._scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._scrubber(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks of upstream errors may quote URLs with keys: keep the type, drop the text.
            record.exc_text = self._scrubber(logging.Formatter().formatException(record.exc_info))
        return True
