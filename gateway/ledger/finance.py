"""Queries for the finance API: spend and tokens grouped by team, key, model or day; CSV.

Engine in, plain dicts out. Money goes out as exact decimal strings (`cost_usd`), alongside the
integer nano-dollars it is summed from, so no float ever rounds a finance number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Date, Table, cast, func
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from gateway.ledger.records import UsageRecord, usd_text

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
GroupBy = Literal["team", "key", "model", "day"]
SPEND_COLUMNS = ("requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos", "cost_usd")
LEDGER_COLUMNS = (
    "time", "request_id", "team_id", "team_name", "key_prefix", "end_user", "requested_model", "deployment",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "latency_ms", "status_code", "error_code",
)  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(engine: Engine) -> ColumnElement[Any]:
    # The UTC calendar day; PostgreSQL's date() would use the session's time zone.
    if engine.dialect.name == "postgresql":
        return cast(func.timezone("UTC", RECORDS.c.time), Date)
    return func.date(RECORDS.c.time)


def _grouping(engine: Engine, group_by: GroupBy) -> tuple[ColumnElement[Any], list[ColumnElement[Any]]]:
    """The expression to group on, and the labelled columns that show it."""
    if group_by == "team":
        team = RECORDS.c.team_id
        return team, [team.label("team_id"), func.max(RECORDS.c.team_name).label("team_name")]
    if group_by == "key":
        key = RECORDS.c.key_id
        return key, [key.label("key_id"), func.max(RECORDS.c.key_prefix).label("key_prefix")]
    if group_by == "model":
        model = RECORDS.c.requested_model
        return model, [model.label("model")]
    if group_by == "day":
        day = _day(engine)
        return day, [day.label("day")]
    raise ValueError(f"cannot group spend by {group_by!r}")


def spend(
    engine: Engine,
    group_by: GroupBy,
    start: datetime,
    end: datetime,
    *,
    team_id: int | None = None,
) -> list[dict[str, Any]]:
    """Requests, tokens and cost per group for records with start <= time < end (optionally one team)."""
    key, shown = _grouping(engine, group_by)
    statement = (
        select_columns(
            *shown,
            func.count().label("requests"),
            func.coalesce(func.sum(RECORDS.c.prompt_tokens), 0).label("prompt_tokens"),
            func.coalesce(func.sum(RECORDS.c.completion_tokens), 0).label("completion_tokens"),
            func.coalesce(func.sum(RECORDS.c.total_tokens), 0).label("total_tokens"),
            func.coalesce(func.sum(RECORDS.c.cost_nanos), 0).label("cost_nanos"),
        )
        .where(RECORDS.c.time >= _utc(start), RECORDS.c.time < _utc(end))
        .group_by(key)
        .order_by(key)
    )
    if team_id is not None:
        statement = statement.where(RECORDS.c.team_id == team_id)
    with engine.connect() as connection:
        rows = connection.execute(statement).mappings().all()
    return [_spend_row(dict(row)) for row in rows]


def _spend_row(row: dict[str, Any]) -> dict[str, Any]:
    if "day" in row and row["day"] is not None:
        row["day"] = str(row["day"])
    for name in ("requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos"):
        row[name] = int(row[name])
    row["cost_usd"] = usd_text(row["cost_nanos"])
    return row


def ledger_rows(
    engine: Engine, start: datetime, end: datetime, *, team_id: int | None = None, chunk: int = 1000
) -> Iterator[dict[str, Any]]:
    """The ledger's records in a date range, oldest first, read in chunks (for a streamed export)."""
    statement = (
        select(UsageRecord)
        .where(col(UsageRecord.time) >= _utc(start), col(UsageRecord.time) < _utc(end))
        .order_by(col(UsageRecord.time), col(UsageRecord.id))
    )
    if team_id is not None:
        statement = statement.where(UsageRecord.team_id == team_id)
    with Session(engine) as session:
        for record in session.exec(statement.execution_options(yield_per=chunk)):
            row = {name: getattr(record, name) for name in LEDGER_COLUMNS if name != "cost_usd"}
            row["time"] = _utc(record.time).isoformat()
            row["cost_usd"] = usd_text(record.cost_nanos)
            yield row


def to_csv(rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> str:
    """CSV text with a header line; columns not in a row are left empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def spend_csv(engine: Engine, group_by: GroupBy, start: datetime, end: datetime, *, team_id: int | None = None) -> str:
    """The `spend` table as CSV."""
    rows = spend(engine, group_by, start, end, team_id=team_id)
    group_columns = {
        "team": ["team_id", "team_name"],
        "key": ["key_id", "key_prefix"],
        "model": ["model"],
        "day": ["day"],
    }
    return to_csv(rows, [*group_columns[group_by], *SPEND_COLUMNS])
