"""Queries of the ledger for the centre of excellence's KPIs: traffic per use case and per model,
library prompt reuse, review decision times, and each use case's spend this month.

Engine in, plain dataclasses out. Whole past days are read from the daily rollup (gateway/ledger/
daily.py); the rest of a range (today, a partial first or last day) from the ledger itself.
Distinct people and the teams of each library prompt are counted from the pairs stored in
`usage_pairs` with their first and last use, probing the ledger's indexes only for pairs used
both before and after the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Date, DateTime, Integer, Table, and_, case, cast, exists, func, literal, null, or_, union_all
from sqlalchemy import select as select_columns
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from filters.review_store import ReviewItem
from gateway.ledger.daily import DAILY, PAIR_SOURCES, PAIRS, Rollup, day_of, utc_day_start
from gateway.ledger.records import UsageRecord

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
REVIEWS: Table = ReviewItem.__table__  # type: ignore[attr-defined]
Period = Literal["week", "month"]


@dataclass
class Traffic:
    """Requests of one use case (or model) in a range: how many, what they cost, how many were
    flagged or blocked, by how many teams and people (the `user` field), how many used a library prompt."""

    key: str
    requests: int = 0
    cost_nanos: int = 0
    flagged: int = 0
    blocked: int = 0
    people: int = 0
    library: int = 0
    team_names: set[str] = field(default_factory=set, repr=False)

    @property
    def teams(self) -> int:
        return len(self.team_names) - ("" in self.team_names)

    def copy(self) -> Traffic:
        return replace(self, team_names=set(self.team_names))


@dataclass(frozen=True)
class Reuse:
    requests: int
    library_requests: int
    shared_prompts: int  # library prompts used by more than one team


@dataclass(frozen=True)
class ReviewSla:
    """Review items decided in a range: how many, how many before their SLA, the median wait."""

    decided: int
    within_sla: int
    median_minutes: float | None  # None when none was decided


@dataclass(frozen=True)
class PeriodTraffic:
    period: str  # the first day of the week (Monday) or month, YYYY-MM-DD
    use_case: str
    requests: int
    cost_nanos: int


@dataclass(frozen=True)
class Window:
    """A range split into whole past days (read from the rollup) and the edges read from the ledger."""

    since: datetime
    until: datetime
    days: tuple[date, date] | None  # [first, end) of the rolled-up days
    edges: tuple[tuple[datetime, datetime], ...]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def window(since: datetime, until: datetime, today: date) -> Window:
    since, until = _utc(since), _utc(until)
    first = since.date() if since == utc_day_start(since.date()) else since.date() + timedelta(days=1)
    end = min(until.date(), today)
    if first >= end:
        return Window(since, until, None, ((since, until),))
    edges = [(since, utc_day_start(first)), (utc_day_start(end), until)]
    return Window(since, until, (first, end), tuple((a, b) for a, b in edges if a < b))


@dataclass
class TrafficSums:
    """A range's traffic summed once: per use case ('' for none), per model, per week or month and
    use case, and in all."""

    period: Period = "week"
    use_cases: dict[str, Traffic] = field(default_factory=dict)
    models: dict[str, Traffic] = field(default_factory=dict)
    periods: dict[tuple[date, str], list[int]] = field(default_factory=dict)  # (first day, use case)
    requests: int = 0
    library: int = 0

    def add(self, grouping: str, key: str, team: str, day: Any, counts: tuple[Any, ...]) -> None:
        """One row of sums (requests, cost, flagged, blocked, library) of `grouping`: `use_case` or
        `model` (with its team), or `period` (a use case's requests and cost in the week or month
        that `day` falls in)."""
        requests, cost = int(counts[0]), int(counts[1])
        if grouping == "period":
            when = _as_date(day)
            start = when.replace(day=1) if self.period == "month" else when - timedelta(days=when.weekday())
            bucket = self.periods.get((start, key))
            if bucket is None:
                self.periods[(start, key)] = [requests, cost]
            else:
                bucket[0] += requests
                bucket[1] += cost
            return
        found = self.use_cases if grouping == "use_case" else self.models
        t = found.get(key)
        if t is None:
            t = found[key] = Traffic(key)
        library = int(counts[4])
        t.requests += requests
        t.cost_nanos += cost
        t.flagged += int(counts[2])
        t.blocked += int(counts[3])
        t.library += library
        t.team_names.add(team)
        if grouping == "use_case":
            self.requests += requests
            self.library += library

    def copy(self) -> TrafficSums:
        return TrafficSums(
            self.period,
            {key: t.copy() for key, t in self.use_cases.items()},
            {key: t.copy() for key, t in self.models.items()},
            {key: list(bucket) for key, bucket in self.periods.items()},
            self.requests,
            self.library,
        )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _counts(requests: Any, cost: Any, flagged: Any, blocked: Any, library: Any) -> list[ColumnElement[Any]]:
    return [
        func.coalesce(requests, 0),
        func.coalesce(cost, 0),
        func.coalesce(flagged, 0),
        func.coalesce(blocked, 0),
        func.coalesce(library, 0),
    ]


class UseCaseStats:
    """The KPI queries over one database; `query_window` brings the rollup up to date first.

    A range's sums take two queries: one over the rollup's whole days (its three groupings in one
    UNION ALL, kept until the next rebuild: past days change only then) and one over the ledger's
    edges (today, a partial first day), grouped finely enough to serve all three groupings."""

    def __init__(self, engine: Engine, rollup_refresh_seconds: float = 60.0) -> None:
        self.engine = engine
        self._rollup = Rollup(engine, rollup_refresh_seconds)
        self._generation = 0
        self._rolled: dict[tuple[int, tuple[date, date], str | None, Period], TrafficSums] = {}

    def query_window(self, since: datetime, until: datetime, now: datetime) -> Window:
        if self._rollup.refresh(now):
            self._generation += 1
            self._rolled = {}
        return window(since, until, self._rollup.complete_until(now))

    def sums(self, span: Window, team: str | None = None, period: Period = "week") -> TrafficSums:
        """The range's traffic (of one team), from the rollup and the edges."""
        if span.days is not None:
            sums = self._rolled_sums(span.days, team, period).copy()
        else:
            sums = TrafficSums(period)
        if span.edges:
            for day, team_name, use_case, model, *counts in self._edge_sums(span, team):
                row = tuple(counts)
                sums.add("use_case", str(use_case), str(team_name), day, row)
                sums.add("model", str(model), str(team_name), day, row)
                if use_case:
                    sums.add("period", str(use_case), "", day, row)
        return sums

    def _rolled_sums(self, days: tuple[date, date], team: str | None, period: Period) -> TrafficSums:
        """The sums of the rollup's whole days, read once per rebuild (they change only then)."""
        cache_key = (self._generation, days, team, period)
        cached = self._rolled.get(cache_key)
        if cached is not None:
            return cached
        where = [DAILY.c.day >= days[0], DAILY.c.day < days[1]]
        if team is not None:
            where.append(DAILY.c.team_name == team)
        counts = _counts(
            func.sum(DAILY.c.requests),
            func.sum(DAILY.c.cost_nanos),
            func.sum(DAILY.c.flagged),
            func.sum(DAILY.c.blocked),
            func.sum(DAILY.c.library),
        )
        no_day = cast(null(), Date)
        start = period_start(self.engine, period)
        c = DAILY.c
        statement = union_all(
            select_columns(literal("use_case"), c.use_case, c.team_name, no_day, *counts)
            .where(*where)
            .group_by(c.use_case, c.team_name),
            select_columns(literal("model"), c.requested_model, c.team_name, no_day, *counts)
            .where(*where)
            .group_by(c.requested_model, c.team_name),
            select_columns(literal("period"), c.use_case, literal(""), start, *counts)
            .where(*where, c.use_case != "")
            .group_by(start, c.use_case),
        )
        sums = TrafficSums(period)
        with self.engine.connect() as connection:
            for grouping, key, team_name, day, *row in connection.execute(statement):
                sums.add(grouping, key, team_name, day, tuple(row))
        if len(self._rolled) > 256:  # one entry per range and team asked since the last rebuild
            self._rolled = {}
        self._rolled[cache_key] = sums
        return sums

    def _edge_sums(self, span: Window, team: str | None) -> list[tuple[Any, ...]]:
        """The edges' rows per day, team, use case and model, in one query."""
        keys = [
            day_of(self.engine),
            func.coalesce(RECORDS.c.team_name, ""),
            func.coalesce(RECORDS.c.use_case, ""),
            RECORDS.c.requested_model,
        ]
        counts = _counts(
            func.count(),
            func.sum(RECORDS.c.cost_nanos),
            func.sum(cast(RECORDS.c.flagged, Integer)),
            func.sum(cast(RECORDS.c.blocked, Integer)),
            func.count(RECORDS.c.prompt_name),
        )
        in_edges = or_(*(and_(RECORDS.c.time >= _utc(a), RECORDS.c.time < _utc(b)) for a, b in span.edges))
        statement = select_columns(*keys, *counts).where(in_edges).group_by(*keys)
        if team is not None:
            statement = statement.where(RECORDS.c.team_name == team)
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(statement).all()]

    def traffic_by_use_case(self, sums: TrafficSums, span: Window, team: str | None = None) -> list[Traffic]:
        """Attributed requests in the range, per use case, with their distinct people."""
        found = {key: t for key, t in sums.use_cases.items() if key}
        people: dict[str, int] = defaultdict(int)
        for use_case, _person in self._pairs_used(span, "person", team, list(found)):
            people[use_case] += 1
        for use_case, count in people.items():
            if use_case in found:
                found[use_case].people = count
        return [found[key] for key in sorted(found)]

    def _pairs_used(
        self, span: Window, kind: str, team: str | None, use_cases: list[str] | None = None
    ) -> set[tuple[str, str]]:
        """The pairs of `kind` with a ledger row in the range: a stored pair first or last used in
        it counts at once, one used before and after it (or undated) is probed on the ledger's
        index; pairs too new for the store (rows since the last rebuild) are read from the ledger."""
        first, second = PAIR_SOURCES[kind]
        since, until = _utc(span.since), _utc(span.until)
        mine = [PAIRS.c.kind == kind]
        if team is not None:  # only the team's pairs: its use cases' people, its own prompt uses
            mine.append(PAIRS.c.first.in_(use_cases or []) if kind == "person" else PAIRS.c.second == team)
        dated_inside = or_(
            and_(PAIRS.c.first_seen >= since, PAIRS.c.first_seen < until),
            and_(PAIRS.c.last_seen >= since, PAIRS.c.last_seen < until),
        )
        around = or_(PAIRS.c.first_seen.is_(None), and_(PAIRS.c.first_seen < since, PAIRS.c.last_seen >= until))
        used = and_(first == PAIRS.c.first, second == PAIRS.c.second, *_in_range(since, until, team))
        stored = union_all(
            select_columns(PAIRS.c.first, PAIRS.c.second).where(*mine, dated_inside),
            select_columns(PAIRS.c.first, PAIRS.c.second).where(
                *mine, around, exists(select_columns(literal(1)).select_from(RECORDS).where(used))
            ),
        )
        recent_since = max(span.since, self._rollup.pairs_complete_until())
        recent = (
            select_columns(first, second)
            .where(*_in_range(recent_since, span.until, team), first.is_not(None), second.is_not(None))
            .distinct()
        )
        with self.engine.connect() as connection:
            pairs = {(str(a), str(b)) for a, b in connection.execute(stored).all()}
            if recent_since < span.until:
                pairs |= {(str(a), str(b)) for a, b in connection.execute(recent).all()}
        return pairs

    def traffic_by_model(self, sums: TrafficSums) -> list[Traffic]:
        """Every request (attributed or not) in the range, per requested model."""
        return [sums.models[key] for key in sorted(sums.models)]

    def reuse(self, sums: TrafficSums, span: Window, team: str | None = None) -> Reuse:
        teams: dict[str, int] = defaultdict(int)
        for prompt, _team in self._pairs_used(span, "prompt", team):
            teams[prompt] += 1
        shared_prompts = sum(1 for count in teams.values() if count > 1)
        return Reuse(sums.requests, sums.library, int(shared_prompts))

    def traffic_by_period(self, sums: TrafficSums) -> list[PeriodTraffic]:
        """Attributed requests and cost per use case per week (from Monday) or month, as summed."""
        return [
            PeriodTraffic(start.isoformat(), use_case, n, c)
            for (start, use_case), (n, c) in sorted(sums.periods.items())
        ]


