"""Spend per day, team, key and model for a range: whole past days from the daily rollup
(gateway/ledger/daily.py), the rest (today, a partial first or last day) from the ledger itself.

The people of the `user` field are not in the rollup (see UsageDay), so `end_user_spend` reads the
ledger, over the range's time index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

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
    """Totals of one group: a UTC day, team, key and model, each only when asked for
    (0 and '' stand for none, or for a dimension not grouped on)."""

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


Dimension = Literal["day", "team", "key", "model"]
DIMENSIONS: tuple[Dimension, ...] = ("day", "team", "key", "model")


def _rollup_columns(dimension: Dimension) -> list[ColumnElement[Any]]:
    c = DAILY.c
    columns: dict[str, list[ColumnElement[Any]]] = {
        "day": [c.day],
        "team": [c.team_id, c.team_name],
        "key": [c.key_id],
        "model": [c.requested_model],
    }
    return columns[dimension]


def _ledger_columns(engine: Engine, dimension: Dimension) -> list[ColumnElement[Any]]:
    c = RECORDS.c
    columns: dict[str, list[ColumnElement[Any]]] = {
        "day": [day_of(engine)],
        "team": [func.coalesce(c.team_id, 0), func.coalesce(c.team_name, "")],
        "key": [func.coalesce(c.key_id, 0)],
        "model": [c.requested_model],
    }
    return columns[dimension]


def _filtered(statement: Any, columns: Any, only: SpendFilter) -> Any:
    for name, value in (("team_id", only.team_id), ("key_id", only.key_id), ("requested_model", only.model)):
        if value is not None:
            statement = statement.where(columns[name] == value)
    return statement


def _rolled_up(span: Window, only: SpendFilter, by: tuple[Dimension, ...]) -> Any:
    assert span.days is not None
    c = DAILY.c
    dims = [column for dimension in by for column in _rollup_columns(dimension)]
    statement = (
        select_columns(*dims, *(func.coalesce(func.sum(c[name]), 0) for name in SUMMED))
        .where(c.day >= span.days[0], c.day < span.days[1])
        .group_by(*dims)
    )
    return _filtered(statement, c, only)


def _from_ledger(engine: Engine, start: datetime, end: datetime, only: SpendFilter, by: tuple[Dimension, ...]) -> Any:
    c = RECORDS.c
    dims = [column for dimension in by for column in _ledger_columns(engine, dimension)]
    statement = (
        select_columns(*dims, func.count(), *(func.coalesce(func.sum(c[name]), 0) for name in SUMMED[1:]))
        .where(c.time >= start.astimezone(UTC), c.time < end.astimezone(UTC))
        .group_by(*dims)
    )
    return _filtered(statement, c, only)


def _cell(by: tuple[Dimension, ...], row: Any) -> SpendCell:
    values = iter(row)
    shown: dict[str, Any] = {"day": "", "team_id": 0, "team_name": "", "key_id": 0, "model": ""}
    for dimension in by:
        if dimension == "day":
            day = next(values)
            shown["day"] = day.isoformat() if isinstance(day, date) else str(day)
        elif dimension == "team":
            shown["team_id"], shown["team_name"] = int(next(values)), str(next(values))
        elif dimension == "key":
            shown["key_id"] = int(next(values))
        else:
            shown["model"] = next(values) or ""
    requests, prompt_tokens, completion_tokens, total_tokens, cost_nanos = (int(value) for value in values)
    return SpendCell(
        shown["day"],
        shown["team_id"],
        shown["team_name"],
        shown["key_id"],
        shown["model"],
        requests,
        prompt_tokens,
        completion_tokens,
        total_tokens,
        cost_nanos,
    )


def spend_cells(
    engine: Engine, span: Window, only: SpendFilter, by: tuple[Dimension, ...] = DIMENSIONS
) -> list[SpendCell]:
    """Totals per group of the dimensions `by` in the window, summed exactly (nano-dollars).
    Group on no more than is shown: every dimension multiplies the rows read back."""
    ordered = tuple(dimension for dimension in DIMENSIONS if dimension in by)
    statements = [_rolled_up(span, only, ordered)] if span.days is not None else []
    statements += [_from_ledger(engine, start, end, only, ordered) for start, end in span.edges]
    with engine.connect() as connection:
        return [_cell(ordered, row) for statement in statements for row in connection.execute(statement).all()]


def end_user_spend(engine: Engine, span: Window, only: SpendFilter, limit: int) -> list[dict[str, Any]]:
    """The `limit` costliest people (the `user` field) of the range, with their requests and tokens."""
    c = RECORDS.c
    cost = func.coalesce(func.sum(c.cost_nanos), 0)
    statement = select_columns(c.end_user, func.count(), func.coalesce(func.sum(c.total_tokens), 0), cost).where(
        c.time >= span.since.astimezone(UTC), c.time < span.until.astimezone(UTC), c.end_user.is_not(None)
    )
    statement = _filtered(statement, c, only).group_by(c.end_user).order_by(cost.desc(), c.end_user).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [
        {"end_user": user, "requests": int(n), "total_tokens": int(tokens), "cost_nanos": int(nanos)}
        for user, n, tokens, nanos in rows
    ]
