"""Spend from the daily rollup plus the ledger's edges equals spend read from the ledger alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from admin.web.spend_rollup import budget_spent_reader
from gateway.ledger.daily import DAILY, MARK, PAIRS
from gateway.ledger.finance import spend
from gateway.ledger.records import UsageEvent
from gateway.ledger.spend_daily import SpendCell, SpendFilter, end_user_spend, spend_cells
from gateway.ledger.tables import USAGE_TABLE
from gateway.ledger.use_case_stats import UseCaseStats
from gateway.limits.ledger import ledger_spent_nanos
from gateway.limits.rules import BudgetRule

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # the rollup holds up to 03-09; 03-10 is read from the ledger
# (day of March, hour, team, key, model, user, cost in nano-dollars)
EVENTS = [
    (1, 0, 1, 10, "gpt-4o", "ann", 1),
    (1, 23, 1, 11, "gpt-4o-mini", None, 2),
    (5, 12, 2, 20, "gpt-4o", "bob", 4),
    (9, 23, 2, 20, "gpt-4o-mini", "ann", 8),
    (10, 1, 1, 10, "gpt-4o", "bob", 16),  # today, after the rollup's last day
    (10, 11, 2, 20, "gpt-4o", None, 32),
]


@pytest.fixture
def stats(engine: Engine) -> UseCaseStats:
    rollup_tables: list[Table] = [DAILY, PAIRS, MARK]
    SQLModel.metadata.create_all(engine, tables=rollup_tables)
    rows = [
        UsageEvent(
            request_id=f"req_{n}", requested_model=model, time=datetime(2025, 3, day, hour, 30, tzinfo=UTC),
            team_id=team, team_name={1: "research", 2: "sales"}[team], key_id=key, key_prefix=f"key{key}",
            end_user=user, prompt_tokens=10, completion_tokens=5, cost_nanos=cost,
        ).as_row()
        for n, (day, hour, team, key, model, user, cost) in enumerate(EVENTS)
    ]  # fmt: skip
    USAGE_TABLE.insert(engine, rows)
    return UseCaseStats(engine)


def _total(cells: list[SpendCell]) -> int:
    return sum(cell.cost_nanos for cell in cells)


def test_a_range_over_rolled_up_days_and_today_counts_every_row_once(stats: UseCaseStats) -> None:
    span = stats.query_window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC), NOW)
    assert span.days is not None and span.days[1].isoformat() == "2025-03-10"
    cells = spend_cells(stats.engine, span, SpendFilter())
    assert _total(cells) == 63
    assert sum(cell.requests for cell in cells) == 6
    assert sum(cell.total_tokens for cell in cells) == 90


@pytest.mark.parametrize(
    ("since", "until", "nanos"),
    [
        (datetime(2025, 3, 1, 12, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC), 2 + 4),  # a partial first day
        (datetime(2025, 3, 9, tzinfo=UTC), datetime(2025, 3, 10, 6, tzinfo=UTC), 8 + 16),  # a partial today
        (datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC), 16 + 32),  # today only
    ],
)
def test_partial_days_are_read_from_the_ledger(
    stats: UseCaseStats, since: datetime, until: datetime, nanos: int
) -> None:
    assert _total(spend_cells(stats.engine, stats.query_window(since, until, NOW), SpendFilter())) == nanos


@pytest.mark.parametrize("group_by", ["day", "team", "model"])
def test_each_grouping_matches_the_ledger_read_directly(stats: UseCaseStats, group_by: str) -> None:
    since, until = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC)
    cells = spend_cells(stats.engine, stats.query_window(since, until, NOW), SpendFilter(), (group_by,))  # type: ignore[arg-type]
    mine: dict[str, int] = {}
    for cell in cells:
        key = {"day": cell.day, "team": cell.team_name, "model": cell.model}[group_by]
        mine[key] = mine.get(key, 0) + cell.cost_nanos
    name = {"day": "day", "team": "team_name", "model": "model"}[group_by]
    direct = {str(row[name]): row["cost_nanos"] for row in spend(stats.engine, group_by, since, until)}  # type: ignore[arg-type]
    assert mine == direct


@pytest.mark.parametrize(
    ("only", "nanos"),
    [
        (SpendFilter(team_id=2), 4 + 8 + 32),
        (SpendFilter(key_id=10), 1 + 16),
        (SpendFilter(model="gpt-4o-mini"), 2 + 8),
        (SpendFilter(team_id=1, model="gpt-4o"), 1 + 16),
    ],
)
def test_filters_hold_on_the_rollup_and_the_ledger_alike(stats: UseCaseStats, only: SpendFilter, nanos: int) -> None:
    span = stats.query_window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC), NOW)
    assert _total(spend_cells(stats.engine, span, only)) == nanos


def test_people_are_ranked_by_what_they_cost(stats: UseCaseStats) -> None:
    span = stats.query_window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC), NOW)
    people = end_user_spend(stats.engine, span, SpendFilter(), limit=10)
    assert [(p["end_user"], p["requests"], p["cost_nanos"]) for p in people] == [("bob", 2, 20), ("ann", 2, 9)]
    assert end_user_spend(stats.engine, span, SpendFilter(team_id=2), limit=1) == [
        {"end_user": "ann", "requests": 1, "total_tokens": 15, "cost_nanos": 8}
    ]


@pytest.mark.parametrize(
    ("scope", "owner", "since", "until"),
    [
        ("team", 1, None, None),
        ("team", 2, datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
        ("key", 20, datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC)),
        ("key", 10, datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)),
    ],
)
def test_a_budgets_use_read_from_the_rollup_equals_the_ledgers(
    stats: UseCaseStats, scope: str, owner: int, since: datetime | None, until: datetime | None
) -> None:
    rule = BudgetRule(scope, owner, 10**9, "month")
    from_rollup = budget_spent_reader(stats, NOW)(stats.engine, rule, since, until)
    assert from_rollup == ledger_spent_nanos(stats.engine, rule, since, until)
