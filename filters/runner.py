"""Runs filter scans off the event loop, in a thread pool, micro-batching concurrent calls per filter.

Concurrent answers that reach the same filter within `max_wait_ms` (or until `max_batch` texts
are waiting) go to its `scan_batch` together: one spaCy `pipe`, one Detoxify forward pass, one
profanity-model call. Presidio, spaCy (thinc), torch and scikit-learn spend most of their time in
native code; the thread pool keeps the event loop free while they work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor

from filters.base import Filter, FilterContext, FilterResult
from filters.config import RunnerSettings

log = logging.getLogger(__name__)


class FilterTimeout(TimeoutError):
    """A filter did not answer within its timeout."""


class FilterFailed(RuntimeError):
    """A filter raised while scanning; the cause is chained."""


_Item = tuple[str, FilterContext, "asyncio.Future[FilterResult]"]


class _Batcher:
    """Collects one filter's pending texts and hands them to the pool as one batch."""

    def __init__(self, filter_: Filter, executor: Executor, max_batch: int, max_wait: float) -> None:
        self._filter = filter_
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
        work = loop.run_in_executor(self._executor, self._scan, [t for t, _, _ in batch], [c for _, c, _ in batch])
        work.add_done_callback(lambda done: self._resolve(batch, done))

    def _scan(self, texts: list[str], contexts: list[FilterContext]) -> list[FilterResult | BaseException]:
        try:
            results: list[FilterResult | BaseException] = list(self._filter.scan_batch(texts, contexts))
            if len(results) != len(texts):
                raise FilterFailed(f"{self._filter.name}: scan_batch returned {len(results)} results for {len(texts)}")
            return results
        except Exception as exc:
            if len(texts) == 1:
                return [exc]
            # One bad text must not fail the others: scan them one by one.
            return [self._scan([t], [c])[0] for t, c in zip(texts, contexts, strict=True)]

    @staticmethod
    def _resolve(batch: Sequence[_Item], done: asyncio.Future[list[FilterResult | BaseException]]) -> None:
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
    """The worker pool and the per-filter batchers; create one in the app's lifespan, `close()` it at the end."""

    def __init__(self, settings: RunnerSettings | None = None, executor: Executor | None = None) -> None:
        self.settings = settings or RunnerSettings()
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(self.settings.workers, thread_name_prefix="filters")
        self._batchers: dict[int, _Batcher] = {}

    def batcher(self, filter_: Filter) -> _Batcher:
        key = id(filter_)
        batcher = self._batchers.get(key)
        if batcher is None:
            batcher = _Batcher(filter_, self._executor, self.settings.max_batch, self.settings.max_wait_ms / 1000)
            self._batchers[key] = batcher
        return batcher

    async def scan(self, filter_: Filter, text: str, context: FilterContext, time_limit: float) -> FilterResult:
        """Scan `text` with `filter_` in the pool; raises FilterTimeout or FilterFailed."""
        future = self.batcher(filter_).submit(text, context)
        try:
            return await asyncio.wait_for(future, time_limit)
        except TimeoutError:
            raise FilterTimeout(f"filter {filter_.name} did not answer within {time_limit:g}s") from None

    def close(self) -> None:
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
