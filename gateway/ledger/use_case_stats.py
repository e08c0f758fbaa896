"""Queries of the ledger for the centre of excellence's KPIs: traffic per use case and per model,
library prompt reuse, review decision times, and each use case's spend this month.

Engine in, plain dataclasses out. Each query reads one time range of `usage_records` (served by the
`(use_case, time)` and `(time)` indexes) and aggregates in the database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Integer, Table, and_, cast, distinct, func, literal_column
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from filters.review_store import ReviewItem
from gateway.ledger.records import UsageRecord

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
REVIEWS: Table = ReviewItem.__table__  # type: ignore[attr-defined]
Period = Literal["week", "month"]


@dataclass(frozen=True)
class Traffic:
    """Requests of one use case (or model) in a range: how many, what they cost, how many were
    flagged or blocked, by how many teams and people (the `user` field), how many used a library prompt."""

    key: str
    requests: int
    cost_nanos: int
    flagged: int
    blocked: int
    teams: int
    people: int
    library: int


@dataclass(frozen=True)
class Reuse:
    requests: int
    library_requests: int
    shared_prompts: int  # library prompts used by more than one team


@dataclass(frozen=True)
class ReviewTime:
    minutes: float
    within_sla: bool


@dataclass(frozen=True)
class PeriodTraffic:
    period: str  # the first day of the week (Monday) or month, YYYY-MM-DD
    use_case: str
    requests: int
    cost_nanos: int


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_range(since: datetime, until: datetime, team: str | None) -> list[ColumnElement[bool]]:
    where = [RECORDS.c.time >= _utc(since), RECORDS.c.time < _utc(until)]
    if team is not None:
        where.append(RECORDS.c.team_name == team)
    return where


def _count_true(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(cast(column, Integer)), 0)


def _traffic(engine: Engine, key: Any, where: list[ColumnElement[bool]]) -> list[Traffic]:
    statement = (
        select_columns(
            key.label("key"),
            func.count().label("requests"),
            func.coalesce(func.sum(RECORDS.c.cost_nanos), 0).label("cost_nanos"),
            _count_true(RECORDS.c.flagged).label("flagged"),
            _count_true(RECORDS.c.blocked).label("blocked"),
            func.count(distinct(RECORDS.c.team_name)).label("teams"),
            func.count(distinct(RECORDS.c.end_user)).label("people"),
            func.count(RECORDS.c.prompt_name).label("library"),
        )
        .where(and_(*where))
        .group_by(key)
        .order_by(key)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [Traffic(str(r[0]), *(int(value) for value in r[1:])) for r in rows]


def traffic_by_use_case(engine: Engine, since: datetime, until: datetime, team: str | None = None) -> list[Traffic]:
    """Attributed requests with since <= time < until, per use case."""
    where = [*_in_range(since, until, team), RECORDS.c.use_case.is_not(None)]
    return _traffic(engine, RECORDS.c.use_case, where)


def traffic_by_model(engine: Engine, since: datetime, until: datetime, team: str | None = None) -> list[Traffic]:
    """Every request (attributed or not) in the range, per requested model."""
    return _traffic(engine, RECORDS.c.requested_model, _in_range(since, until, team))


def reuse(engine: Engine, since: datetime, until: datetime, team: str | None = None) -> Reuse:
    where = and_(*_in_range(since, until, team))
    shared = (
        select_columns(RECORDS.c.prompt_name)
        .where(where, RECORDS.c.prompt_name.is_not(None))
        .group_by(RECORDS.c.prompt_name)
        .having(func.count(distinct(RECORDS.c.team_name)) > 1)
        .subquery()
    )
    with engine.connect() as connection:
        requests, library = connection.execute(
            select_columns(func.count(), func.count(RECORDS.c.prompt_name)).where(where)
        ).one()
        shared_prompts = connection.execute(select_columns(func.count()).select_from(shared)).scalar_one()
    return Reuse(int(requests), int(library), int(shared_prompts))


def review_times(engine: Engine, since: datetime, until: datetime, team: str | None = None) -> list[ReviewTime]:
    """How long each review item decided in the range waited, and whether before its SLA."""
    statement = select_columns(REVIEWS.c.created_at, REVIEWS.c.decided_at, REVIEWS.c.sla_due_at).where(
        REVIEWS.c.decided_at >= _utc(since), REVIEWS.c.decided_at < _utc(until)
    )
    if team is not None:
        statement = statement.where(REVIEWS.c.team == team)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    times = []
    for created, decided, due in rows:
        created, decided, due = _utc(created), _utc(decided), _utc(due)
        times.append(ReviewTime((decided - created).total_seconds() / 60, decided <= due))
    return times


def _period_start(engine: Engine, period: Period) -> ColumnElement[Any]:
    if engine.dialect.name == "postgresql":
        return func.to_char(func.date_trunc(period, func.timezone("UTC", RECORDS.c.time)), "YYYY-MM-DD")
    if period == "month":
        return func.strftime("%Y-%m-01", RECORDS.c.time)
    # SQLite: forward to the week's Sunday ('weekday 0'; the day itself if Sunday), back six days to its Monday.
    return func.date(RECORDS.c.time, literal_column("'weekday 0'"), literal_column("'-6 days'"))


def traffic_by_period(
    engine: Engine, since: datetime, until: datetime, period: Period, team: str | None = None
) -> list[PeriodTraffic]:
    """Attributed requests and cost per use case per week or month."""
    start = _period_start(engine, period)
    statement = (
        select_columns(
            start.label("period"),
            RECORDS.c.use_case,
            func.count(),
            func.coalesce(func.sum(RECORDS.c.cost_nanos), 0),
        )
        .where(*_in_range(since, until, team), RECORDS.c.use_case.is_not(None))
        .group_by(start, RECORDS.c.use_case)
        .order_by(start, RECORDS.c.use_case)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [PeriodTraffic(str(p), str(u), int(n), int(c)) for p, u, n, c in rows]


def spend_by_use_case(engine: Engine, since: datetime, use_cases: Collection[str]) -> dict[str, int]:
    """Nano-dollars each of `use_cases` spent since `since` (the request path's monthly caps)."""
    statement = (
        select_columns(RECORDS.c.use_case, func.coalesce(func.sum(RECORDS.c.cost_nanos), 0))
        .where(RECORDS.c.time >= _utc(since), RECORDS.c.use_case.in_(list(use_cases)))
        .group_by(RECORDS.c.use_case)
    )
    with engine.connect() as connection:
        return {str(use_case): int(nanos) for use_case, nanos in connection.execute(statement).all()}
