"""The generic cell rate algorithm (GCRA) for RPM and TPM, as the in-process backend runs it.

One number per limit, the theoretical arrival time (TAT): each unit (a request, or a token) moves
it `60 / limit` seconds on; a request is let in if the TAT it would leave is at most one window
ahead of now. That allows a full minute's worth in a burst, then a steady rate, and gives the
exact time until a refused request would pass and until the limit is whole again (OpenAI's
x-ratelimit-reset-*). The Lua script in `scripts.py` runs the same steps inside Redis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gateway.limits.rules import WINDOW_SECONDS

NEVER = -1.0  # retry_after of a request larger than the whole limit
EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class GcraResult:
    allowed: bool
    tat: float  # the arrival time to store if the request goes ahead
    remaining: int
    reset_seconds: float
    retry_after: float


def gcra(tat: float | None, now: float, limit: int, cost: int) -> GcraResult:
    interval = WINDOW_SECONDS / limit
    current = max(tat if tat is not None else now, now)
    new_tat = current + cost * interval
    allow_at = new_tat - WINDOW_SECONDS
    if allow_at > now + EPSILON:
        remaining = max(0, math.floor((WINDOW_SECONDS - (current - now)) / interval + EPSILON))
        retry = NEVER if cost > limit else allow_at - now
        return GcraResult(False, current, remaining, current - now, retry)
    remaining = max(0, math.floor((WINDOW_SECONDS - (new_tat - now)) / interval + EPSILON))
    return GcraResult(True, new_tat, remaining, new_tat - now, 0.0)


def adjust(tat: float, now: float, limit: int, delta: int) -> float:
    """Move a stored TAT by `delta` units (negative: give back what a request did not use)."""
    return max(tat + delta * (WINDOW_SECONDS / limit), now)
