"""The filter runner: scans run off the event loop and concurrent ones are micro-batched."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from filters.base import FilterContext, FilterResult
from filters.blocklist import Blocklist, BlocklistEntry, VersionedBlocklist
from filters.config import FiltersSettings, PiiFilterConfig, RunnerSettings
from filters.pii import PiiFilter
from filters.pii_engine import PiiEngine
from filters.pipeline import FilterPipeline
from filters.registry import default_registry
from filters.resources import FilterResources
from filters.runner import FilterFailed, FilterRunner, FilterTimeout
from filters.toxicity_profanity import ProfanityScorer
from gateway.core.types import Action
from tests.filters.helpers import HASH_SALT

pytestmark = pytest.mark.anyio


class RecordingFilter:
    """Answers ALLOW, records each batch it was given and the thread it ran on."""

    name = "recording"
    spans = True
    inline = False

    def __init__(self, fail_on: str | None = None, release: threading.Event | None = None) -> None:
        self.started = threading.Event()
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self._fail_on = fail_on
        self._release = release

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        return self.scan_batch([text], [context])[0]

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        return None  # a model: the stream holds its window back

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        self.started.set()
        if self._release is not None:
            self._release.wait()
        self.batches.append(list(texts))
        self.threads.add(threading.current_thread().name)
        if self._fail_on in texts:
            raise ValueError("cannot scan this one")
        return [FilterResult(self.name, Action.ALLOW) for _ in texts]


async def test_concurrent_scans_reach_the_filter_as_one_batch() -> None:
    runner = FilterRunner(RunnerSettings(executor="thread", workers=2, max_batch=32, max_wait_ms=20))
    recording = RecordingFilter()
    texts = [f"text {i}" for i in range(8)]
    await asyncio.gather(*(runner.scan(recording, t, FilterContext(), 5) for t in texts))
    runner.close()
    assert recording.batches == [texts]


async def test_a_full_batch_goes_without_waiting() -> None:
    runner = FilterRunner(RunnerSettings(executor="thread", workers=2, max_batch=4, max_wait_ms=100))
    recording = RecordingFilter()
    await asyncio.gather(*(runner.scan(recording, f"t{i}", FilterContext(), 5) for i in range(8)))
    runner.close()
    assert [len(b) for b in recording.batches] == [4, 4]


async def test_scans_run_in_worker_threads() -> None:
    runner = FilterRunner(RunnerSettings(executor="thread", workers=1))
    recording = RecordingFilter()
    await runner.scan(recording, "x", FilterContext(), 5)
    runner.close()
    assert recording.threads and all(name.startswith("filters") for name in recording.threads)


async def test_the_event_loop_keeps_running_while_a_filter_works() -> None:
    release = threading.Event()
    runner = FilterRunner(RunnerSettings(executor="thread", workers=1, max_wait_ms=0))
    recording = RecordingFilter(release=release)
    scan = asyncio.ensure_future(runner.scan(recording, "x", FilterContext(), 5))
    # The loop awaits the worker's start signal: it is free while the filter holds its thread.
    assert await asyncio.get_running_loop().run_in_executor(None, recording.started.wait, 5)
    assert not scan.done()
    release.set()  # done by the event loop while the worker thread is busy
    assert (await scan).action is Action.ALLOW
    runner.close()


async def test_one_failing_text_does_not_fail_its_batch_mates() -> None:
    runner = FilterRunner(RunnerSettings(executor="thread", workers=2, max_wait_ms=20))
    recording = RecordingFilter(fail_on="bad")
    results = await asyncio.gather(
        *(runner.scan(recording, t, FilterContext(), 5) for t in ["good 1", "bad", "good 2"]),
        return_exceptions=True,
    )
    runner.close()
    assert isinstance(results[1], FilterFailed)
    assert [type(r) for r in (results[0], results[2])] == [FilterResult, FilterResult]


async def test_a_scan_over_its_time_limit_raises_filter_timeout() -> None:
    release = threading.Event()
    runner = FilterRunner(RunnerSettings(executor="thread", workers=1, max_wait_ms=0))
    with pytest.raises(FilterTimeout):
        await runner.scan(RecordingFilter(release=release), "x", FilterContext(), 0.02)
    release.set()
    runner.close()


async def test_concurrent_pii_scans_batch_and_match_single_scans(patterns_engine: PiiEngine) -> None:
    runner = FilterRunner(RunnerSettings(executor="thread", workers=2, max_wait_ms=20))
    pii = PiiFilter(patterns_engine, PiiFilterConfig())
    texts = [f"user{i}@example.com called 415-555-01{i:02d}" for i in range(6)]
    results = await asyncio.gather(*(runner.scan(pii, t, FilterContext(), 5) for t in texts))
    assert runner.batcher(pii).batches == [6]
    runner.close()
    assert [r.findings for r in results] == [pii.scan(t, FilterContext()).findings for t in texts]


async def test_the_process_executor_runs_ml_filters_in_worker_processes(
    patterns_engine: PiiEngine, profanity_scorer: ProfanityScorer
) -> None:
    settings = FiltersSettings.model_validate(
        {
            "pii_engine": {"hash_salt": HASH_SALT},
            "teams": {"legal": {"pii": {"entities": {"EMAIL_ADDRESS": "hash"}}}},
            "runner": {"executor": "process", "workers": 1},
        }
    )
    runner = FilterRunner(settings.runner, settings)
    source = VersionedBlocklist(Blocklist.from_entries([BlocklistEntry("falcon")], "v1"))
    resources = FilterResources(patterns_engine, profanity_scorer, source)
    pipeline = FilterPipeline(settings, default_registry(), resources, runner)
    try:
        runner.warm_up()
        default = await pipeline.scan_text("Mail bob@example.com", FilterContext(team="sales"))
        legal = await pipeline.scan_text("Mail bob@example.com", FilterContext(team="legal"))
        blocked = await pipeline.scan_text("falcon", FilterContext(team="sales"))
    finally:
        runner.close()
    assert default.text == "Mail <EMAIL_ADDRESS>"
    assert legal.text == "Mail " + patterns_engine.hash_value("bob@example.com")
    assert blocked.action is Action.BLOCK  # the blocklist stays in the parent's thread pool
    assert {r.filter for r in default.results} == {"pii", "blocklist", "toxicity"}
