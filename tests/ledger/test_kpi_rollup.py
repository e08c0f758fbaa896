"""The KPIs' daily rollup and pairs on migrated SQLite and PostgreSQL databases, at fixed instants:
rows that arrive days late are counted after the next rebuild (by any process), and a person counts
for a period only when they used the use case inside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.ledger.records import UsageRecord
from gateway.ledger.use_case_stats import UseCaseStats
from tests.admin.support import migrated_database, sqlite_url
from tests.helpers.servers import create_database, drop_database

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)
NOW = DAY0 + timedelta(days=20, hours=12)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    name = None
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        name, url = create_database()
    database = migrated_database(url)
    yield database
    database.dispose()
    if name is not None:
        drop_database(name)


def _write(engine: Engine, *rows: tuple[int, str | None]) -> None:
    """Rows of use case `uc_a` on the given days (10:00 UTC) by the given people."""
    with Session(engine) as session:
        for day, person in rows:
            session.add(
                UsageRecord(
                    time=DAY0 + timedelta(days=day, hours=10),
                    request_id=f"r-{day}-{person}-{datetime.now(UTC).timestamp()}",
                    team_name="research",
                    use_case="uc_a",
                    end_user=person,
                    requested_model="mock-gpt",
                    cost_nanos=1_000,
                )
            )
        session.commit()


def _requests(stats: UseCaseStats, since: datetime, until: datetime) -> int:
    span = stats.query_window(since, until, NOW)
    return stats.sums(span).use_cases["uc_a"].requests


def _people(engine: Engine, first_day: int, end_day: int) -> int:
    stats = UseCaseStats(engine)  # a fresh process: its first query rebuilds the rollup
    span = stats.query_window(DAY0 + timedelta(days=first_day), DAY0 + timedelta(days=end_day), NOW)
    found = {t.key: t for t in stats.traffic_by_use_case(stats.sums(span), span)}
    return found["uc_a"].people if "uc_a" in found else 0


def test_a_row_arriving_days_late_is_counted_after_the_next_rebuild(engine: Engine) -> None:
    _write(engine, (1, "ann"), (15, "ann"), (19, "ann"))
    whole = (DAY0, DAY0 + timedelta(days=20))
    assert _requests(UseCaseStats(engine), *whole) == 3
    _write(engine, (3, "bo"))  # a spill replayed 17 days after its request
    assert _requests(UseCaseStats(engine), *whole) == 4
    assert _requests(UseCaseStats(engine), DAY0 + timedelta(days=3), DAY0 + timedelta(days=4)) == 1


def test_a_person_counts_only_for_periods_in_which_they_used_the_use_case(engine: Engine) -> None:
    _write(engine, (1, "ann"), (9, "ann"), (4, "bo"), (12, "cy"))
    assert _people(engine, 3, 6) == 1  # bo; ann used it before and after only
    assert _people(engine, 0, 20) == 3
    assert _people(engine, 8, 10) == 1  # ann's last use
    _write(engine, (5, "ann"))  # arrives late: ann used it inside after all
    assert _people(engine, 3, 6) == 2
