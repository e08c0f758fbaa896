"""Spend per day, team, key and model for a range: whole past days from the daily rollup
(gateway/ledger/daily.py), the rest (today, a partial first or last day) from the ledger itself.

The people of the `user` field are not in the rollup (see UsageDay), so `end_user_spend` reads the
ledger, over the range's time index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from gateway.ledger.daily import DAILY, day_of
from gateway.ledger.records import UsageRecord
from gateway.ledger.use_case_stats import Window

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
SUMMED = ("requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos")


@dataclass(frozen=True)
class SpendFilter:
    """Which requests count: all, or one team's, one key's, one model's (any combination)."""

    team_id: int | None = None
    key_id: int | None = None
    model: str | None = None


@dataclass(frozen=True)
class SpendCell:
    """Totals of one UTC day, team, key and model (0 and '' stand for none)."""

    day: str
    team_id: int
    team_name: str
    key_id: int
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_nanos: int


def _rolled_up(span: Window, only: SpendFilter) -> Any:
    assert span.days is not None
    c = DAILY.c
    dims = (c.day, c.team_id, c.team_name, c.key_id, c.requested_model)
    statement = (
        select_columns(*dims, *(func.sum(c[name]) for name in SUMMED))
        .where(c.day >= span.days[0], c.day < span.days[1])
        .group_by(*dims)
    )
    for column, value in ((c.team_id, only.team_id), (c.key_id, only.key_id), (c.requested_model, only.model)):
        if value is not None:
            statement = statement.where(column == value)
    return statement


def _from_ledger(engine: Engine, start: datetime, end: datetime, only: SpendFilter) -> Any:
    c = RECORDS.c
    dims: list[ColumnElement[Any]] = [
        day_of(engine),
        func.coalesce(c.team_id, 0),
        func.coalesce(c.team_name, ""),
        func.coalesce(c.key_id, 0),
        c.requested_model,
    ]
    statement = (
        select_columns(*dims, func.count(), *(func.coalesce(func.sum(c[name]), 0) for name in SUMMED[1:]))
        .where(*_in_range(start, end, only))
        .group_by(*dims)
    )
    return statement


def _in_range(start: datetime, end: datetime, only: SpendFilter) -> list[ColumnElement[bool]]:
    c = RECORDS.c
    where = [c.time >= start.astimezone(UTC), c.time < end.astimezone(UTC)]
    for column, value in ((c.team_id, only.team_id), (c.key_id, only.key_id), (c.requested_model, only.model)):
        if value is not None:
            where.append(column == value)
    return where


def spend_cells(engine: Engine, span: Window, only: SpendFilter) -> list[SpendCell]:
    """Totals per (day, team, key, model) in the window, costliest groups summed exactly (nano-dollars)."""
    statements = [_rolled_up(span, only)] if span.days is not None else []
    statements += [_from_ledger(engine, start, end, only) for start, end in span.edges]
    cells = []
    with engine.connect() as connection:
        for statement in statements:
            for day, team_id, team_name, key_id, model, *sums in connection.execute(statement).all():
                shown = day.isoformat() if isinstance(day, date) else str(day)
                cells.append(
                    SpendCell(shown, int(team_id), str(team_name), int(key_id), model or "", *(int(v) for v in sums))
                )
    return cells


def end_user_spend(engine: Engine, span: Window, only: SpendFilter, limit: int) -> list[dict[str, Any]]:
    """The `limit` costliest people (the `user` field) of the range, with their requests and tokens."""
    c = RECORDS.c
    statement = (
        select_columns(
            c.end_user,
            func.count(),
            func.coalesce(func.sum(c.total_tokens), 0),
            func.coalesce(func.sum(c.cost_nanos), 0).label("cost"),
        )
        .where(*_in_range(span.since, span.until, only), c.end_user.is_not(None))
        .group_by(c.end_user)
        .order_by(func.coalesce(func.sum(c.cost_nanos), 0).desc(), c.end_user)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [
        {"end_user": user, "requests": int(n), "total_tokens": int(tokens), "cost_nanos": int(cost)}
        for user, n, tokens, cost in rows
    ]
