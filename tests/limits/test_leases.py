"""Leases (gateway/limits/leases.py): fewer round trips, and budgets and rate limits that still hold."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from gateway.core.errors import QuotaExceeded, RateLimited
from gateway.core.redis import create_redis
from gateway.ledger.records import usd_to_nanos
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.redis_backend import RedisLimits
from gateway.limits.rules import BudgetCrossing, LimitRequest, Reservation
from gateway.limits.settings import LimitsSettings
from tests.helpers.servers import REDIS_URL
from tests.helpers.waiting import wait_until_async

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
CENT = usd_to_nanos("0.01")


def _request(cost: int = CENT, tokens: int = 10) -> LimitRequest:
    return LimitRequest(team_id=1, key_id=10, tokens=tokens, max_cost_nanos=cost)


def _limits(client: Redis, engine: Engine, prefix: str, clock: Any, **settings: Any) -> RedisLimits:
    catalog = LimitsCatalog(engine, 60)
    return RedisLimits(client, catalog, prefix=prefix, ledger=engine, clock=clock, settings=LimitsSettings(**settings))


async def _reserve(limits: RedisLimits, request: LimitRequest) -> Reservation:
    return await limits.reserve(request)


async def _spend(limits: RedisLimits, actual: int = CENT, tokens: int = 10) -> Reservation:
    reservation = await _reserve(limits, _request())
    if not limits.settle_here(reservation, actual, tokens):
        await limits.settle(reservation, actual, tokens)
    return reservation


async def _evalsha_calls(client: Redis) -> int:
    return int((await client.info("commandstats")).get("cmdstat_evalsha", {}).get("calls", 0))


# 200: answers far longer than the TPM reservation (a request without max_tokens reserves its prompt
# only); the settles' overrun must size the next lease, or the lease never grows.
@pytest.mark.parametrize("answered_tokens", [10, 200])
async def test_a_busy_process_goes_to_redis_once_per_lease_not_once_per_request(
    engine: Engine, prefix: str, clock: Any, private_redis: Any, answered_tokens: int
) -> None:
    set_budget(engine, "team", 1, "100", "month")
    set_rate_limit(engine, "key", 10, rpm=10_000, tpm=1_000_000)
    client = create_redis(private_redis.url)
    limits = _limits(client, engine, prefix, clock)
    leased = 0
    for _ in range(300):
        leased += bool((await _spend(limits, tokens=answered_tokens)).leased is not None)
    assert leased > 280
    assert await _evalsha_calls(client) < 20  # the first checks, then a few growing refills
    await limits.close()
    await client.aclose()


async def test_a_lease_running_low_is_topped_up_before_requests_wait_for_it(
    engine: Engine, prefix: str, clock: Any, private_redis: Any
) -> None:
    set_budget(engine, "team", 1, "1000", "month")
    set_rate_limit(engine, "key", 10, rpm=1_000_000, tpm=100_000_000)
    client = create_redis(private_redis.url)
    limits = _limits(client, engine, prefix, clock, lease_seconds=0.05)  # many refills in a short test
    short = 0  # requests after the first 100 of each connection that found the leases short

    async def request(number: int) -> None:
        nonlocal short
        reservation = await limits.reserve(_request())
        short += reservation.waited and number % 1000 >= 100
        await asyncio.sleep(0.0005)  # the upstream call: other requests run meanwhile
        if not limits.settle_here(reservation, CENT, 10):
            await limits.settle(reservation, CENT, 10)

    async def connection(first: int) -> None:
        for number in range(first, first + 200):
            await request(number)

    await asyncio.gather(*(connection(index * 1000) for index in range(16)))
    # Without the top-up a lease ran dry once per refill, and the requests short of it waited for
    # the refill: 32-45 of the 1,600 here. With it, none in three runs (a slow Redis may cost a few).
    assert short <= 5
    await limits.close()
    await client.aclose()


async def test_headers_counted_from_a_lease_are_what_redis_would_say(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_rate_limit(engine, "key", 10, rpm=1000, tpm=None)
    limits = _limits(redis, engine, prefix, clock)  # the clock stands still: nothing regenerates
    remaining = [int((await _spend(limits)).headers["x-ratelimit-remaining-requests"]) for _ in range(50)]
    assert remaining == list(range(999, 949, -1))
    await limits.close()


async def test_two_leasing_processes_never_pass_a_rate_limit_and_strand_nothing(
    engine: Engine,
    redis: Redis,  # deletes this test's keys after it
    prefix: str,
    clock: Any,
) -> None:
    set_rate_limit(engine, "key", 10, rpm=400, tpm=None)
    clients = [create_redis(REDIS_URL), create_redis(REDIS_URL)]
    gateways = [_limits(client, engine, prefix, clock) for client in clients]
    admitted = leased = 0
    for number in range(1000):
        try:
            reservation = await _spend(gateways[number % 2])
        except RateLimited:
            continue
        admitted += 1
        leased += reservation.leased is not None
    assert admitted == 400  # every unit a lease took was spent by its process's later requests
    assert leased > 200
    for gateway, client in zip(gateways, clients, strict=True):
        await gateway.close()
        await client.aclose()


async def test_a_budget_shared_by_two_leasing_processes_is_not_overspent_under_concurrency(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "1.00", "month")
    clients = [create_redis(REDIS_URL), create_redis(REDIS_URL)]
    gateways = [_limits(client, engine, prefix, clock) for client in clients]
    for number in range(20):  # both processes busy: both hold leases
        await _spend(gateways[number % 2])
    outcomes: list[str] = []

    async def call(number: int) -> None:
        try:
            await _spend(gateways[number % 2])
        except QuotaExceeded:
            outcomes.append("refused")
        else:
            outcomes.append("ok")

    await asyncio.gather(*(call(number) for number in range(20, 220)))
    assert 60 <= outcomes.count("ok") <= 80  # 80 cents were left; leases may strand a few
    for gateway, client in zip(gateways, clients, strict=True):
        await gateway.close()  # gives back what the leases still hold
        await client.aclose()
    spent = int(await redis.get(f"{prefix}budget:team:1:month:2025-03") or 0)
    assert spent == (20 + outcomes.count("ok")) * CENT <= usd_to_nanos("1.00")


async def test_what_leases_hold_goes_back_when_idle_and_late_settles_go_to_redis(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "100", "month")
    limits = _limits(redis, engine, prefix, clock, lease_seconds=0.05)  # given back after 0.2 s unrefilled
    for _ in range(30):
        await _spend(limits, actual=CENT // 2)  # every request uses half what it reserved
    late = await limits.reserve(_request())
    assert late.leased is not None
    leases = late.leased.leases
    key = f"{prefix}budget:team:1:month:2025-03"
    assert int(await redis.get(key) or 0) > 30 * CENT // 2 + CENT  # leases still held

    async def given_back_and_forgotten() -> bool:
        # Two looks: the leftover goes back (exact, but for the one in flight), then the lease is forgotten.
        spent = int(await redis.get(key) or 0)
        return spent == 30 * CENT // 2 + CENT and all(lease.returned for lease in leases)

    await wait_until_async(given_back_and_forgotten, timeout=5, waiting_for="the idle leases to be given back")
    assert not limits.settle_here(late, CENT // 2, 10)
    await limits.settle(late, CENT // 2, 10)
    assert int(await redis.get(key) or 0) == 31 * CENT // 2
    await limits.close()


async def test_a_budget_counter_lost_while_leased_is_rebuilt_from_the_ledger_alone(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "100", "month")
    limits = _limits(redis, engine, prefix, clock)
    for _ in range(30):
        await _spend(limits)
    key = f"{prefix}budget:team:1:month:2025-03"
    await redis.delete(key)  # as Redis restarted empty; the ledger (empty here) has nothing spent
    # Half the budget: more than the leases hold, even with a top-up granted meanwhile: to Redis.
    await limits.reserve(_request(cost=5_000 * CENT))
    await limits.close()  # gives back what the leases hold now
    assert int(await redis.get(key) or 0) == 5_000 * CENT  # only the reservation: the lost lease was not subtracted


async def test_a_soft_threshold_is_reported_once_with_the_spend_not_the_leases(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "1.00", "month", soft_threshold=0.5)
    crossings: list[BudgetCrossing] = []
    catalog = LimitsCatalog(engine, 60)
    limits = RedisLimits(redis, catalog, prefix=prefix, ledger=engine, clock=clock, on_soft_threshold=crossings.append)
    for _ in range(80):
        await _spend(limits)
    assert [crossing.spent_nanos for crossing in crossings] == [50 * CENT]
    await limits.close()


async def test_leases_can_be_turned_off(engine: Engine, redis: Redis, prefix: str, clock: Any) -> None:
    set_rate_limit(engine, "key", 10, rpm=10_000, tpm=None)
    limits = _limits(redis, engine, prefix, clock, lease_seconds=0)
    assert all([(await _spend(limits)).leased is None for _ in range(20)])
    await limits.close()


async def test_a_catalog_reload_with_unchanged_rules_keeps_the_leases(
    engine: Engine, prefix: str, clock: Any, private_redis: Any
) -> None:
    set_rate_limit(engine, "key", 10, rpm=10_000, tpm=None)
    client = create_redis(private_redis.url)
    catalog = LimitsCatalog(engine, 0)  # re-read from the database before every check
    limits = RedisLimits(client, catalog, prefix=prefix, ledger=engine, clock=clock)
    leased = [(await _spend(limits)).leased is not None for _ in range(100)]
    assert sum(leased) > 90
    rules = await catalog.limits_for(1, 10)
    assert await catalog.limits_for(1, 10) is rules
    set_rate_limit(engine, "key", 10, rpm=20_000, tpm=None)
    assert (await catalog.limits_for(1, 10)).rates[0].rpm == 20_000  # a changed rule is seen at once
    await limits.close()
    await client.aclose()
