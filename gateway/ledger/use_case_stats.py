"""Queries of the ledger for the centre of excellence's KPIs: traffic per use case and per model,
library prompt reuse, review decision times, and each use case's spend this month.

Engine in, plain dataclasses out. Whole past days are read from the daily rollup (gateway/ledger/
daily.py); the rest of a range (today, a partial first or last day) from the ledger itself.
Distinct people and the teams of each library prompt are counted by probing the ledger's
indexes for the pairs stored in `usage_pairs`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Integer, Table, and_, cast, exists, func, literal, union
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
    teams: int = 0
    people: int = 0
    library: int = 0
    team_names: set[str] = field(default_factory=set, repr=False)


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


class UseCaseStats:
    """The KPI queries over one database; `query_window` brings the rollup up to date first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rollup = Rollup(engine)

    def query_window(self, since: datetime, until: datetime, now: datetime) -> Window:
        self._rollup.refresh(now)
        return window(since, until, self._rollup.complete_until(now))

    def _sums(self, span: Window, keys: list[str], team: str | None) -> Iterator[tuple[Any, ...]]:
        """(key columns..., requests, cost, flagged, blocked, library) from the rollup and the edges."""
        if span.days is not None:
            columns: list[ColumnElement[Any]] = [DAILY.c[name] for name in keys]
            statement = (
                select_columns(
                    *columns,
                    func.sum(DAILY.c.requests),
                    func.sum(DAILY.c.cost_nanos),
                    func.sum(DAILY.c.flagged),
                    func.sum(DAILY.c.blocked),
                    func.sum(DAILY.c.library),
                )
                .where(DAILY.c.day >= span.days[0], DAILY.c.day < span.days[1])
                .group_by(*columns)
            )
            if team is not None:
                statement = statement.where(DAILY.c.team_name == team)
            with self.engine.connect() as connection:
                yield from connection.execute(statement).all()
        for start, end in span.edges:
            columns = [func.coalesce(RECORDS.c[name], "") if name != "day" else day_of(self.engine) for name in keys]
            statement = (
                select_columns(
                    *columns,
                    func.count(),
                    func.coalesce(func.sum(RECORDS.c.cost_nanos), 0),
                    func.coalesce(func.sum(cast(RECORDS.c.flagged, Integer)), 0),
                    func.coalesce(func.sum(cast(RECORDS.c.blocked, Integer)), 0),
                    func.count(RECORDS.c.prompt_name),
                )
                .where(and_(*_in_range(start, end, team)))
                .group_by(*columns)
            )
            with self.engine.connect() as connection:
                yield from connection.execute(statement).all()

    def _traffic(self, span: Window, key: str, team: str | None) -> dict[str, Traffic]:
        found: dict[str, Traffic] = {}
        for name, team_name, requests, cost, flagged, blocked, library in self._sums(span, [key, "team_name"], team):
            t = found.setdefault(str(name), Traffic(str(name)))
            t.requests += int(requests)
            t.cost_nanos += int(cost)
            t.flagged += int(flagged)
            t.blocked += int(blocked)
            t.library += int(library)
            t.team_names.add(str(team_name))
        for t in found.values():
            t.teams = len(t.team_names - {""})
        return found

    def traffic_by_use_case(self, span: Window, team: str | None = None) -> list[Traffic]:
        """Attributed requests in the range, per use case, with their distinct people."""
        found = self._traffic(span, "use_case", team)
        found.pop("", None)
        people: dict[str, int] = defaultdict(int)
        for use_case, _person in self._pairs_used(span, "person", team):
            people[use_case] += 1
        for use_case, count in people.items():
            if use_case in found:
                found[use_case].people = count
        return [found[key] for key in sorted(found)]

    def _pairs_used(self, span: Window, kind: str, team: str | None) -> set[tuple[str, str]]:
        """The pairs of `kind` with a ledger row in the range: each stored pair probed on the index,
        plus pairs too new for the store (today's rows)."""
        first, second = PAIR_SOURCES[kind]
        used = and_(first == PAIRS.c.first, second == PAIRS.c.second, *_in_range(span.since, span.until, team))
        probed = select_columns(PAIRS.c.first, PAIRS.c.second).where(
            PAIRS.c.kind == kind, exists(select_columns(literal(1)).select_from(RECORDS).where(used))
        )
        if team is not None:  # probe only the team's pairs: its use cases' people, its own prompt uses
            mine = PAIRS.c.first.in_(self._use_cases_of(team, span)) if kind == "person" else PAIRS.c.second == team
            probed = probed.where(mine)
        stored = and_(PAIRS.c.kind == kind, PAIRS.c.first == first, PAIRS.c.second == second)
        recent_since = max(span.since, self._rollup.pairs_complete_until())
        recent = (
            select_columns(first, second)
            .where(*_in_range(recent_since, span.until, team), first.is_not(None), second.is_not(None))
            .where(~exists(select_columns(literal(1)).select_from(PAIRS).where(stored)))
            .distinct()
        )
        with self.engine.connect() as connection:
            pairs = {(str(a), str(b)) for a, b in connection.execute(probed).all()}
            if recent_since < span.until:
                pairs |= {(str(a), str(b)) for a, b in connection.execute(recent).all()}
        return pairs

    def _use_cases_of(self, team: str, span: Window) -> list[str]:
        """The use cases with traffic of `team`: in the rollup, or today. Read first, as a list, so
        that the probes run for these pairs only (a subquery let the planner probe every pair)."""
        today = utc_day_start(self._rollup.complete_until(span.until))
        statement = union(
            select_columns(DAILY.c.use_case).where(DAILY.c.team_name == team, DAILY.c.use_case != ""),
            select_columns(RECORDS.c.use_case).where(
                *_in_range(today, span.until, team), RECORDS.c.use_case.is_not(None)
            ),
        )
        with self.engine.connect() as connection:
            return [str(use_case) for (use_case,) in connection.execute(statement).all()]

    def traffic_by_model(self, span: Window, team: str | None = None) -> list[Traffic]:
        """Every request (attributed or not) in the range, per requested model."""
        found = self._traffic(span, "requested_model", team)
        return [found[key] for key in sorted(found)]

    def reuse(self, span: Window, team: str | None = None) -> Reuse:
        requests = library = 0
        for row in self._sums(span, [], team):
            requests, library = requests + int(row[0] or 0), library + int(row[4] or 0)
        teams: dict[str, int] = defaultdict(int)
        for prompt, _team in self._pairs_used(span, "prompt", team):
            teams[prompt] += 1
        shared_prompts = sum(1 for count in teams.values() if count > 1)
        return Reuse(requests, library, int(shared_prompts))

    def traffic_by_period(self, span: Window, period: Period, team: str | None = None) -> list[PeriodTraffic]:
        """Attributed requests and cost per use case per week (from Monday) or month."""
        buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for day, use_case, requests, cost, *_ in self._sums(span, ["day", "use_case"], team):
            if not use_case:
                continue
            when = day if isinstance(day, date) else date.fromisoformat(str(day))
            start = when.replace(day=1) if period == "month" else when - timedelta(days=when.weekday())
            bucket = buckets[(start.isoformat(), str(use_case))]
            bucket[0] += int(requests)
            bucket[1] += int(cost)
        return [PeriodTraffic(p, u, n, c) for (p, u), (n, c) in sorted(buckets.items())]


def _in_range(since: datetime, until: datetime, team: str | None) -> list[ColumnElement[bool]]:
    where = [RECORDS.c.time >= _utc(since), RECORDS.c.time < _utc(until)]
    if team is not None:
        where.append(RECORDS.c.team_name == team)
    return where


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


def spend_by_use_case(engine: Engine, since: datetime, use_cases: Collection[str]) -> dict[str, int]:
    """Nano-dollars each of `use_cases` spent since `since` (the request path's monthly caps)."""
    statement = (
        select_columns(RECORDS.c.use_case, func.coalesce(func.sum(RECORDS.c.cost_nanos), 0))
        .where(RECORDS.c.time >= _utc(since), RECORDS.c.use_case.in_(list(use_cases)))
        .group_by(RECORDS.c.use_case)
    )
    with engine.connect() as connection:
        return {str(use_case): int(nanos) for use_case, nanos in connection.execute(statement).all()}
