"""Counts uses of library prompts per (version, team) in memory, and adds them to the library's
counters in one transaction a second: the reuse figure without a write per request."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy.engine import Engine

from gateway.core.outages import DatabaseOutages
from prompt_library.service import record_uses


class PromptUseCounter:
    def __init__(self, engine: Engine, interval_seconds: float = 1.0, outages: DatabaseOutages | None = None) -> None:
        self._engine = engine
        self._outages = outages or DatabaseOutages()
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
        except Exception as error:  # the database is away: keep the counts for the next flush
            self._outages.report(error, f"recording {sum(counts.values())} prompt uses (will retry)")
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
