"""What only the Redis backend does: share limits across processes, survive Redis restarts and outages."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from gateway.core.errors import QuotaExceeded, RateLimited
from gateway.core.redis import create_redis
from gateway.ledger.records import UsageEvent, usd_to_nanos
from gateway.ledger.tables import USAGE_TABLE
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.limits.backend import LimitsUnavailable
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.health import StoreHealth
from gateway.limits.ledger import rebuild_from_ledger
from gateway.limits.redis_backend import RedisLimits
from gateway.limits.rules import LimitRequest
from gateway.limits.settings import LimitsSettings

REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
CENT = usd_to_nanos("0.01")


async def _counter(redis: Redis, key: str) -> int:
    value = await redis.get(key)
    assert value is not None, f"{key} is missing"
    return int(value)


def _request() -> LimitRequest:
    return LimitRequest(team_id=1, key_id=10, tokens=10, max_cost_nanos=CENT)


async def test_two_gateway_processes_sharing_redis_enforce_one_budget_and_one_rate_limit(
    engine: Engine,
    redis: Redis,  # deletes this test's keys after it
    prefix: str,
    clock: Any,
) -> None:
    set_budget(engine, "team", 1, "0.05", "month")
    set_rate_limit(engine, "key", 10, rpm=8, tpm=None)
    clients = [create_redis(REDIS_URL), create_redis(REDIS_URL)]
    # Each "process" has its own catalog, client and backend: nothing shared but Redis and the database.
    gateways = [
        RedisLimits(client, LimitsCatalog(engine, 0), prefix=prefix, ledger=engine, clock=clock) for client in clients
    ]
    outcomes: list[str] = []

    async def call(number: int) -> None:
        limits = gateways[number % 2]
        try:
            reservation = await limits.reserve(_request())
        except (QuotaExceeded, RateLimited) as refusal:
            outcomes.append(type(refusal).__name__)
            return
        outcomes.append("ok")
        await limits.settle(reservation, CENT, 10)

    await asyncio.gather(*(call(number) for number in range(6)))
    assert sorted(outcomes) == ["QuotaExceeded"] + ["ok"] * 5  # five cents, across both processes
    set_budget(engine, "team", 1, "10", "month")
    await asyncio.gather(*(call(number) for number in range(6, 12)))
    assert outcomes[6:].count("ok") == 3 and outcomes[6:].count("RateLimited") == 3  # 8 per minute in all
    for client in clients:
        await client.aclose()


async def test_budget_counters_lost_in_a_redis_restart_are_rebuilt_from_the_ledger(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "1.00", "month")
    USAGE_TABLE.insert(
        engine,
        [
            UsageEvent(
                "req_old", "gpt-4o", time=clock.now, team_id=1, key_id=10, cost_nanos=usd_to_nanos("0.995")
            ).as_row()
        ],
    )
    limits = RedisLimits(redis, LimitsCatalog(engine, 0), prefix=prefix, ledger=engine, clock=clock)
    assert not [key async for key in redis.scan_iter(match=prefix + "*")]  # as after a restart: nothing
    with pytest.raises(QuotaExceeded):
        await limits.reserve(_request())
    assert await _counter(redis, f"{prefix}budget:team:1:month:2025-03") == usd_to_nanos("0.995")


async def test_rebuild_from_ledger_restores_missing_counters_and_keeps_present_ones(
    engine: Engine, redis: Redis, prefix: str, clock: Any
) -> None:
    set_budget(engine, "team", 1, "5", "month")
    set_budget(engine, "key", 10, "5", "day")
    set_budget(engine, "key", 11, "5", "total")
    events = [
        UsageEvent("req_a", "m", time=clock.now, team_id=1, key_id=10, cost_nanos=300),
        UsageEvent("req_b", "m", time=clock.now, team_id=1, key_id=11, cost_nanos=200),
    ]
    USAGE_TABLE.insert(engine, [event.as_row() for event in events])
    await redis.set(f"{prefix}budget:key:10:day:2025-03-10", 999)  # present: holds in-flight reservations
    written = await rebuild_from_ledger(engine, redis, LimitsCatalog(engine, 0), prefix=prefix, now=clock.now)
    assert written == 2
    assert await _counter(redis, f"{prefix}budget:team:1:month:2025-03") == 500
    assert await _counter(redis, f"{prefix}budget:key:10:day:2025-03-10") == 999
    assert await _counter(redis, f"{prefix}budget:key:11:total:total") == 200
    assert await redis.ttl(f"{prefix}budget:key:11:total:total") == -1  # a total budget never expires
    assert 0 < await redis.ttl(f"{prefix}budget:team:1:month:2025-03")


def _closed_port_backend(engine: Engine, prefix: str, settings: LimitsSettings, health: StoreHealth) -> RedisLimits:
    dead = create_redis("redis://127.0.0.1:1/0")  # nothing listens on port 1
    return RedisLimits(dead, LimitsCatalog(engine, 0), prefix=prefix, settings=settings, health=health)


@pytest.mark.parametrize(
    ("budgets_mode", "rates_mode", "refused"),
    [("closed", "open", True), ("open", "open", False), ("open", "closed", True), ("closed", "closed", True)],
)
async def test_redis_down_follows_each_fail_mode_without_hanging(
    engine: Engine, prefix: str, budgets_mode: str, rates_mode: str, refused: bool
) -> None:
    set_budget(engine, "team", 1, "1", "month")
    set_rate_limit(engine, "key", 10, rpm=100, tpm=None)
    settings = LimitsSettings(budgets_when_store_down=budgets_mode, rate_limits_when_store_down=rates_mode)  # type: ignore[arg-type]
    degradations: list[tuple[str, str]] = []
    health = StoreHealth(1.0, on_degraded=lambda mechanism, outcome: degradations.append((mechanism, outcome)))
    limits = _closed_port_backend(engine, prefix, settings, health)
    started = time.monotonic()
    if refused:
        with pytest.raises(LimitsUnavailable) as error:
            await limits.reserve(_request())
        assert error.value.status_code == 503 and error.value.headers["retry-after"] == "1"
    else:
        reservation = await limits.reserve(_request())
        assert reservation.degraded and reservation.headers == {}
    assert time.monotonic() - started < 1.0
    assert not health.up and degradations
    assert degradations[0] == ("budget", "refused" if budgets_mode == "closed" else "allowed")


async def test_the_defaults_refuse_budgeted_requests_and_let_rate_limited_ones_through(
    engine: Engine, prefix: str
) -> None:
    set_rate_limit(engine, "key", 10, rpm=1, tpm=None)
    health = StoreHealth(1.0)
    limits = _closed_port_backend(engine, prefix, LimitsSettings(), health)
    for _ in range(3):  # far over the RPM, but unchecked
        assert (await limits.reserve(_request())).degraded
    set_budget(engine, "team", 1, "1", "month")
    with pytest.raises(LimitsUnavailable):
        await limits.reserve(_request())
    assert health.degradations[("rate_limit", "allowed")] == 3
    assert health.degradations[("budget", "refused")] == 1


async def test_enforcement_comes_back_by_itself_when_redis_does(
    engine: Engine, prefix: str, private_redis: Any
) -> None:
    set_rate_limit(engine, "key", 10, rpm=1, tpm=None)
    now = [0.0]
    health = StoreHealth(5.0, clock=lambda: now[0])
    client = create_redis(private_redis.url)
    limits = RedisLimits(client, LimitsCatalog(engine, 0), prefix=prefix, health=health)
    await limits.reserve(_request())
    private_redis.stop()
    assert (await limits.reserve(_request())).degraded
    assert (await limits.reserve(_request())).degraded  # skipped: Redis is not even tried
    private_redis.start()  # an empty Redis, as after a restart: no counters, no cached script
    now[0] += 5.0
    await limits.reserve(_request())
    assert health.up
    with pytest.raises(RateLimited):
        await limits.reserve(_request())
    await client.aclose()


async def test_a_redis_without_the_script_gets_it_by_eval_once(engine: Engine, prefix: str, private_redis: Any) -> None:
    set_rate_limit(engine, "key", 10, rpm=100, tpm=None)
    client = create_redis(private_redis.url)
    no_leases = LimitsSettings(lease_seconds=0)  # every check goes to Redis
    limits = RedisLimits(client, LimitsCatalog(engine, 0), prefix=prefix, settings=no_leases)
    for _ in range(3):
        await limits.reserve(_request())
    stats = await client.info("commandstats")
    assert stats["cmdstat_eval"]["calls"] == 1  # after the first NOSCRIPT
    assert stats["cmdstat_evalsha"]["calls"] == 3
    await client.aclose()