def period_start(engine: Engine, period: Period) -> ColumnElement[Any]:
    """The first day of the week (Monday) or month of a rollup day, on either database."""
    if engine.dialect.name == "postgresql":
        # On a timestamp without time zone: the session's time zone cannot move the day.
        return cast(func.date_trunc(period, cast(DAILY.c.day, DateTime(timezone=False))), Date)
    if period == "month":
        return func.date(DAILY.c.day, "start of month")
    return func.date(DAILY.c.day, "-6 days", "weekday 1")  # the Monday on or before the day


def _in_range(since: datetime, until: datetime, team: str | None) -> list[ColumnElement[bool]]:
    where = [RECORDS.c.time >= _utc(since), RECORDS.c.time < _utc(until)]
    if team is not None:
        where.append(RECORDS.c.team_name == team)
    return where


def review_sla(engine: Engine, since: datetime, until: datetime, team: str | None = None) -> ReviewSla:
    """How many review items were decided in the range, how many before their SLA, and the median
    of their waits (the mean of the middle two for an even count), computed by the database."""
    where = [REVIEWS.c.decided_at >= _utc(since), REVIEWS.c.decided_at < _utc(until)]
    if team is not None:
        where.append(REVIEWS.c.team == team)
    decided = func.count()
    within = func.coalesce(func.sum(case((REVIEWS.c.decided_at <= REVIEWS.c.sla_due_at, 1), else_=0)), 0)
    wait = REVIEWS.c.decided_at - REVIEWS.c.created_at
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            median = func.percentile_cont(0.5).within_group(wait)  # an interval
            count, before, middle = connection.execute(select_columns(decided, within, median).where(*where)).one()
            minutes = None if middle is None else middle.total_seconds() / 60
            return ReviewSla(int(count), int(before), minutes)
        count, before = connection.execute(select_columns(decided, within).where(*where)).one()
        if not count:
            return ReviewSla(0, 0, None)
        # SQLite has no percentile: the middle one or two rows in order of their wait.
        order = func.julianday(REVIEWS.c.decided_at) - func.julianday(REVIEWS.c.created_at)
        middle_rows = connection.execute(
            select_columns(REVIEWS.c.created_at, REVIEWS.c.decided_at)
            .where(*where)
            .order_by(order)
            .limit(2 - count % 2)
            .offset((count - 1) // 2)
        ).all()
    waits = [(_utc(decided_at) - _utc(created_at)).total_seconds() / 60 for created_at, decided_at in middle_rows]
    return ReviewSla(int(count), int(before), sum(waits) / len(waits))


def spend_by_use_case(engine: Engine, since: datetime, use_cases: Collection[str]) -> dict[str, int]:
    """Nano-dollars each of `use_cases` spent since `since` (the request path's monthly caps)."""
    statement = (
        select_columns(RECORDS.c.use_case, func.coalesce(func.sum(RECORDS.c.cost_nanos), 0))
        .where(RECORDS.c.time >= _utc(since), RECORDS.c.use_case.in_(list(use_cases)))
        .group_by(RECORDS.c.use_case)
    )
    with engine.connect() as connection:
        return {str(use_case): int(nanos) for use_case, nanos in connection.execute(statement).all()}
