"""Budgets and rate limits in Redis: shared by every gateway process, one round trip per request.

The check is one Lua script, a settle another; both go through a ScriptBatcher, which sends the
checks waiting at each moment in one round trip and lets settles ride along with later checks. A
budget counter missing from Redis is rebuilt from the ledger before the check is run again (rare:
a new period, or a Redis that lost its data).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from gateway.core.models import utcnow
from gateway.limits.backend import SoftThresholdCallback, degraded_reservation, report_crossings
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.health import StoreHealth
from gateway.limits.ledger import restore_counter
from gateway.limits.outcome import CheckReply, interpret
from gateway.limits.plan import budget_slots, rate_slots
from gateway.limits.rules import BudgetCrossing, BudgetSlot, LimitRequest, RateSlot, Reservation
from gateway.limits.script_batch import ScriptBatcher
from gateway.limits.scripts import RESERVE, SETTLE, LuaScript
from gateway.limits.settings import LimitsSettings

log = logging.getLogger(__name__)
STORE_ERRORS = (RedisError, OSError, asyncio.TimeoutError)
MAX_REBUILDS = 3


class RedisLimits:
    def __init__(
        self,
        redis: Redis,
        catalog: LimitsCatalog,
        *,
        prefix: str,
        settings: LimitsSettings | None = None,
        ledger: Engine | None = None,
        health: StoreHealth | None = None,
        on_soft_threshold: SoftThresholdCallback | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._redis = redis
        self._catalog = catalog
        self._prefix = prefix
        self._settings = settings or LimitsSettings()
        self._ledger = ledger
        self.health = health or StoreHealth(self._settings.store_retry_seconds)
        self._on_soft_threshold = on_soft_threshold
        self._clock = clock
        self._scripts = ScriptBatcher(redis)
        self._reserve = LuaScript(RESERVE)
        self._settle = LuaScript(SETTLE)

    async def check_and_reserve(self, request: LimitRequest) -> Reservation:
        limits = await self._catalog.limits_for(request.team_id, request.key_id)
        if not limits:
            return Reservation(request)
        now = self._clock()
        budgets = budget_slots(self._prefix, limits, now)
        rates = rate_slots(self._prefix, limits, request)
        if not self.health.should_try():
            return degraded_reservation(request, budgets, rates, self._settings, self.health)
        try:
            reply = await self._check(request, budgets, rates, now)
        except STORE_ERRORS as exc:
            self.health.mark_down(exc)
            return degraded_reservation(request, budgets, rates, self._settings, self.health)
        self.health.mark_up()
        return interpret(reply, request, budgets, rates)

    async def _check(
        self, request: LimitRequest, budgets: list[BudgetSlot], rates: list[RateSlot], now: datetime
    ) -> CheckReply:
        keys = [slot.key for slot in budgets] + [slot.key for slot in rates]
        args: list[str | int] = [f"{now.timestamp():.6f}", len(budgets), len(rates)]
        for slot in budgets:
            args += [slot.rule.amount_nanos, request.max_cost_nanos, slot.ttl_seconds]
        for rate in rates:
            args += [rate.limit, rate.cost]
        for _ in range(MAX_REBUILDS):
            reply = CheckReply.from_redis(await self._scripts.run(self._reserve, keys, args))
            if reply.status != "missing":
                return reply
            for index in reply.missing:
                await restore_counter(self._redis, self._ledger, budgets[index], now, overwrite=False)
        raise RedisError("budget counters keep disappearing")

    async def settle(
        self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int
    ) -> list[BudgetCrossing]:
        if reservation.settled:
            return []
        reservation.settled = True
        tokens = [slot for slot in reservation.rates if slot.kind == "tokens"]
        cost_delta = actual_cost_nanos - reservation.reserved_nanos
        token_delta = actual_tokens - reservation.reserved_tokens
        if not reservation.budgets and not (tokens and token_delta):
            return []
        now = self._clock()
        keys = (
            [s.key for s in reservation.budgets] + [s.soft_key for s in reservation.budgets] + [s.key for s in tokens]
        )
        args: list[str | int] = [f"{now.timestamp():.6f}", len(reservation.budgets), len(tokens)]
        for slot in reservation.budgets:
            args += [cost_delta, slot.soft_nanos, slot.ttl_seconds]
        for token_slot in tokens:
            args += [token_delta, token_slot.limit]
        try:
            # Nobody waits for a settle (it runs after the response): it may wait for the next batch.
            reply = await self._scripts.run(self._settle, keys, args, urgent=False)
        except STORE_ERRORS as exc:
            # The reservation stays counted: spend is over- rather than under-stated until a rebuild.
            self.health.mark_down(exc)
            self.health.degraded("settle", "lost")
            return []
        crossed = [(reservation.budgets[int(reply[i]) - 1], int(reply[i + 1])) for i in range(0, len(reply), 2)]
        crossings = [BudgetCrossing(slot.rule, slot.label, spent, now) for slot, spent in crossed]
        report_crossings(crossings, self._on_soft_threshold)
        return crossings

    async def close(self) -> None:
        """Send the last settles; the Redis client belongs to the app's state, which closes it."""
        await self._scripts.close()
