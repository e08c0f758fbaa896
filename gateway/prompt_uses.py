"""Counts uses of library prompts per (version, team) in memory, and adds them to the library's
counters in one transaction a second: the reuse figure without a write per request."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from sqlalchemy.engine import Engine

from prompt_library.service import record_uses

log = logging.getLogger(__name__)


class PromptUseCounter:
    def __init__(self, engine: Engine, interval_seconds: float = 1.0) -> None:
        self._engine = engine
        self._interval = interval_seconds
        self._counts: Counter[tuple[int, str]] = Counter()
        self._task: asyncio.Task[None] | None = None

    def count(self, version_id: int, team: str) -> None:
        self._counts[(version_id, team)] += 1

    async def flush(self) -> None:
        counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            await asyncio.to_thread(record_uses, self._engine, counts)
        except Exception:  # the database is away: keep the counts for the next flush
            log.warning("could not record %d prompt uses; will retry", sum(counts.values()), exc_info=True)
            self._counts.update(counts)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="prompt-use-counter")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
