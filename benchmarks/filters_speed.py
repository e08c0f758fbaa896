"""Speed of the output filters on a 600-character answer: PII per mode, batching gain, event-loop lag, streaming.

Run: .venv/bin/python benchmarks/filters_speed.py [--rounds 200]

Measures, on this machine:
1. PII filter (analyze + anonymize) p50/p95 per answer, `patterns` and `ner` modes;
2. the gain from batching 16 answers into one call (spaCy's `pipe`) versus one call each;
3. 16 concurrent answers through the async FilterRunner (micro-batched, thread pool) with PII and
   toxicity on: answers/s and the worst event-loop lag seen by a 1 ms ticker meanwhile;
4. the streaming hold-back buffer: characters held before the first release and its scan cost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.offline import apply_offline_defaults  # noqa: E402

apply_offline_defaults()

from filters.base import FilterContext  # noqa: E402
from filters.blocklist import VersionedBlocklist  # noqa: E402
from filters.config import FiltersSettings, PiiEngineSettings, PiiFilterConfig, RunnerSettings  # noqa: E402
from filters.decision import TextOutcome  # noqa: E402
from filters.pii import PiiFilter  # noqa: E402
from filters.pii_engine import PiiEngine  # noqa: E402
from filters.pipeline import FilterPipeline  # noqa: E402
from filters.registry import default_registry  # noqa: E402
from filters.resources import FilterResources  # noqa: E402
from filters.runner import FilterRunner  # noqa: E402
from filters.stream_buffer import StreamGuard  # noqa: E402
from filters.toxicity_profanity import ProfanityScorer  # noqa: E402

ANSWER = (
    "Thanks for reaching out about the delayed shipment. I checked the order history and the package left our "
    "warehouse on Monday. Our logistics coordinator, Maria Gonzalez, will contact you at maria.gonzalez@example.com "
    "or call +1 (415) 555-0132 if anything else is needed. For the refund we will use the card ending in the number "
    "you gave, 4111 1111 1111 1111, and the confirmation goes to the billing address on file. The support portal "
    "runs at https://support.example.com and the request came from 203.0.113.42, which matches your account. "
    "Let us know if there is anything else we can help with today."
)
assert len(ANSWER) == 600


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def bench_single(pii: PiiFilter, rounds: int) -> tuple[float, float]:
    context = FilterContext()
    for _ in range(10):
        pii.scan(ANSWER, context)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        pii.scan(ANSWER, context)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def bench_batch(pii: PiiFilter, size: int = 16, rounds: int = 10) -> tuple[float, float]:
    """Per-answer milliseconds: one call per answer, versus one call for the batch."""
    texts = [ANSWER] * size
    contexts = [FilterContext()] * size
    one_by_one, batched = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            pii.scan(text, FilterContext())
        one_by_one.append((time.perf_counter() - start) / size)
        start = time.perf_counter()
        pii.scan_batch(texts, contexts)
        batched.append((time.perf_counter() - start) / size)
    return statistics.median(one_by_one) * 1000, statistics.median(batched) * 1000


async def bench_concurrent(
    pipeline: FilterPipeline, concurrency: int = 16, total: int = 320
) -> tuple[float, float, list[int]]:
    """Answers/s with `concurrency` answers in flight, and the p99 event-loop lag meanwhile (ms)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - start - 0.001)

    queue = list(range(total))

    async def worker() -> None:
        while queue:
            queue.pop()
            await pipeline.scan_text(ANSWER, FilterContext(team="bench"))

    await pipeline.scan_text(ANSWER, FilterContext(team="bench"))  # warm up
    tick = asyncio.create_task(ticker())
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    done.set()
    await tick
    _, filters = pipeline.team_filters("bench")
    sizes = pipeline._runner.batcher(filters[0]).batches  # the PII filter's batcher
    return total / elapsed, p99(lags), sizes


def p99(lags: list[float]) -> float:
    ordered = sorted(lags)
    return ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0


async def idle_lag(ticks: int = 2000) -> float:
    """The p99 lag of the same ticker with nothing else running: the machine's own noise."""
    lags = []
    for _ in range(ticks):
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - start - 0.001)
    return p99(lags)


async def bench_stream(pipeline: FilterPipeline, chunk: int = 4) -> tuple[int, float, int]:
    """Characters received before the first release, total scan time for the stream (ms), scans."""
    config, _ = pipeline.team_filters(None)
    scans = 0
    spent = 0.0

    async def scan(text: str) -> TextOutcome:
        nonlocal scans, spent
        scans += 1
        start = time.perf_counter()
        outcome = await pipeline.scan_text(text, FilterContext())
        spent += time.perf_counter() - start
        return outcome

    guard = StreamGuard(scan, config.stream)
    first = -1
    for position in range(0, len(ANSWER), chunk):
        step = await guard.feed(ANSWER[position : position + chunk])
        if step.released and first < 0:
            first = position + chunk
    await guard.finish()
    return first, spent * 1000, scans


def build_pipeline(
    engine: PiiEngine,
    scorer: ProfanityScorer,
    max_batch: int,
    max_wait_ms: float,
    executor: Literal["thread", "process"] = "thread",
) -> FilterPipeline:
    resources = FilterResources(engine, scorer, VersionedBlocklist())
    runner_settings = RunnerSettings(executor=executor, workers=2, max_batch=max_batch, max_wait_ms=max_wait_ms)
    settings = FiltersSettings(pii_engine=engine.settings, runner=runner_settings)
    runner = FilterRunner(runner_settings, settings)
    runner.warm_up()
    return FilterPipeline(settings, default_registry(), resources, runner)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    scorer = ProfanityScorer()
    print(f"answer: {len(ANSWER)} characters; machine: {sys.platform}, python {sys.version.split()[0]}")
    print(f"event-loop lag p99 with nothing running (machine noise): {asyncio.run(idle_lag()):.2f} ms")
    for mode in ("patterns", "ner"):
        engine = PiiEngine(PiiEngineSettings(mode=mode))
        pii = PiiFilter(engine, PiiFilterConfig())
        p50, p95 = bench_single(pii, args.rounds)
        single, batched = bench_batch(pii)
        print(f"\nPII mode={mode}: p50 {p50:.2f} ms, p95 {p95:.2f} ms per answer")
        print(f"  16 answers: {single:.2f} ms each one by one, {batched:.2f} ms each in one batch")
        runs: tuple[tuple[str, int, float, Literal["thread", "process"]], ...] = (
            ("threads, micro-batched (2 ms)", 32, 2.0, "thread"),
            ("threads, no batching", 1, 0.0, "thread"),
            ("processes, micro-batched (2 ms)", 32, 2.0, "process"),
        )
        for label, max_batch, wait, executor in runs:
            pipeline = build_pipeline(engine, scorer, max_batch, wait, executor)
            rate, lag, sizes = asyncio.run(bench_concurrent(pipeline))
            mean_batch = statistics.mean(sizes) if sizes else 0
            print(
                f"  PII+blocklist+toxicity, concurrency 16, {label}: {rate:.0f} answers/s, "
                f"event-loop lag p99 {lag:.2f} ms, mean PII batch {mean_batch:.1f}"
            )
            pipeline._runner.close()
        pipeline = build_pipeline(engine, scorer, 32, 0.0)
        first, spent, scans = asyncio.run(bench_stream(pipeline))
        print(
            f"  stream in 4-char chunks: first release after {first} characters; "
            f"{scans} scans, {spent:.1f} ms of scanning for the whole answer"
        )
        pipeline._runner.close()


if __name__ == "__main__":
    main()
