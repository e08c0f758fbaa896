"""The batched usage writer against real SQLite and PostgreSQL: batches, outages, spill files, shutdown."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.ledger.records import UsageEvent, UsageRecord
from gateway.ledger.spill import SpillFile, spilled_files
from gateway.ledger.tables import USAGE_TABLE
from gateway.ledger.writer import LedgerWriter

pytestmark = pytest.mark.anyio


def _event(number: int, **fields: object) -> UsageEvent:
    values: dict[str, object] = {
        "request_id": f"req_{number:08d}",
        "requested_model": "gpt-4o-mini",
        "team_id": 1,
        "team_name": "research",
        "key_id": 10,
        "key_prefix": "sk-gw-abcd1234",
        "deployment": "gpt-4o-mini#0",
        "prompt_tokens": 12,
        "completion_tokens": 30,
        "cost_nanos": 19_800,
    }
    values.update(fields)
    return UsageEvent(**values)  # type: ignore[arg-type]


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(UsageRecord)).one())


def _writer(
    engine: Engine, folder: Path, on_state: Callable[[bool], None] | None = None, **options: Any
) -> LedgerWriter:
    return LedgerWriter(
        engine, folder, retry_initial=0.05, retry_max=0.2, write_timeout=5, on_database_state=on_state, **options
    )


class DatabaseState:
    """Awaitable transitions of the writer's view of the database."""

    def __init__(self) -> None:
        self.up = asyncio.Event()
        self.down = asyncio.Event()

    def __call__(self, up: bool) -> None:
        (self.up if up else self.down).set()
        (self.down if up else self.up).clear()


async def test_records_are_written_in_batches(engine: Engine, tmp_path: Path) -> None:
    writer = _writer(engine, tmp_path / "spill")
    await writer.start()
    for number in range(3000):
        writer.submit(_event(number))
    await writer.drained()
    await writer.close()
    assert _count(engine) == 3000
    assert writer.stats.batches <= 30  # one insert per batch, not per record


async def test_a_ledger_row_holds_tokens_cost_timing_and_verdicts(engine: Engine, tmp_path: Path) -> None:
    writer = _writer(engine, tmp_path / "spill")
    await writer.start()
    when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    verdicts = [{"source": "filter:pii", "action": "redact", "mode": "enforce", "reason": "email"}]
    details = {"ttft_ms": 120, "latency_ms": 900, "fallbacks": ["gpt-4o"], "retries": 1, "verdicts": verdicts}
    prompt = {"end_user": "alice", "prompt_name": "support", "prompt_version": "3"}
    writer.submit(_event(1, time=when, streamed=True, disconnected=True, usage_counted=True, **details, **prompt))
    writer.submit(
        _event(2, status_code=429, error_code="insufficient_quota", prompt_tokens=0, completion_tokens=0, cost_nanos=0)
    )
    await writer.close()
    with Session(engine) as session:
        rows = {row.request_id: row for row in session.exec(select(UsageRecord))}
    streamed, refused = rows["req_00000001"], rows["req_00000002"]
    assert (streamed.prompt_tokens, streamed.completion_tokens, streamed.total_tokens) == (12, 30, 42)
    assert streamed.cost_usd == Decimal("0.0000198")
    assert streamed.time.replace(tzinfo=UTC) == when
    assert (streamed.streamed, streamed.disconnected, streamed.usage_counted) == (True, True, True)
    assert (streamed.ttft_ms, streamed.latency_ms, streamed.retries, streamed.fallbacks) == (120, 900, 1, ["gpt-4o"])
    assert streamed.verdicts == verdicts
    assert (streamed.end_user, streamed.prompt_name, streamed.prompt_version) == ("alice", "support", "3")
    assert (refused.status_code, refused.error_code, refused.cost_nanos) == (429, "insufficient_quota", 0)


@pytest.mark.postgres
async def test_a_postgresql_outage_loses_nothing(postgres: Any, postgres_engine: Engine, tmp_path: Path) -> None:
    state = DatabaseState()
    writer = _writer(postgres_engine, tmp_path / "spill", state)
    await writer.start()
    for number in range(200):
        writer.submit(_event(number))
    await writer.drained()
    postgres.go_down()
    for number in range(200, 700):
        writer.submit(_event(number))
    await state.down.wait()
    await writer.drained()
    assert writer.stats.spilled > 0 and spilled_files(tmp_path / "spill")
    postgres.come_back()
    await state.up.wait()
    await writer.drained()
    await writer.close()
    assert _count(postgres_engine) == 700
    assert not spilled_files(tmp_path / "spill")


