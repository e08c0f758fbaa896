"""Each use case's spend this calendar month (UTC), kept in memory for the request path's monthly
caps: re-read from the ledger every few seconds, for the use cases that have a cap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from gateway.core.outages import DatabaseOutages
from gateway.ledger.use_case_stats import spend_by_use_case

log = logging.getLogger(__name__)


def month_start(now: datetime) -> datetime:
    return datetime(now.year, now.month, 1, tzinfo=UTC)


class MonthlySpend:
    """`spent(use_case)` from memory; a background task refreshes it for `capped()`'s use cases."""

    def __init__(
        self,
        engine: Engine,
        capped: Callable[[], Collection[str]],
        interval: float,
        outages: DatabaseOutages | None = None,
    ) -> None:
        self._engine = engine
        self._capped = capped
        self._interval = interval
        self._outages = outages or DatabaseOutages()
        self._spent: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def spent(self, use_case: str) -> int:
        return self._spent.get(use_case, 0)

    async def refresh(self) -> None:
        ids = list(self._capped())
        if not ids:
            self._spent = {}
            return
        since = month_start(datetime.now(UTC))
        self._spent = await asyncio.to_thread(spend_by_use_case, self._engine, since, ids)

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:  # the last figures stand until the database answers again
                self._outages.report(error, "use case spend refresh")
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="use-case-spend")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
