"""Budgets: reserve the worst case, settle the real cost, refuse when spent, reset per period."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.core.errors import QuotaExceeded
from gateway.ledger.records import UsageEvent, usd_to_nanos
from gateway.ledger.tables import USAGE_TABLE
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.limits.rules import BudgetCrossing, LimitRequest

pytestmark = pytest.mark.anyio
CENT = usd_to_nanos("0.01")


def _request(max_cost_nanos: int = CENT, key_id: int = 10) -> LimitRequest:
    return LimitRequest(team_id=1, key_id=key_id, max_cost_nanos=max_cost_nanos)


def _spend_in_ledger(engine: Engine, clock: Any, nanos: int, key_id: int = 10) -> None:
    USAGE_TABLE.insert(
        engine,
        [UsageEvent("req_before", "gpt-4o", time=clock.now, team_id=1, key_id=key_id, cost_nanos=nanos).as_row()],
    )


async def test_a_spent_budget_refuses_with_insufficient_quota(engine: Engine, make_backend: Any) -> None:
    set_budget(engine, "team", 1, "0.02", "month")
    limits = make_backend()
    for _ in range(2):
        await limits.settle(await limits.reserve(_request()), CENT, 0)
    with pytest.raises(QuotaExceeded) as refused:
        await limits.reserve(_request())
    error = refused.value
    assert (error.status_code, error.error_type, error.code) == (429, "insufficient_quota", "insufficient_quota")
    assert "monthly budget of $0.02 is used up" in error.message


async def test_a_request_whose_worst_case_does_not_fit_says_so_and_not_used_up(
    engine: Engine, make_backend: Any
) -> None:
    set_budget(engine, "key", 10, "0.05", "month")
    limits = make_backend()
    with pytest.raises(QuotaExceeded) as refused:
        await limits.reserve(_request(max_cost_nanos=usd_to_nanos("0.0817")))
    error = refused.value
    assert (error.status_code, error.code) == (429, "insufficient_quota")
    assert error.message.startswith(
        "This request's worst case of $0.08 would exceed the remaining $0.05 of this API key's monthly budget of $0.05."
    )
    assert "used up" not in error.message and error.message.count("month") == 1


async def test_a_sub_cent_remainder_is_named_in_sub_cent_digits(engine: Engine, make_backend: Any) -> None:
    set_budget(engine, "team", 1, "0.01", "day")
    limits = make_backend()
    await limits.settle(
        await limits.reserve(_request(max_cost_nanos=usd_to_nanos("0.0083"))), usd_to_nanos("0.0083"), 0
    )
    with pytest.raises(QuotaExceeded) as refused:
        await limits.reserve(_request(max_cost_nanos=usd_to_nanos("0.0042")))
    assert (
        "worst case of $0.0042 would exceed the remaining $0.0017 of this team's daily budget" in refused.value.message
    )


async def test_the_reservation_is_the_worst_case_and_settling_keeps_only_the_real_cost(
    engine: Engine, make_backend: Any
) -> None:
    set_budget(engine, "key", 10, "0.10", "day")
    limits = make_backend()
    first = await limits.reserve(_request(max_cost_nanos=8 * CENT))
    with pytest.raises(QuotaExceeded):  # 8 cents reserved: a second worst case does not fit
        await limits.reserve(_request(max_cost_nanos=8 * CENT))
    await limits.settle(first, CENT, 0)  # it really cost one cent
    await limits.reserve(_request(max_cost_nanos=8 * CENT))


async def test_a_failed_request_settled_at_zero_gives_its_reservation_back(engine: Engine, make_backend: Any) -> None:
    set_budget(engine, "key", 10, "0.01", "total")
    limits = make_backend()
    reservation = await limits.reserve(_request())
    await limits.settle(reservation, 0, 0)
    await limits.reserve(_request())


async def test_fifty_concurrent_requests_overshoot_a_nearly_spent_budget_by_at_most_one(
    engine: Engine, make_backend: Any, clock: Any
) -> None:
    set_budget(engine, "team", 1, "1.00", "month")
    _spend_in_ledger(engine, clock, usd_to_nanos("0.95"))
    limits = make_backend()
    request_cost = 2 * CENT

    async def one(number: int) -> bool:
        try:
            reservation = await limits.reserve(_request(max_cost_nanos=request_cost))
        except QuotaExceeded:
            return False
        await asyncio.sleep(0)  # the upstream call: let every other request check meanwhile
        await limits.settle(reservation, request_cost, 0)
        return True

    admitted = sum(await asyncio.gather(*(one(number) for number in range(50))))
    settled = usd_to_nanos("0.95") + admitted * request_cost
    assert admitted == 2
    assert settled <= usd_to_nanos("1.00") + request_cost


async def test_a_new_period_starts_from_zero(engine: Engine, make_backend: Any, clock: Any) -> None:
    set_budget(engine, "key", 10, "0.01", "day")
    limits = make_backend()
    await limits.settle(await limits.reserve(_request()), CENT, 0)
    with pytest.raises(QuotaExceeded):
        await limits.reserve(_request())
    clock.advance(hours=12)  # 00:00 UTC the next day
    await limits.reserve(_request())


async def test_a_total_budget_never_resets(engine: Engine, make_backend: Any, clock: Any) -> None:
    set_budget(engine, "key", 10, "0.01", "total")
    limits = make_backend()
    await limits.settle(await limits.reserve(_request()), CENT, 0)
    clock.advance(days=400)
    with pytest.raises(QuotaExceeded):
        await limits.reserve(_request())


async def test_the_soft_threshold_is_reported_once_per_period(engine: Engine, make_backend: Any, clock: Any) -> None:
    set_budget(engine, "team", 1, "0.10", "week", soft_threshold=0.5, webhook_url="https://hooks.example/budget")
    crossings: list[BudgetCrossing] = []
    limits = make_backend(on_soft_threshold=crossings.append)
    for _ in range(8):  # 4, then 5 cents crosses 50 %, then 6, 7 and 8 cents do not report again
        await limits.settle(await limits.reserve(_request()), CENT, 0)
    assert len(crossings) == 1
    assert crossings[0].spent_nanos == 5 * CENT and crossings[0].rule.webhook_url == "https://hooks.example/budget"
    assert crossings[0].period_label == "2025-W11"
    clock.advance(days=7)
    for _ in range(5):
        await limits.settle(await limits.reserve(_request()), CENT, 0)
    assert [c.period_label for c in crossings] == ["2025-W11", "2025-W12"]


async def test_spend_already_in_the_ledger_counts_against_the_budget(
    engine: Engine, make_backend: Any, clock: Any
) -> None:
    set_budget(engine, "key", 10, "1.00", "month")
    _spend_in_ledger(engine, clock, usd_to_nanos("0.995"))
    limits = make_backend()
    with pytest.raises(QuotaExceeded):
        await limits.reserve(_request())


async def test_a_key_budget_does_not_touch_other_keys(engine: Engine, make_backend: Any) -> None:
    set_budget(engine, "key", 10, "0.01", "month")
    limits = make_backend()
    await limits.settle(await limits.reserve(_request(key_id=10)), CENT, 0)
    with pytest.raises(QuotaExceeded):
        await limits.reserve(_request(key_id=10))
    await limits.reserve(_request(key_id=11))


async def test_a_budget_refusal_reserves_no_rate_limit(engine: Engine, make_backend: Any) -> None:
    set_budget(engine, "key", 10, "0", "month")
    set_rate_limit(engine, "key", 10, rpm=2, tpm=None)
    limits = make_backend()
    for _ in range(3):
        with pytest.raises(QuotaExceeded):
            await limits.reserve(_request())
    set_budget(engine, "key", 10, "1", "month")
    reservation = await limits.reserve(_request())
    assert reservation.headers["x-ratelimit-remaining-requests"] == "1"
