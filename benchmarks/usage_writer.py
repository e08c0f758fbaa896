"""Rows per second the usage writer sustains on SQLite and PostgreSQL.

    python benchmarks/usage_writer.py [--rows 50000] [--postgres postgresql://postgres@127.0.0.1:5432/test]

Submits `rows` records as fast as the event loop allows and measures until the last one is
stored: the writer's sustained insert rate, batches included. For PostgreSQL a throwaway database
is created next to the given one and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.core.ids import time_ordered_hex
from gateway.ledger.records import UsageEvent, UsageRecord
from gateway.ledger.writer import LedgerWriter


def _event(number: int) -> UsageEvent:
    return UsageEvent(
        request_id=f"req_{time_ordered_hex()}",
        requested_model="gpt-4o-mini",
        team_id=number % 7,
        team_name="team",
        key_id=number % 31,
        key_prefix="sk-gw-abcd1234",
        deployment="gpt-4o-mini#0",
        prompt_tokens=120,
        completion_tokens=300,
        cost_nanos=198_000,
        latency_ms=850,
        verdicts=[{"source": "filter:pii", "action": "allow", "mode": "enforce", "reason": ""}],
    )


async def measure(engine: Engine, rows: int, spill: Path) -> float:
    SQLModel.metadata.create_all(engine, tables=[UsageRecord.__table__])  # type: ignore[attr-defined]
    events = [_event(number) for number in range(rows)]
    writer = LedgerWriter(engine, spill, queue_size=rows)
    await writer.start()
    started = time.perf_counter()
    for event in events:
        writer.submit(event)
    await writer.drained()
    elapsed = time.perf_counter() - started
    await writer.close()
    assert writer.stats.written == rows and writer.stats.spilled == 0
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{folder}/bench.db")
        print(f"SQLite:     {asyncio.run(measure(engine, args.rows, Path(folder) / 'spill')):>9,.0f} rows/s")
        engine.dispose()
        name = "bench_" + uuid.uuid4().hex[:10]
        admin = make_url(args.postgres).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        try:
            engine = create_database_engine(make_url(admin).set(database=name).render_as_string(hide_password=False))
            print(f"PostgreSQL: {asyncio.run(measure(engine, args.rows, Path(folder) / 'spill')):>9,.0f} rows/s")
            engine.dispose()
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
