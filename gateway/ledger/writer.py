"""The batched ledger writer (usage records, audit entries): off the request path, nothing lost.

`submit` puts a row on a bounded queue (or, when the queue is full, on an overflow list that the
writer spills first) and returns at once. A background task takes everything queued, inserts it in
one statement in a worker thread, and goes on. If the insert fails or times out, the batch goes to
an fsync'd spill file and later batches follow it there until a retry, with exponential backoff,
replays the spill files into the database. Spill files found at start (a previous run that could
not reach the database) are replayed the same way. Inserts skip request ids already stored, so a
row that reached the database and the spill file both is counted once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from gateway.ledger.records import UsageEvent
from gateway.ledger.spill import LockedByAnotherWriter, SpillFile, read_spilled, spilled_files
from gateway.ledger.tables import USAGE_TABLE, LedgerTable

log = logging.getLogger(__name__)
Row = dict[str, Any]


@dataclass
class WriterStats:
    """Counts for metrics and tests: rows inserted, spilled to disk, replayed from disk."""

    written: int = 0
    batches: int = 0
    spilled: int = 0
    replayed: int = 0
    failed_writes: int = 0


class LedgerWriter:
    def __init__(
        self,
        engine: Engine,
        spill_dir: Path,
        *,
        queue_size: int = 10_000,
        batch_size: int = 1_000,
        write_timeout: float = 10.0,
        retry_initial: float = 0.25,
        retry_max: float = 5.0,
        linger: float = 0.2,
        on_database_state: Callable[[bool], None] | None = None,
        table: LedgerTable = USAGE_TABLE,
    ) -> None:
        self._engine = engine
        self._table = table
        self._spill = SpillFile(spill_dir, table)
        self._queue: asyncio.Queue[Row] = asyncio.Queue(maxsize=queue_size)
        self._overflow: list[Row] = []
        self._batch_size = batch_size
        self._write_timeout = write_timeout
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._retry_delay = retry_initial
        self._retry_at = 0.0
        self._on_database_state = on_database_state
        # After a batch that was not full, wait this long for more rows: a few large transactions
        # cost far less CPU (and GIL time taken from the request path) than many small ones.
        self._linger = linger
        self._closed = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        # Inserts may hang on a dead network; they get their own threads so the app's pool stays free.
        self._db_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="usage-db")
        self._disk_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-spill")
        self._has_spilled = False
        self.database_up = True
        self.stats = WriterStats()

    async def start(self) -> None:
        """Start the background task; it first replays spill files left by a previous run."""
        if self._task is None:
            self._has_spilled = bool(await asyncio.to_thread(spilled_files, self._spill.folder, self._table))
            self._task = asyncio.create_task(self._run(), name=f"{self._table.name}-writer")

    def submit(self, event: UsageEvent) -> None:
        """Queue one usage record; never blocks and never raises."""
        try:
            self.submit_row(event.as_row())
        except Exception:
            log.exception("could not queue the usage record of %s", getattr(event, "request_id", "?"))

    def submit_row(self, row: Row) -> None:
        """Queue one row of the writer's table; never blocks and never raises."""
        try:
            self._queue.put_nowait(row)
        except asyncio.QueueFull:
            self._overflow.append(row)
        self._idle.clear()
        self._wakeup.set()

    async def write_now(self, row: Row) -> None:
        """Write one row before returning, for a row whose id a client is handed at once (a review
        item); with the database away it is queued like any other, so nothing is lost."""
        if self.database_up and await self._insert([row]):
            self.stats.written += 1
            return
        self.submit_row(row)

    @property
    def pending(self) -> int:
        """Rows accepted but not yet in the database or the spill file."""
        return self._queue.qsize() + len(self._overflow)

    async def drained(self) -> None:
        """Wait until every row submitted so far is in the database or the spill file."""
        while self.pending or not self._idle.is_set():
            self._idle.clear()
            self._wakeup.set()
            await self._idle.wait()

    async def close(self, grace_seconds: float = 30.0) -> None:
        """Write (or spill) everything queued, then stop. The app calls this on shutdown (SIGTERM)."""
        self._closing = True
        self._closed.set()
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
            except TimeoutError:
                log.error("usage writer did not finish in %.0fs; spilling what is left", grace_seconds)
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._spill_now(self._take(len(self._overflow) + self._queue.qsize()))
        self._spill.rotate()
        self._db_threads.shutdown(wait=False, cancel_futures=True)
        self._disk_thread.shutdown(wait=True)

    def _take(self, limit: int) -> list[Row]:
        batch, self._overflow = self._overflow[:limit], self._overflow[limit:]
        while len(batch) < limit and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        if self._has_spilled:
            await self._replay()
        while True:
            batch = self._take(self._batch_size)
            if batch:
                await self._store(batch)
                if len(batch) < self._batch_size and not self._closing:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closed.wait(), self._linger)
            elif self._closing:
                return
            else:
                self._idle.set()
                await self._wait_for_work()
            if not self.database_up and time.monotonic() >= self._retry_at and not self._closing:
                await self._replay()

    async def _wait_for_work(self) -> None:
        timeout = None if self.database_up else max(0.0, self._retry_at - time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        self._wakeup.clear()

    async def _store(self, batch: list[Row]) -> None:
        if self.database_up and await self._insert(batch):
            self.stats.written += len(batch)
            self.stats.batches += 1
            if self._has_spilled:
                await self._replay()
            return
        await self._to_disk(batch)

    async def _insert(self, rows: list[Row]) -> bool:
        loop = asyncio.get_running_loop()
        try:
            insert = loop.run_in_executor(self._db_threads, self._table.insert, self._engine, rows)
            await asyncio.wait_for(insert, self._write_timeout)
        except Exception as exc:
            self.stats.failed_writes += 1
            self._mark_down(exc)
            return False
        return True

    async def _to_disk(self, rows: list[Row]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._disk_thread, self._spill_now, rows)

    def _spill_now(self, rows: list[Row]) -> None:
        if rows:
            self._spill.append(rows)
            self._has_spilled = True
            self.stats.spilled += len(rows)

    async def _replay(self) -> None:
        """Move every spill file's rows into the database; on failure, back off and keep them."""
        await asyncio.get_running_loop().run_in_executor(self._disk_thread, self._spill.rotate)
        for path in spilled_files(self._spill.folder, self._table):
            try:
                replayed = await asyncio.get_running_loop().run_in_executor(self._db_threads, self._replay_file, path)
            except LockedByAnotherWriter:
                continue
            except Exception as exc:
                self.stats.failed_writes += 1
                self._mark_down(exc)
                return
            self.stats.replayed += replayed
        self._has_spilled = False  # files still locked belong to live writers, which replay them
        self._mark_up()

    def _replay_file(self, path: Path) -> int:
        count = 0
        for chunk in read_spilled(path, self._table):
            self._table.insert(self._engine, chunk)
            count += len(chunk)
        path.unlink()
        log.info("replayed %d %s records from %s", count, self._table.name, path.name)
        return count

    def _mark_down(self, error: Exception) -> None:
        if self.database_up:
            log.error(
                "%s writer: database unavailable (%s); spilling records to %s",
                self._table.name,
                type(error).__name__,  # its text names the database's host and port
                self._spill.folder,
            )
            self.database_up = False
            self._retry_delay = self._retry_initial
            if self._on_database_state is not None:
                self._on_database_state(False)
        else:
            self._retry_delay = min(self._retry_delay * 2, self._retry_max)
        self._retry_at = time.monotonic() + self._retry_delay

    def _mark_up(self) -> None:
        if not self.database_up:
            log.warning("%s writer: database is back; spilled records replayed", self._table.name)
            self.database_up = True
            if self._on_database_state is not None:
                self._on_database_state(True)
