"""An asyncio load generator (used when wrk is not installed): fixed concurrency for a fixed time."""

from __future__ import annotations

import asyncio
import time

import aiohttp


async def run_load(url: str, body: bytes, headers: dict[str, str], concurrency: int, seconds: float) -> list[float]:
    """Return the latency, in seconds, of every request completed with status 200."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        latencies.append(time.perf_counter() - started)
                    else:
                        failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failures:
        raise RuntimeError(f"{failures} requests failed during the benchmark")
    return latencies
