"""Whether the counter store answers: a small circuit, and the degradation counts for metrics.

After a failure the store is skipped for `retry_seconds` (each request then follows its fail mode
at once instead of waiting for a timeout), then the next request tries it again: recovery needs
nobody.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)


class StoreHealth:
    def __init__(
        self,
        retry_seconds: float,
        *,
        on_degraded: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._retry_seconds = retry_seconds
        self._on_degraded = on_degraded
        self._clock = clock
        self._skip_until = 0.0
        self.up = True
        self.degradations: Counter[tuple[str, str]] = Counter()  # (mechanism, outcome) -> count

    def should_try(self) -> bool:
        return self.up or self._clock() >= self._skip_until

    def mark_down(self, error: BaseException) -> None:
        if self.up:
            log.error(
                "limits store unreachable (%s: %s); following the configured fail modes", type(error).__name__, error
            )
        self.up = False
        self._skip_until = self._clock() + self._retry_seconds

    def mark_up(self) -> None:
        if not self.up:
            log.warning("limits store reachable again; budgets and rate limits enforced")
        self.up = True

    def degraded(self, mechanism: str, outcome: str) -> None:
        """Count one request that `mechanism` ("budget", "rate_limit", "settle") let through or refused."""
        self.degradations[(mechanism, outcome)] += 1
        if self._on_degraded is not None:
            self._on_degraded(mechanism, outcome)
