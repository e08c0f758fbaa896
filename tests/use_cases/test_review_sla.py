"""The review SLA figures the database computes, on SQLite and PostgreSQL: how many items were
decided in a range, how many before their SLA, and the median of their waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from filters.review_store import ReviewItem
from gateway.core.db import session_scope
from gateway.ledger.use_case_stats import ReviewSla, review_sla

START = datetime(2025, 3, 3, tzinfo=UTC)
END = START + timedelta(days=7)


def _seed(engine: Engine, team: str, waits: list[timedelta | None], created: datetime = START) -> None:
    """One review item of `team` per wait, created an hour apart from `created` (None: undecided)."""
    items = []
    for n, waited in enumerate(waits):
        opened = created + timedelta(hours=n)
        items.append(
            ReviewItem(
                id=f"rev_{team}_{n}",
                request_id=f"{team}-{n}",
                team_id=1,
                team=team,
                key_id=1,
                key_prefix="sk-gw-x",
                model="mock-gpt",
                action="flag",
                filters=",pii,",
                original=b"",
                delivered=b"",
                status="decided" if waited is not None else "pending",
                created_at=opened,
                decided_at=None if waited is None else opened + waited,
                sla_due_at=opened + timedelta(hours=24),
            )
        )
    with session_scope(engine) as session:
        session.add_all(items)


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(registry_db: Engine) -> None:
    minutes = [timedelta(minutes=m) for m in (70, 10, 40, 20)]
    _seed(registry_db, "sla-even", [*minutes, None])
    _seed(registry_db, "sla-even-later", [timedelta(minutes=5)], created=END + timedelta(days=1))
    assert review_sla(registry_db, START, END, "sla-even") == ReviewSla(4, 4, 30.0)


def test_the_median_of_an_odd_count_is_the_middle_wait(registry_db: Engine) -> None:
    _seed(registry_db, "sla-odd", [timedelta(minutes=m) for m in (90, 3, 12)])
    assert review_sla(registry_db, START, END, "sla-odd") == ReviewSla(3, 3, 12.0)


def test_an_item_decided_at_its_due_time_is_within_its_sla(registry_db: Engine) -> None:
    _seed(registry_db, "sla-edge", [timedelta(hours=24), timedelta(hours=24, seconds=1)])
    sla = review_sla(registry_db, START, END, "sla-edge")
    assert (sla.decided, sla.within_sla) == (2, 1)
    assert sla.median_minutes is not None and abs(sla.median_minutes - (1440 + 0.5 / 60)) < 1e-9


def test_a_range_without_decisions_has_no_median(registry_db: Engine) -> None:
    _seed(registry_db, "sla-none", [None])
    assert review_sla(registry_db, START, END, "sla-none") == ReviewSla(0, 0, None)
