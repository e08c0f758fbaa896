"""A daily rollup of the usage ledger for the KPIs and the spend pages: requests, tokens, cost,
flagged, blocked and library prompt counts per day, team, key, use case and model.

It is filled lazily: before a KPI or spend query, `Rollup.refresh` recomputes the complete days
from the last `REPLAY_DAYS` before the newest rolled-up day up to yesterday, at most once per
`refresh_seconds` (`use_cases.rollup_refresh_seconds`, 60 by default) per process. Rows written
later still (a spill replayed after days) are found by their ledger id above the mark of the last
rebuild, and their days are recomputed too. Today is always read from the ledger itself.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    Table,
    UniqueConstraint,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
)
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel

from gateway.ledger.records import UsageRecord

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
REPLAY_DAYS = 2
ROLLUP_LOCK = 7_020_003  # the PostgreSQL advisory lock of a rebuild
LATE_WRITE = timedelta(minutes=1)  # how long after its request a ledger row may still be written
log = logging.getLogger(__name__)


class UsageDay(SQLModel, table=True):
    """One day of one team's requests with one key to one model for one use case ('' and 0 when none).

    The key is in the rollup because finance asks per key; the `user` field is not: it can take as
    many values as there are requests, which would make the rollup as large as the ledger."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        UniqueConstraint(
            "day", "team_id", "team_name", "key_id", "use_case", "requested_model", name="uq_usage_daily_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=Column(Date, nullable=False, index=True))
    team_id: int
    team_name: str = Field(max_length=128)
    key_id: int
    use_case: str = Field(max_length=32)
    requested_model: str = Field(max_length=256)
    requests: int
    prompt_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    completion_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    total_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    cost_nanos: int = Field(sa_column=Column(BigInteger, nullable=False))
    flagged: int
    blocked: int
    library: int


