"""Cost of a limit check and settle on the Redis backend: checks per second and latency.

    python benchmarks/usage_limits.py [--requests 5000] [--concurrency 50] [--lease-seconds 0.25]

One team budget, one key budget and RPM/TPM on both: the heaviest ordinary case. With
`--lease-seconds 0` every check is one Lua call and every settle another (batched); with leases
(the default) most of both stay in the process. Keys use a random prefix and are deleted after.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid

from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.core.redis import create_redis
from gateway.ledger.records import UsageRecord  # noqa: F401 - registers the table
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.models import Budget, RateLimit  # noqa: F401 - registers the tables
from gateway.limits.redis_backend import RedisLimits
from gateway.limits.rules import LimitRequest
from gateway.limits.settings import LimitsSettings


async def run(requests: int, concurrency: int, url: str, lease_seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{folder}/limits.db")
        tables = [SQLModel.metadata.tables[name] for name in ("usage_records", "budgets", "rate_limits")]
        SQLModel.metadata.create_all(engine, tables=tables)
        set_budget(engine, "team", 1, "1000000", "month")
        set_budget(engine, "key", 10, "1000000", "day")
        set_rate_limit(engine, "team", 1, rpm=10**8, tpm=10**9)
        set_rate_limit(engine, "key", 10, rpm=10**8, tpm=10**9)
        redis = create_redis(url)
        prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        settings = LimitsSettings(lease_seconds=lease_seconds)
        limits = RedisLimits(redis, LimitsCatalog(engine, 60), prefix=prefix, ledger=engine, settings=settings)
        latencies: list[float] = []
        settles: list[asyncio.Task[object]] = []
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                reservation = await limits.reserve(LimitRequest(1, 10, tokens=500, max_cost_nanos=50_000))
                latencies.append(time.perf_counter() - started)
                # As the app does: settled at once if leases allow, else after the response, unawaited.
                if not limits.settle_here(reservation, 20_000, 300):
                    settles.append(asyncio.create_task(limits.settle(reservation, 20_000, 300)))

        await limits.reserve(LimitRequest(1, 10))
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await asyncio.gather(*settles)
        await limits.close()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        latencies.sort()
        print(f"{requests / elapsed:,.0f} check+settle pairs/s with {concurrency} concurrent requests")
        print(f"gateway CPU per check+settle pair: {cpu / requests * 1e6:.0f} µs (Redis' own not included)")
        print(
            f"check latency: median {statistics.median(latencies) * 1000:.2f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms"
        )
        keys = [key async for key in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--lease-seconds", type=float, default=LimitsSettings().lease_seconds)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency, args.redis, args.lease_seconds))


if __name__ == "__main__":
    main()
