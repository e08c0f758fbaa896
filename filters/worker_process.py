"""Filter scans in worker processes: each worker builds its own engines and runs batches sent to it.

With the thread pool, Presidio's Python-heavy pattern matching holds the GIL and the event loop
waits for it (a few milliseconds at the interpreter's 5 ms switch interval). In `process` mode
the ML filters (PII, toxicity) run in these workers instead; the blocklist (fast, and reloaded
in the parent) stays in the thread pool.

A worker process holds its filters in `_WORKER` (set once by the pool's initializer): a process
pool offers no other place for per-worker state. The parent never touches it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from filters.base import Filter, FilterContext, FilterResult
from filters.blocklist import VersionedBlocklist
from filters.config import FiltersSettings
from filters.pii_engine import PiiEngine
from filters.registry import default_registry
from filters.resources import FilterResources
from filters.toxicity_backends import build_scorer

log = logging.getLogger(__name__)

ScanOutcome = list[FilterResult | BaseException]


class WorkerFilters:
    """One worker's engines and the filters built from them, per team key."""

    def __init__(self, settings: FiltersSettings) -> None:
        from gateway.offline import apply_offline_defaults

        apply_offline_defaults()
        self._settings = settings
        self._resources = FilterResources(
            PiiEngine(settings.pii_engine), build_scorer(settings.toxicity_scorer), VersionedBlocklist()
        )
        self._registry = default_registry()
        self._filters: dict[str, dict[str, Filter]] = {}

    def filter(self, team_key: str, name: str) -> Filter:
        built = self._filters.get(team_key)
        if built is None:
            config = self._settings.for_team(team_key or None)
            built = {f.name: f for f in self._registry.build(config, self._resources)}
            self._filters[team_key] = built
        return built[name]


_WORKER: WorkerFilters | None = None
PARENT_CHECK_SECONDS = 1.0


def initialise_worker(settings: FiltersSettings) -> None:
    """The process pool's initializer: load the engines once per worker, and end with the parent."""
    global _WORKER
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent-watch").start()
    _WORKER = WorkerFilters(settings)


def _exit_with_parent(parent: int) -> None:
    # A gateway killed outright (SIGKILL, OOM) cannot shut its pool down: without this its workers
    # lived on, ~375 MB each, until the machine ran out of memory.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def scan_in_worker(team_key: str, name: str, texts: list[str], contexts: list[FilterContext]) -> list[FilterResult]:
    """Run one batch through the worker's instance of filter `name` for `team_key`."""
    if _WORKER is None:
        raise RuntimeError("filter worker process was not initialised")
    return list(_WORKER.filter(team_key, name).scan_batch(texts, contexts))


def scan_safely(
    scan_batch: Callable[[list[str], list[FilterContext]], Sequence[FilterResult]],
    name: str,
    texts: list[str],
    contexts: list[FilterContext],
) -> ScanOutcome:
    """A batch's results, or per text the exception it raised: one bad text must not fail the others."""
    try:
        results: ScanOutcome = list(scan_batch(texts, contexts))
        if len(results) != len(texts):
            raise RuntimeError(f"{name}: scan_batch returned {len(results)} results for {len(texts)} texts")
        return results
    except Exception as exc:
        if len(texts) == 1:
            return [exc]
        return [scan_safely(scan_batch, name, [t], [c])[0] for t, c in zip(texts, contexts, strict=True)]
