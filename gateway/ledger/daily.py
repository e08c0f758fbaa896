"""A daily rollup of the usage ledger for the KPIs and the spend pages: requests, tokens, cost,
flagged, blocked and library prompt counts per day, team, key, use case and model.

It is filled lazily: before a KPI query, `refresh_rollup` recomputes the complete days from the
last `REPLAY_DAYS` before the newest rolled-up day up to yesterday (so rows a spill replays late are
counted), at most once per `REFRESH_SECONDS` per process. Today is always read from the ledger itself.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Integer, Table, UniqueConstraint, cast, delete, func, insert, literal
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel

from gateway.ledger.records import UsageRecord

RECORDS: Table = UsageRecord.__table__  # type: ignore[attr-defined]
REPLAY_DAYS = 2
REFRESH_SECONDS = 60.0
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
    prompt and a team that used it (`prompt`). The KPIs probe the ledger's index for each pair
    instead of scanning a period's rows to count distinct people or teams."""

    __tablename__ = "usage_pairs"
    __table_args__ = (UniqueConstraint("kind", "first", "second", name="uq_usage_pairs"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    first: str = Field(max_length=256)
    second: str = Field(max_length=256)


DAILY: Table = UsageDay.__table__  # type: ignore[attr-defined]
# The rollup's columns in the order the rebuild selects them from the ledger.
ROLLED_UP = [
    "day", "team_id", "team_name", "key_id", "use_case", "requested_model", "requests",
    "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos", "flagged", "blocked", "library",
]  # fmt: skip
PAIRS: Table = UsagePair.__table__  # type: ignore[attr-defined]
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

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._refreshed_at = float("-inf")
        self._rebuilt_at = datetime.min.replace(tzinfo=UTC)

    def complete_until(self, now: datetime) -> date:
        """The first day not in the rollup (today): days before it are complete once refreshed."""
        return now.astimezone(UTC).date()

    def refresh(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() - self._refreshed_at < REFRESH_SECONDS:
                return
            started = datetime.now(UTC)
            self._rebuild(self.complete_until(now))
            self._refreshed_at = time.monotonic()
            self._rebuilt_at = started

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
            newest = connection.execute(select_columns(func.max(DAILY.c.day))).scalar()
            if newest is None:
                oldest = connection.execute(select_columns(func.min(RECORDS.c.time))).scalar()
                if oldest is None:
                    return
                start = (oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)).astimezone(UTC).date()
            else:
                start = (newest if isinstance(newest, date) else date.fromisoformat(str(newest))) - timedelta(
                    days=REPLAY_DAYS
                )
            if start >= today:
                return
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
            ).where(RECORDS.c.time >= utc_day_start(start), RECORDS.c.time < utc_day_start(today))
            grouped = rows.group_by(
                day,
                RECORDS.c.team_id,
                RECORDS.c.team_name,
                RECORDS.c.key_id,
                RECORDS.c.use_case,
                RECORDS.c.requested_model,
            )
            connection.execute(delete(DAILY).where(DAILY.c.day >= start))
            connection.execute(insert(DAILY).from_select(ROLLED_UP, grouped))
            for kind, (first, second) in PAIR_SOURCES.items():
                pairs = (
                    select_columns(literal(kind), first, second)
                    .where(RECORDS.c.time >= utc_day_start(start), first.is_not(None), second.is_not(None))
                    .distinct()
                )
                connection.execute(_insert_new(self._engine, pairs))


def _insert_new(engine: Engine, pairs: Any) -> Any:
    """INSERT … SELECT of pairs, skipping those already stored (on either database)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(PAIRS).from_select(["kind", "first", "second"], pairs).on_conflict_do_nothing()