class UsagePair(SQLModel, table=True):
    """A pair seen in the ledger: a use case and a person who used it (`person`), or a library
    prompt and a team that used it (`prompt`), with its first and last use. A pair first or last
    used inside a period was used in it; only a pair used before and after it (or not dated) is
    checked on the ledger's index, instead of scanning a period's rows to count distinct people."""

    __tablename__ = "usage_pairs"
    __table_args__ = (UniqueConstraint("kind", "first", "second", name="uq_usage_pairs"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    first: str = Field(max_length=256)
    second: str = Field(max_length=256)
    first_seen: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_seen: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class RollupMark(SQLModel, table=True):
    """The highest ledger id the last rebuild saw: rows above it that are older than the replayed
    days arrived late, and their days are rolled up again."""

    __tablename__ = "usage_rollup_mark"

    id: int = Field(default=1, primary_key=True)
    ledger_id: int = Field(sa_column=Column(BigInteger, nullable=False))


DAILY: Table = UsageDay.__table__  # type: ignore[attr-defined]
# The rollup's columns in the order the rebuild selects them from the ledger.
ROLLED_UP = [
    "day", "team_id", "team_name", "key_id", "use_case", "requested_model", "requests",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos", "flagged", "blocked", "library",
]  # fmt: skip
PAIRS: Table = UsagePair.__table__  # type: ignore[attr-defined]
MARK: Table = RollupMark.__table__  # type: ignore[attr-defined]
PAIR_SOURCES = {
    "person": (RECORDS.c.use_case, RECORDS.c.end_user),
    "prompt": (RECORDS.c.prompt_name, RECORDS.c.team_name),
}


def utc_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_of(engine: Engine) -> ColumnElement[Any]:
    # The UTC calendar day of a record, on either database.
    if engine.dialect.name == "postgresql":
        return cast(func.timezone("UTC", RECORDS.c.time), Date)
    return func.date(RECORDS.c.time)


class Rollup:
    """Keeps `usage_daily` current for one engine; thread-safe, refreshes at most once a minute."""

    def __init__(self, engine: Engine, refresh_seconds: float) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._refreshed_at = float("-inf")
        self._rebuilt_at = datetime.min.replace(tzinfo=UTC)

    def complete_until(self, now: datetime) -> date:
        """The first day not in the rollup (today): days before it are complete once refreshed."""
        return now.astimezone(UTC).date()

    def refresh(self, now: datetime) -> bool:
        """Rebuild the recent days if the last rebuild is older than `refresh_seconds`; True if it did."""
        with self._lock:
            if time.monotonic() - self._refreshed_at < self._refresh_seconds:
                return False
            started = datetime.now(UTC)
            self._rebuild(self.complete_until(now))
            self._refreshed_at = time.monotonic()
            self._rebuilt_at = started
            return True

    def pairs_complete_until(self) -> datetime:
        """Rows older than this have their pairs stored (the writer's batches land within seconds)."""
        return self._rebuilt_at - LATE_WRITE

    def _rebuild(self, today: date) -> None:
        try:
            self._rebuild_once(today)
        except IntegrityError:  # another process rebuilt the same days at the same moment
            log.info("usage rollup rebuilt by another process meanwhile")

    def _rebuild_once(self, today: date) -> None:
        with self._engine.begin() as connection:
            if self._engine.dialect.name == "postgresql":  # one rebuild at a time across processes
                connection.execute(select_columns(func.pg_advisory_xact_lock(ROLLUP_LOCK)))
            top = connection.execute(select_columns(func.max(RECORDS.c.id))).scalar()
            if top is None:
                return
            mark = connection.execute(select_columns(MARK.c.ledger_id)).scalar()
            newest = connection.execute(select_columns(func.max(DAILY.c.day))).scalar()
            if newest is None:
                oldest = connection.execute(select_columns(func.min(RECORDS.c.time))).scalar()
                assert oldest is not None  # the ledger has rows: `top` is an id
                start = (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)).astimezone(UTC).date()
            else:
                start = _as_date(newest) - timedelta(days=REPLAY_DAYS)
            late = [] if mark is None else self._late_days(connection, mark, start)
            if start < today:
                self._roll_days(connection, start, today)
            for day in late:
                self._roll_days(connection, day, day + timedelta(days=1))
            since = RECORDS.c.time >= utc_day_start(start)
            for kind, (first, second) in PAIR_SOURCES.items():
                rows = or_(since, RECORDS.c.id > mark) if mark is not None else since
                pairs = (
                    select_columns(literal(kind), first, second, func.min(RECORDS.c.time), func.max(RECORDS.c.time))
                    .where(rows, first.is_not(None), second.is_not(None))
                    .group_by(first, second)
                )
                connection.execute(_insert_or_widen(self._engine, pairs))
            connection.execute(_set_mark(self._engine, int(top)))

    def _late_days(self, connection: Connection, mark: int, start: date) -> list[date]:
        """Days before `start` that got ledger rows since the last rebuild (read on the primary key)."""
        day = day_of(self._engine)
        statement = select_columns(day).where(RECORDS.c.id > mark, RECORDS.c.time < utc_day_start(start)).distinct()
        return sorted(_as_date(value) for (value,) in connection.execute(statement).all())

    def _roll_days(self, connection: Connection, start: date, end: date) -> None:
        """Recompute the rollup of the days [start, end)."""
        day = day_of(self._engine)
        rows = select_columns(
            day,
            func.coalesce(RECORDS.c.team_id, 0),
            func.coalesce(RECORDS.c.team_name, ""),
            func.coalesce(RECORDS.c.key_id, 0),
            func.coalesce(RECORDS.c.use_case, ""),
            RECORDS.c.requested_model,
            func.count(),
            func.coalesce(func.sum(RECORDS.c.prompt_tokens), 0),
            func.coalesce(func.sum(RECORDS.c.completion_tokens), 0),
            func.coalesce(func.sum(RECORDS.c.total_tokens), 0),
            func.coalesce(func.sum(RECORDS.c.cost_nanos), 0),
            func.coalesce(func.sum(cast(RECORDS.c.flagged, Integer)), 0),
            func.coalesce(func.sum(cast(RECORDS.c.blocked, Integer)), 0),
            func.count(RECORDS.c.prompt_name),
        ).where(RECORDS.c.time >= utc_day_start(start), RECORDS.c.time < utc_day_start(end))
        grouped = rows.group_by(
            day, RECORDS.c.team_id, RECORDS.c.team_name, RECORDS.c.key_id, RECORDS.c.use_case, RECORDS.c.requested_model
        )
        connection.execute(delete(DAILY).where(DAILY.c.day >= start, DAILY.c.day < end))
        connection.execute(insert(DAILY).from_select(ROLLED_UP, grouped))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _dialect(engine: Engine) -> Any:
    return postgresql if engine.dialect.name == "postgresql" else sqlite


def _insert_or_widen(engine: Engine, pairs: Any) -> Any:
    """INSERT … SELECT of pairs with their first and last use; a stored pair's span is widened
    (on either database: PostgreSQL's least/greatest, SQLite's two-argument min/max)."""
    statement = (
        _dialect(engine).insert(PAIRS).from_select(["kind", "first", "second", "first_seen", "last_seen"], pairs)
    )
    lowest, highest = (func.least, func.greatest) if engine.dialect.name == "postgresql" else (func.min, func.max)
    new = statement.excluded
    undated = PAIRS.c.first_seen.is_(None)  # its first use is unknown: it stays undated, and probed
    return statement.on_conflict_do_update(
        index_elements=["kind", "first", "second"],
        set_={
            "first_seen": case((undated, None), else_=lowest(PAIRS.c.first_seen, new.first_seen)),
            "last_seen": case((undated, None), else_=highest(PAIRS.c.last_seen, new.last_seen)),
        },
    )


def _set_mark(engine: Engine, ledger_id: int) -> Any:
    statement = _dialect(engine).insert(MARK).values(id=1, ledger_id=ledger_id)
    return statement.on_conflict_do_update(index_elements=["id"], set_={"ledger_id": ledger_id})
