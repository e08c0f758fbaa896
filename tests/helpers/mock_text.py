"""What the mock upstream's APIs share about the answers they make up."""

from __future__ import annotations

from typing import Any


def cut_at_stop(text: str, stops: Any) -> tuple[str, str | None]:
    """The text up to the earliest of the stop sequences, and the one that cut it."""
    found = [(text.find(stop), stop) for stop in ([stops] if isinstance(stops, str) else stops or []) if stop in text]
    if not found:
        return text, None
    position, stop = min(found)
    return text[:position], stop