async def test_a_sqlite_ledger_unwritable_for_a_while_loses_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    state = DatabaseState()
    writer = _writer(sqlite_engine, tmp_path / "spill", state)
    await writer.start()
    with sqlite_engine.begin() as connection:  # another client takes the table away
        connection.exec_driver_sql("ALTER TABLE usage_records RENAME TO usage_records_away")
    for number in range(300):
        writer.submit(_event(number))
    await state.down.wait()
    await writer.drained()
    assert writer.stats.spilled == 300
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE usage_records_away RENAME TO usage_records")
    await state.up.wait()
    await writer.close()
    assert _count(sqlite_engine) == 300


@pytest.mark.postgres
async def test_spill_files_of_a_previous_run_are_replayed_at_start(
    postgres: Any, postgres_engine: Engine, tmp_path: Path
) -> None:
    postgres.go_down()
    first = _writer(postgres_engine, tmp_path / "spill")
    await first.start()
    for number in range(250):
        first.submit(_event(number))
    await first.close()  # the database is away: everything goes to the spill file
    assert first.stats.spilled == 250 and len(spilled_files(tmp_path / "spill")) == 1
    postgres.come_back()
    second = _writer(postgres_engine, tmp_path / "spill")
    await second.start()
    await second.drained()
    await second.close()
    assert second.stats.replayed == 250
    assert _count(postgres_engine) == 250
    assert not spilled_files(tmp_path / "spill")


async def test_a_record_both_stored_and_spilled_is_counted_once(engine: Engine, tmp_path: Path) -> None:
    rows = [_event(number).as_row() for number in range(100)]
    USAGE_TABLE.insert(engine, rows[:60])
    spill = SpillFile(tmp_path / "spill")
    spill.append(rows)
    spill.rotate()
    writer = _writer(engine, tmp_path / "spill")
    await writer.start()
    await writer.drained()
    await writer.close()
    assert _count(engine) == 100


def test_a_large_batch_with_repeats_stores_each_row_once_and_as_the_orm_reads_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More rows than one SQLite statement may carry (they are split), with repeated request ids."""
    columns = len(UsageRecord.__table__.columns) - 1  # type: ignore[attr-defined]  # all but the id
    monkeypatch.setattr(engine.dialect, "insertmanyvalues_max_parameters", columns * 7)  # 7 rows a statement
    when = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC)
    rows = [_event(number % 40, time=when, streamed=number % 2 == 0, fallbacks=["b"]).as_row() for number in range(50)]
    USAGE_TABLE.insert(engine, rows)
    USAGE_TABLE.insert(engine, rows[:5])
    assert _count(engine) == 40
    with Session(engine) as session:
        record = session.exec(select(UsageRecord).where(UsageRecord.request_id == "req_00000003")).one()
    assert record.time.replace(tzinfo=UTC) == when
    assert (record.streamed, record.fallbacks, record.usage_counted) == (False, ["b"], False)
    assert (record.total_tokens, record.cost_nanos) == (42, 19_800)


async def test_close_flushes_every_queued_record(engine: Engine, tmp_path: Path) -> None:
    writer = _writer(engine, tmp_path / "spill")
    await writer.start()
    for number in range(5000):
        writer.submit(_event(number))
    await writer.close()
    assert _count(engine) == 5000


async def test_submit_never_blocks_even_when_the_queue_is_full(sqlite_engine: Engine, tmp_path: Path) -> None:
    writer = _writer(sqlite_engine, tmp_path / "spill", queue_size=10)
    await writer.start()
    for number in range(1000):
        writer.submit(_event(number))  # no await: the event loop never ran the writer meanwhile
    assert writer.pending == 1000
    await writer.close()
    assert _count(sqlite_engine) == 1000


async def test_a_torn_last_line_of_a_spill_file_is_skipped(sqlite_engine: Engine, tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill")
    spill.append([_event(number).as_row() for number in range(3)])
    assert spill.path is not None
    path = spill.path
    spill.rotate()
    with path.open("ab") as handle:
        handle.write(b'{"request_id": "req_torn", "ti')  # a crash in the middle of a write
        os.fsync(handle.fileno())
    writer = _writer(sqlite_engine, tmp_path / "spill")
    await writer.start()
    await writer.drained()
    await writer.close()
    assert _count(sqlite_engine) == 3
