"""CPU per request of the limits path as the chat route runs it, in a real gateway state.

    python -m benchmarks.limits_path [--requests 20000] [--redis-url redis://127.0.0.1:6379/0] [--profile]

No HTTP and no upstream: a request's books are opened, reserved (catalog lookup, prompt count,
price, lease take, x-ratelimit headers) and settled, one after another, for a team with a budget,
RPM and TPM, and for a team without limits. The difference is what limits cost a request with
warm caches. Under load, interleaved with the rest of many requests, the same code runs with cold
caches and costs several times that: the second measurement, with caches flushed before each
request, comes close to it (see docs/usage.md). `--profile` prints where the warm time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

from gateway.config import load_config
from gateway.core.db import create_database_engine
from gateway.core.keys import create_key, create_team
from gateway.core.migrate import upgrade_database
from gateway.core.types import Principal
from gateway.ledger.tokens import TokenUsage
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.offline import apply_offline_defaults
from gateway.runtime import GatewayRuntime

PROMPT = "Summarise the quarterly report in three short bullet points for the board."
EVICTION_BUFFER = bytearray(8 * 1024 * 1024)
EVICTION_LINES = b"\x01" * (len(EVICTION_BUFFER) // 64)
BODY = {"model": "bench", "messages": [{"role": "user", "content": PROMPT}]}
NO_FILTERS = {"defaults": {"pii": {"enabled": False}, "toxicity": {"enabled": False}, "blocklist": {"enabled": False}}}


def _config(folder: Path, redis_url: str) -> Path:
    database_url = f"sqlite:///{folder}/bench.db"
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    limited = create_team(engine, "limited")
    create_team(engine, "free")
    assert limited.id is not None
    set_budget(engine, "team", limited.id, "1000000", "day")
    set_rate_limit(engine, "team", limited.id, rpm=10**8, tpm=10**10)
    engine.dispose()
    path = folder / "config.yaml"
    config = {
        "database_url": database_url,
        "redis_url": redis_url,
        "redis_key_prefix": f"bench-path-{os.getpid()}:",
        "filters": NO_FILTERS,
        "model_list": [
            {
                "model_name": "bench",
                "litellm_params": {
                    "model": "openai/echo",
                    "api_base": "http://127.0.0.1:9/v1",
                    "input_cost_per_token": 2.5e-06,
                    "output_cost_per_token": 1e-05,
                },
            }
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def _principal(state: GatewayRuntime, team: str) -> Principal:
    key = await asyncio.to_thread(create_key, state.engine, team)
    return await state.authenticator.authenticate(key.secret)


async def run(requests: int, redis_url: str, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        state = GatewayRuntime.build(load_config(_config(Path(folder), redis_url)))
        await state.start()
        try:
            deployment = state.router.require_group("bench")[0]
            usage = TokenUsage(prompt_tokens=25, completion_tokens=30)

            def request_for(principal: Principal) -> Callable[[], Awaitable[None]]:
                async def one() -> None:
                    books = state.accounting.open("chat")
                    books.identify(principal)
                    await books.reserve(
                        principal, BODY, deployment, lambda: state.counter.count_messages(BODY["messages"], "echo")
                    )
                    books.used(usage, deployment)
                    # What RequestBooks.close does with the reservation, without its ledger record
                    # (the writer thread would add its own CPU to both teams' measurements).
                    reservation, tokens = books.reservation, usage.prompt_tokens + usage.completion_tokens
                    if reservation is not None and not state.limits.settle_here(
                        reservation, books.event.cost_nanos, tokens
                    ):
                        await state.limits.settle(reservation, books.event.cost_nanos, tokens)

                return one

            free = request_for(await _principal(state, "free"))
            limited = request_for(await _principal(state, "limited"))
            for one in (free, limited):  # warm-up: encodings, leases, caches
                for _ in range(2_000):
                    await one()
            cpu: dict[str, list[float]] = {"free": [], "limited": []}
            for _ in range(3):
                for name, one in (("free", free), ("limited", limited)):
                    started = time.process_time()
                    for _ in range(requests):
                        await one()
                    cpu[name].append((time.process_time() - started) / requests * 1e6)
            free_us, limited_us = min(cpu["free"]), min(cpu["limited"])
            print(f"books without limits: {free_us:6.1f} µs CPU per request")
            print(f"books with limits:    {limited_us:6.1f} µs CPU per request")
            print(f"limits:               {limited_us - free_us:6.1f} µs CPU per request (best of 3 runs each)")
            cold = await _cold_cost(free, limited, pairs=min(requests, 4_000))
            print(f"limits, cold caches:  {cold:6.1f} µs per request (median over pairs, each after 8 MB touched)")
            if profile:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(requests):
                    await limited()
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        finally:
            await state.close()
            if state.redis is not None:
                keys = [key async for key in state.redis.scan_iter(f"bench-path-{os.getpid()}:*")]
                if keys:
                    await state.redis.delete(*keys)


async def _cold_cost(free: Callable[[], Awaitable[None]], limited: Callable[[], Awaitable[None]], pairs: int) -> float:
    """What limits add to a request that starts with cold caches, as it does in a loaded gateway,
    where everything else of many other requests runs between two calls of this code.

    Before each request 8 MB (four times a core's L2 cache here) is written, and the request is timed
    alone; the result is the median, over pairs of one request without and one with limits, of
    the difference. Steadier than a load test by far (about ±2 µs between runs), and close to
    what a loaded gateway pays: see docs/usage.md.
    """
    differences = []
    for number in range(pairs):
        times = []
        for one in (free, limited):
            EVICTION_BUFFER[::64] = EVICTION_LINES  # one byte in every 64-byte line
            started = time.perf_counter()
            await one()
            times.append(time.perf_counter() - started)
        differences.append((times[1] - times[0]) * 1e6)
        if number % 50 == 0:
            await asyncio.sleep(0.001)  # lets lease top-ups and settles reach Redis, as traffic would
    return statistics.median(differences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    apply_offline_defaults()
    asyncio.run(run(args.requests, args.redis_url, args.profile))


if __name__ == "__main__":
    main()
