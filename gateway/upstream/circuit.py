"""A per-deployment circuit: after repeated failures, stop sending to it for a while."""

from __future__ import annotations

import time


class Circuit:
    def __init__(self, allowed_fails: int, cooldown_seconds: float) -> None:
        self._allowed_fails = allowed_fails
        self._cooldown_seconds = cooldown_seconds
        self._failures = 0
        self._open_until = 0.0

    def is_closed(self, now: float | None = None) -> bool:
        """True when calls may go through (after the cooldown, one trial call is let through)."""
        return (time.monotonic() if now is None else now) >= self._open_until

    def record_success(self) -> None:
        self._failures = 0

    def record_failure(self, now: float | None = None) -> bool:
        """Count a failure; return True when this failure opened the circuit."""
        self._failures += 1
        if self._failures < self._allowed_fails:
            return False
        self._failures = self._allowed_fails - 1  # after the cooldown, one more failure re-opens it
        self._open_until = (time.monotonic() if now is None else now) + self._cooldown_seconds
        return True
