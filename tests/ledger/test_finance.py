"""The finance queries on SQLite and PostgreSQL: spend per team, key, model and day; budgets; CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from gateway.core.db import session_scope
from gateway.core.models import ApiKey, Team
from gateway.ledger.finance import ledger_rows, spend, spend_csv
from gateway.ledger.records import UsageEvent
from gateway.ledger.tables import USAGE_TABLE
from gateway.limits.admin import set_budget
from gateway.limits.status import budgets_status

MARCH = datetime(2025, 3, 1, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, tzinfo=UTC)


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add_all([Team(id=1, name="research"), Team(id=2, name="sales")])
        session.flush()
        session.add_all(
            [
                ApiKey(id=10, team_id=1, prefix="sk-gw-aaaa", key_hash="a" * 64),
                ApiKey(id=11, team_id=1, prefix="sk-gw-bbbb", key_hash="b" * 64),
                ApiKey(id=20, team_id=2, prefix="sk-gw-cccc", key_hash="c" * 64),
            ]
        )
    events = [
        # (day of March, team, key, model, prompt, completion, cost in nano-dollars)
        (1, 1, 10, "gpt-4o", 100, 50, 750_000),
        (1, 1, 11, "gpt-4o-mini", 10, 5, 4_500),
        (2, 1, 10, "gpt-4o", 200, 100, 1_500_000),
        (2, 2, 20, "gpt-4o-mini", 1000, 500, 450_000),
        (31, 2, 20, "gpt-4o-mini", 1, 1, 1),
    ]
    rows = [
        UsageEvent(
            request_id=f"req_{number}", requested_model=model, time=datetime(2025, 3, day, 23, 30, tzinfo=UTC),
            team_id=team, team_name={1: "research", 2: "sales"}[team], key_id=key, key_prefix=f"key{key}",
            prompt_tokens=prompt, completion_tokens=completion, cost_nanos=cost,
        ).as_row()
        for number, (day, team, key, model, prompt, completion, cost) in enumerate(events)
    ]  # fmt: skip
    rows.append(  # April: outside the range
        UsageEvent(request_id="req_april", requested_model="gpt-4o", time=APRIL, team_id=1, cost_nanos=10**9).as_row()
    )
    USAGE_TABLE.insert(engine, rows)


def test_spend_per_team_in_a_date_range(engine: Engine) -> None:
    _seed(engine)
    rows = spend(engine, "team", MARCH, APRIL)
    assert [(r["team_id"], r["team_name"], r["requests"], r["total_tokens"], r["cost_usd"]) for r in rows] == [
        (1, "research", 3, 465, "0.002254500"),
        (2, "sales", 2, 1502, "0.000450001"),
    ]


def test_spend_per_key_and_per_model(engine: Engine) -> None:
    _seed(engine)
    keys = {r["key_id"]: r["cost_nanos"] for r in spend(engine, "key", MARCH, APRIL)}
    assert keys == {10: 2_250_000, 11: 4_500, 20: 450_001}
    models = {r["model"]: (r["prompt_tokens"], r["completion_tokens"]) for r in spend(engine, "model", MARCH, APRIL)}
    assert models == {"gpt-4o": (300, 150), "gpt-4o-mini": (1011, 506)}


def test_spend_per_utc_day(engine: Engine) -> None:
    _seed(engine)
    days = {r["day"]: r["requests"] for r in spend(engine, "day", MARCH, APRIL)}
    assert days == {"2025-03-01": 2, "2025-03-02": 2, "2025-03-31": 1}


def test_spend_of_one_team_only(engine: Engine) -> None:
    _seed(engine)
    rows = spend(engine, "model", MARCH, APRIL, team_id=2)
    assert [(r["model"], r["requests"]) for r in rows] == [("gpt-4o-mini", 2)]


def test_the_range_end_is_exclusive(engine: Engine) -> None:
    _seed(engine)
    assert sum(r["requests"] for r in spend(engine, "team", MARCH, datetime(2025, 3, 2, tzinfo=UTC))) == 2
    assert sum(r["requests"] for r in spend(engine, "team", MARCH, datetime(2025, 4, 2, tzinfo=UTC))) == 6


def test_budgets_show_used_and_remaining_in_their_period(engine: Engine) -> None:
    _seed(engine)
    set_budget(engine, "team", 1, "0.01", "month")
    set_budget(engine, "key", 20, "1", "day")
    status = budgets_status(engine, datetime(2025, 3, 2, 12, tzinfo=UTC))
    team, key = status
    assert (team["team_name"], team["period_label"], team["used_usd"], team["remaining_usd"]) == (
        "research", "2025-03", "0.002254500", "0.007745500",
    )  # fmt: skip
    assert (key["key_prefix"], key["team_id"], key["used_usd"], key["remaining_usd"]) == (
        "sk-gw-cccc", 2, "0.000450000", "0.999550000",
    )  # fmt: skip
    assert [b["scope_id"] for b in budgets_status(engine, MARCH, team_id=2)] == [20]


def test_spend_exports_as_csv(engine: Engine) -> None:
    _seed(engine)
    text = spend_csv(engine, "team", MARCH, APRIL)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["team_name"] for row in rows] == ["research", "sales"]
    assert rows[0]["cost_usd"] == "0.002254500" and rows[0]["total_tokens"] == "465"


def test_the_ledger_exports_row_by_row(engine: Engine) -> None:
    _seed(engine)
    rows = list(ledger_rows(engine, MARCH, APRIL, team_id=1))
    assert [row["request_id"] for row in rows] == ["req_0", "req_1", "req_2"]
    assert rows[0]["time"] == "2025-03-01T23:30:00+00:00" and rows[0]["cost_usd"] == "0.000750000"


@pytest.mark.parametrize("group_by", ["team", "key", "model", "day"])
def test_an_empty_range_gives_no_rows(engine: Engine, group_by: str) -> None:
    _seed(engine)
    assert spend(engine, group_by, APRIL, APRIL) == []  # type: ignore[arg-type]
