"""Budgets and rate limits in Redis: shared by every gateway process, at most one round trip per request.

The check is one Lua script, a settle another; both go through a ScriptBatcher, which sends the
checks waiting at each moment in one round trip and lets settles ride along with later checks. A
check may also take leases (leases.py), which later requests of a busy process spend, and settle
into, with no round trip at all. A budget counter missing from Redis is rebuilt from the ledger
before the check is run again (rare: a new period, or a Redis that lost its data).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from gateway.core.models import utcnow
from gateway.limits.backend import SoftThresholdCallback, degraded_reservation, report_crossings
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.health import StoreHealth
from gateway.limits.leases import Ask, Lease, LeaseBook
from gateway.limits.ledger import restore_counter
from gateway.limits.outcome import CheckReply, interpret
from gateway.limits.plan import budget_slots, rate_slots
from gateway.limits.rules import (
    WINDOW_SECONDS,
    AppliedLimits,
    BudgetCrossing,
    BudgetSlot,
    LimitRequest,
    RateSlot,
    Reservation,
    soft_flag_key,
)
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
        self._leases = LeaseBook(self._settings.lease_seconds)
        self._giving_back: asyncio.Task[None] | None = None
        self._unreturned: list[tuple[Lease, int]] = []
        self._top_ups: set[asyncio.Task[None]] = set()

    async def reserve(self, request: LimitRequest, limits: AppliedLimits | None = None) -> Reservation:
        """Spend this process's leases if they cover the request (most requests of a busy process
        end here, with no round trip); else check and reserve through Redis.

        A lease running low is topped up in the background. (Only from here: a request that found
        the leases short and waited for a refill starts none, so near a soft threshold requests
        soon go to Redis, and settle there, where the crossing is seen.)
        """
        if limits is None:
            limits = await self._catalog.limits_for(request.team_id, request.key_id)
        if not limits:
            return Reservation()
        leased = self._leases.take(request, limits, self._clock().timestamp(), self._start_top_up)
        if leased is not None:
            return leased
        reservation = await self._check_and_reserve(request, limits)
        reservation.waited = True
        return reservation

    def _start_top_up(self, request: LimitRequest, limits: AppliedLimits) -> None:
        """A lease runs low: top it up in the background. Requests that wait for a refill leave
        the process idle, and at concurrency 16 one in forty did before this."""
        if not self.health.should_try():
            return
        now = self._clock()
        budgets = budget_slots(self._prefix, limits, now)
        rates = rate_slots(self._prefix, limits, request)
        asks = self._leases.top_up([*budgets, *rates])
        if any(ask.want for ask in asks):
            task = asyncio.get_running_loop().create_task(self._top_up(request, budgets, rates, now, asks))
            self._top_ups.add(task)
            task.add_done_callback(self._top_ups.discard)

    async def _top_up(
        self, request: LimitRequest, budgets: list[BudgetSlot], rates: list[RateSlot], now: datetime, asks: list[Ask]
    ) -> None:
        """A check with no request waiting on it: what it reserves, like what it is granted, goes to the leases."""
        try:
            reply = await self._check(request, budgets, rates, now, asks)
        except STORE_ERRORS:
            return
        if reply.status != "ok":
            return
        own = [request.max_cost_nanos] * len(budgets) + [slot.cost for slot in rates]
        self._lease_granted(asks, reply, rates, now.timestamp(), kept=own)

    async def _check_and_reserve(self, request: LimitRequest, limits: AppliedLimits) -> Reservation:
        """The leases fell short: wait for a refill already under way, else check through Redis."""
        now = self._clock()
        if refills := self._leases.refills(request):
            await asyncio.wait(refills)  # one round trip refills the leases for every request short of them
            leased = self._leases.take(request, limits, now.timestamp())
            if leased is not None:
                return leased
        budgets = budget_slots(self._prefix, limits, now)
        rates = rate_slots(self._prefix, limits, request)
        if not self.health.should_try():
            return degraded_reservation(request, budgets, rates, self._settings, self.health)
        asks = self._leases.ask(request, [*budgets, *rates])
        try:
            reply = await self._check(request, budgets, rates, now, asks)
        except STORE_ERRORS:
            return degraded_reservation(request, budgets, rates, self._settings, self.health)
        if reply.status == "ok" and asks:
            self._lease_granted(asks, reply, rates, now.timestamp())
            self._leases.remember(request, limits, now, budgets, rates)
        return interpret(reply, request, budgets, rates)

    async def _check(
        self,
        request: LimitRequest,
        budgets: list[BudgetSlot],
        rates: list[RateSlot],
        now: datetime,
        asks: list[Ask],
    ) -> CheckReply:
        """Run the reserve script, keeping the leases and the store's health in step with it: the
        refills of a check that fails or is refused are abandoned (requests waiting for them go
        on), and a store error marks Redis down on its way up to the caller."""
        try:
            reply = await self._run_reserve(request, budgets, rates, now, asks)
        except STORE_ERRORS as exc:
            # Whether what the leases gave back arrived is unknown: it stays given back (over-counted).
            self._leases.abandoned(asks)
            self.health.mark_down(exc)
            raise
        except BaseException:  # cancelled with its client: requests waiting for its refill go on
            self._leases.abandoned(asks)
            raise
        self.health.mark_up()
        if reply.status != "ok":
            self._leases.abandoned(asks)
        return reply

    async def _run_reserve(
        self,
        request: LimitRequest,
        budgets: list[BudgetSlot],
        rates: list[RateSlot],
        now: datetime,
        asks: list[Ask],
    ) -> CheckReply:
        keys = [slot.key for slot in budgets] + [slot.key for slot in rates]
        wants = [ask.want for ask in asks] or [0] * len(keys)
        backs = [ask.back for ask in asks] or [0] * len(keys)
        for _ in range(MAX_REBUILDS):
            args = _reserve_args(request, budgets, rates, now, wants, backs)
            reply = CheckReply.from_redis(await self._scripts.run(self._reserve, keys, args), len(keys))
            if reply.status != "missing":
                return reply
            for index in reply.missing:
                await restore_counter(self._redis, self._ledger, budgets[index], now, overwrite=False)
                # A rebuilt counter holds what the ledger holds, not this process's lease: what the
                # lease holds (given back with this check, or kept by a top-up) is dropped, not
                # given back later, else the rebuilt counter would lose it.
                backs[index] = 0
                if asks:
                    asks[index].lease.available = 0
        raise RedisError("budget counters keep disappearing")

    def _lease_granted(
        self, asks: list[Ask], reply: CheckReply, rates: list[RateSlot], now: float, kept: list[int] | None = None
    ) -> None:
        """Hand the granted units to the leases, with `kept` (a top-up's own reservation, per slot);
        a rate limit's lease also learns where Redis stands."""
        tats: list[float | None] = [None] * (len(asks) - len(rates))
        first_rate = len(tats)
        for index, (slot, (_, reset)) in enumerate(zip(rates, reply.states, strict=True)):
            tats.append(now + reset + reply.grants[first_rate + index] * WINDOW_SECONDS / slot.limit)
        grants = reply.grants if kept is None else [grant + own for grant, own in zip(reply.grants, kept, strict=True)]
        self._leases.refilled(asks, grants, tats)
        if self._giving_back is None and any(grants):
            self._giving_back = asyncio.get_running_loop().create_task(self._give_back_expired())

    def settle_here(self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int) -> bool:
        """A request spent from leases still held here settles into them, with no round trip."""
        plan = reservation.leased
        if reservation.settled or plan is None:
            return False
        cost_delta = actual_cost_nanos - reservation.reserved_nanos
        reservation.settled = plan.settle(cost_delta, actual_tokens - reservation.reserved_tokens)
        return reservation.settled

    async def settle(
        self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int
    ) -> list[BudgetCrossing]:
        if reservation.settled:
            return []
        reservation.settled = True
        budgets = reservation.budgets
        tokens = [slot for slot in reservation.rates if slot.kind == "tokens"]
        cost_delta = actual_cost_nanos - reservation.reserved_nanos
        token_delta = actual_tokens - reservation.reserved_tokens
        if reservation.leased is not None:
            # Spent from leases: the correction goes back to them, unless one was given back meanwhile.
            budgets, tokens = self._leases.credit(reservation.leased, cost_delta, token_delta)
        if not budgets and not (tokens and token_delta):
            return []
        now = self._clock()
        budget_fixes = [(s.key, cost_delta, s.soft_nanos, s.ttl_seconds, self._leases.held(s)) for s in budgets]
        try:
            reply = await self._correct(now, budget_fixes, [(s.key, token_delta, s.limit) for s in tokens])
        except STORE_ERRORS as exc:
            # The reservation stays counted: spend is over- rather than under-stated until a rebuild.
            self.health.mark_down(exc)
            self.health.degraded("settle", "lost")
            return []
        crossed = [(budgets[int(reply[i]) - 1], int(reply[i + 1])) for i in range(0, len(reply), 2)]
        crossings = [BudgetCrossing(slot.rule, slot.label, spent, now) for slot, spent in crossed]
        report_crossings(crossings, self._on_soft_threshold)
        return crossings

    async def _give_back_expired(self) -> None:
        """Every so often, give Redis back what leases not refilled for a while still hold."""
        while True:
            await asyncio.sleep(self._leases.hold_seconds / 2)
            self._unreturned += self._leases.expired()
            await self._give_back()

    async def _give_back(self) -> None:
        back, self._unreturned = self._unreturned, []
        if not back:
            return
        budgets = [(lease.key, -units, 0, 0, 0) for lease, units in back if lease.unit == "budget"]
        rates = [(lease.key, -units, lease.limit) for lease, units in back if lease.unit != "budget"]
        try:
            await self._correct(self._clock(), budgets, rates)
        except STORE_ERRORS as exc:
            self.health.mark_down(exc)
            self._unreturned = back + self._unreturned  # tried again on the next round

    async def _correct(
        self, now: datetime, budgets: list[tuple[str, int, int, int, int]], rates: list[tuple[str, int, int]]
    ) -> list[Any]:
        """Run the settle script, which nobody waits for: it may ride along with the next batch.

        `budgets`: (counter key, delta, soft threshold, ttl, leased here); `rates`: (key, delta, limit).
        """
        keys = [key for key, *_ in budgets] + [soft_flag_key(key) for key, *_ in budgets] + [key for key, *_ in rates]
        args: list[str | int] = [f"{now.timestamp():.6f}", len(budgets), len(rates)]
        for _, *numbers in budgets:
            args += numbers
        for _, *numbers in rates:
            args += numbers
        reply: list[Any] = await self._scripts.run(self._settle, keys, args, urgent=False)
        return reply

    async def close(self) -> None:
        """Give back every lease and send the last settles; the Redis client belongs to the app's state."""
        if self._giving_back is not None:
            self._giving_back.cancel()
        if self._top_ups:
            await asyncio.wait(self._top_ups)  # what they reserve must be in the leases before the drain
        self._unreturned += self._leases.drain()
        await self._give_back()
        await self._scripts.close()


def _reserve_args(
    request: LimitRequest,
    budgets: list[BudgetSlot],
    rates: list[RateSlot],
    now: datetime,
    wants: list[int],
    backs: list[int],
) -> list[str | int]:
    """The reserve script's ARGV (see scripts.py); `wants` and `backs` are per budget, then per rate limit."""
    args: list[str | int] = [f"{now.timestamp():.6f}", len(budgets), len(rates)]
    for slot, want, back in zip(budgets, wants, backs, strict=False):
        ceiling = slot.soft_nanos or slot.rule.amount_nanos
        args += [slot.rule.amount_nanos, request.max_cost_nanos, slot.ttl_seconds, want, ceiling, back]
    for rate, want, back in zip(rates, wants[len(budgets) :], backs[len(budgets) :], strict=True):
        args += [rate.limit, rate.cost, want, back]
    return args
