"""Runs filter scans off the event loop, in a worker pool, micro-batching concurrent calls per filter.

Concurrent answers that reach the same filter within `max_wait_ms` (or until `max_batch` texts
are waiting) go to its `scan_batch` together: one spaCy `pipe`, one Detoxify forward pass, one
profanity-model call. `executor: thread` runs them in a thread pool (simple, shares the engines);
`executor: process` runs the ML filters in worker processes (`worker_process.py`), so their
Python-heavy parts never hold the event loop's GIL.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

from filters.base import Filter, FilterContext, FilterResult
from filters.config import FiltersSettings, RunnerSettings
from filters.worker_process import ScanOutcome, initialise_worker, scan_in_worker, scan_safely

log = logging.getLogger(__name__)


class FilterTimeout(TimeoutError):
    """A filter did not answer within its timeout."""


class FilterFailed(RuntimeError):
    """A filter raised while scanning; the cause is chained."""


_Item = tuple[str, FilterContext, "asyncio.Future[FilterResult]"]


class _Batcher:
    """Collects one filter's pending texts and hands them to the pool as one batch."""

    def __init__(
        self,
        name: str,
        scan_batch: Callable[[list[str], list[FilterContext]], Sequence[FilterResult]],
        executor: Executor,
        max_batch: int,
        max_wait: float,
    ) -> None:
        self._name = name
        self._scan_batch = scan_batch  # picklable (a partial of a module function) for process pools
        self._executor = executor
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._pending: list[_Item] = []
        self._timer: asyncio.TimerHandle | None = None
        self.batches: list[int] = []  # sizes of recent batches, for the benchmark and tests

    def submit(self, text: str, context: FilterContext) -> asyncio.Future[FilterResult]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FilterResult] = loop.create_future()
        self._pending.append((text, context, future))
        if len(self._pending) >= self._max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._max_wait, self._flush)
        return future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.batches = [*self.batches[-99:], len(batch)]
        loop = asyncio.get_running_loop()
        texts = [t for t, _, _ in batch]
        contexts = [c for _, c, _ in batch]
        work = loop.run_in_executor(self._executor, scan_safely, self._scan_batch, self._name, texts, contexts)
        work.add_done_callback(lambda done: self._resolve(batch, done))

    @staticmethod
    def _resolve(batch: Sequence[_Item], done: asyncio.Future[ScanOutcome]) -> None:
        outcomes: Sequence[FilterResult | BaseException]
        try:
            outcomes = done.result()
        except BaseException as exc:  # the executor itself failed (shut down)
            outcomes = [exc] * len(batch)
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller timed out and went away
                continue
            if isinstance(outcome, BaseException):
                error = FilterFailed(f"{type(outcome).__name__}: {outcome}")
                error.__cause__ = outcome
                future.set_exception(error)
            else:
                future.set_result(outcome)


class FilterRunner:
    """The worker pools and the per-filter batchers; create one in the app's lifespan, `close()` it at the end.

    In `process` mode pass the filters settings: each worker process builds its own engines from them.
    """

    def __init__(self, settings: RunnerSettings | None = None, filters_settings: FiltersSettings | None = None) -> None:
        self.settings = settings or RunnerSettings()
        self._threads = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="filters")
        if self.settings.executor == "process" and filters_settings is None:
            raise ValueError("the process executor needs the filters settings to build its workers")
        self._filters_settings = filters_settings or FiltersSettings()
        # Started on first use (or by warm_up): with only inline filters no worker is ever needed.
        self._processes: ProcessPoolExecutor | None = None
        self._batchers: dict[int, _Batcher] = {}

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._processes is None:
            self._processes = ProcessPoolExecutor(
                self.settings.workers,
                # spawn, not fork: the parent has threads (and maybe torch), which fork does not copy safely.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=initialise_worker,
                initargs=(self._filters_settings,),
            )
        return self._processes

    def _in_process(self, filter_: Filter) -> bool:
        return self.settings.executor == "process" and filter_.name in self.settings.process_filters

    def batcher(self, filter_: Filter, team_key: str = "") -> _Batcher:
        key = id(filter_)
        batcher = self._batchers.get(key)
        if batcher is None:
            wait = self.settings.max_wait_ms / 1000
            if self._in_process(filter_):
                remote = partial(scan_in_worker, team_key, filter_.name)
                batcher = _Batcher(filter_.name, remote, self._process_pool(), self.settings.max_batch, wait)
            else:
                batcher = _Batcher(filter_.name, filter_.scan_batch, self._threads, self.settings.max_batch, wait)
            self._batchers[key] = batcher
        return batcher

    async def scan(
        self, filter_: Filter, text: str, context: FilterContext, time_limit: float, team_key: str = ""
    ) -> FilterResult:
        """Scan `text` with `filter_` (built for `team_key`) in a pool; raises FilterTimeout or FilterFailed."""
        future = self.batcher(filter_, team_key).submit(text, context)
        try:
            return await asyncio.wait_for(future, time_limit)
        except TimeoutError:
            raise FilterTimeout(f"filter {filter_.name} did not answer within {time_limit:g}s") from None

    def warm_up(self) -> None:
        """Start every worker process now (each loads its models) rather than on the first answers."""
        if self.settings.executor == "process":
            pool = self._process_pool()
            for future in [pool.submit(int) for _ in range(self.settings.workers)]:
                future.result()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._processes is not None:
            # Wait for the workers to exit: not waiting left them running after the gateway stopped.
            self._processes.shutdown(wait=True, cancel_futures=True)
