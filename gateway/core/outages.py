"""A database that cannot be reached: a 503 with Retry-After for the client, one log line per outage.

Each request that meets the outage would otherwise log a traceback naming the database's host and
port; an outage is noted once, when its first failure arrives, and again only after a quiet gap.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import exc as sa

from gateway.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# Errors that say the database is out of reach (refused, reset, timed out, pool exhausted), not
# that a statement was wrong: those stay 500s.
UNREACHABLE = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError)
# Failures further apart than this belong to two outages.
OUTAGE_GAP_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(ServiceUnavailable):
    default_code = "database_unavailable"


class DatabaseOutages:
    """Notes failures to reach the database; logs the first of each outage."""

    def __init__(self) -> None:
        self._last_failure = float("-inf")

    def seen(self, error: BaseException) -> DatabaseUnavailable:
        """Record one failure and return the client's error for it."""
        now = time.monotonic()
        if now - self._last_failure > OUTAGE_GAP_SECONDS:
            log.error("database unreachable (%s): answering 503 until it is back", type(error).__name__)
        self._last_failure = now
        return DatabaseUnavailable(
            "The gateway's database cannot be reached right now; try again shortly.",
            headers={"retry-after": str(RETRY_AFTER_SECONDS)},
        )

    def report(self, error: BaseException, what: str) -> None:
        """A background task failed (`what` says which): an outage is noted like a request's, once;
        any other error is logged with its traceback."""
        if isinstance(error, UNREACHABLE):
            self.seen(error)
        else:
            log.warning("%s failed", what, exc_info=error)
