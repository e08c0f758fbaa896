"""Budgets and rate limits held in this process: for a gateway with no Redis (one process only).

The same steps as the Lua scripts, on dicts. Each check runs without an await between reading and
writing the counters, so on one event loop it is as atomic as the script is in Redis. Budget
counters start from the ledger, so a restart does not forget what was spent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from gateway.core.models import utcnow
from gateway.limits.backend import SoftThresholdCallback, report_crossings
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.gcra import adjust, gcra
from gateway.limits.ledger import spent_in_window
from gateway.limits.outcome import NEVER, CheckReply, interpret
from gateway.limits.plan import budget_slots, rate_slots
from gateway.limits.rules import AppliedLimits, BudgetCrossing, BudgetSlot, LimitRequest, RateSlot, Reservation

log = logging.getLogger(__name__)


class InProcessLimits:
    def __init__(
        self,
        catalog: LimitsCatalog,
        *,
        ledger: Engine | None = None,
        on_soft_threshold: SoftThresholdCallback | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._catalog = catalog
        self._ledger = ledger
        self._on_soft_threshold = on_soft_threshold
        self._clock = clock
        self._spent: dict[str, int] = {}
        self._soft_reported: set[str] = set()
        self._tats: dict[str, float] = {}
        log.warning("budgets and rate limits are held in this process: run a single process, or configure Redis")

    async def reserve(self, request: LimitRequest, limits: AppliedLimits | None = None) -> Reservation:
        if limits is None:
            limits = await self._catalog.limits_for(request.team_id, request.key_id)
        if not limits:
            return Reservation()
        now = self._clock()
        budgets = budget_slots("", limits, now)
        rates = rate_slots("", limits, request)
        for slot in budgets:
            if slot.key not in self._spent:
                spent = await spent_in_window(self._ledger, slot, now)
                self._spent.setdefault(slot.key, spent)
        # From here to the end: no await, so no other request interleaves.
        return interpret(self._check(request, budgets, rates, now.timestamp()), request, budgets, rates)

    def _check(self, request: LimitRequest, budgets: list[BudgetSlot], rates: list[RateSlot], now: float) -> CheckReply:
        for index, slot in enumerate(budgets):
            spent = self._spent[slot.key]
            if spent + request.max_cost_nanos > slot.rule.amount_nanos:
                return CheckReply("quota", quota_index=index, spent_nanos=spent)
        results = [gcra(self._tats.get(slot.key), now, slot.limit, slot.cost) for slot in rates]
        states = [(result.remaining, result.reset_seconds) for result in results]
        refused = [result for result in results if not result.allowed]
        if refused:
            waits = [result.retry_after for result in refused]
            return CheckReply("rate", retry_after=NEVER if NEVER in waits else max(waits), states=states)
        for slot in budgets:
            self._spent[slot.key] += request.max_cost_nanos
        for rate, result in zip(rates, results, strict=True):
            self._tats[rate.key] = result.tat
        return CheckReply("ok", states=states)

    async def settle(
        self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int
    ) -> list[BudgetCrossing]:
        return self._settle(reservation, actual_cost_nanos, actual_tokens)

    def settle_here(self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int) -> bool:
        self._settle(reservation, actual_cost_nanos, actual_tokens)
        return True

    def _settle(self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int) -> list[BudgetCrossing]:
        if reservation.settled:
            return []
        reservation.settled = True
        now = self._clock()
        crossings = []
        for slot in reservation.budgets:
            if slot.key not in self._spent:
                continue
            self._spent[slot.key] += actual_cost_nanos - reservation.reserved_nanos
            spent = self._spent[slot.key]
            if slot.soft_nanos and spent >= slot.soft_nanos and slot.soft_key not in self._soft_reported:
                self._soft_reported.add(slot.soft_key)
                crossings.append(BudgetCrossing(slot.rule, slot.label, spent, now))
        token_delta = actual_tokens - reservation.reserved_tokens
        for rate in reservation.rates:
            if rate.kind == "tokens" and token_delta and rate.key in self._tats:
                self._tats[rate.key] = adjust(self._tats[rate.key], now.timestamp(), rate.limit, token_delta)
        report_crossings(crossings, self._on_soft_threshold)
        return crossings

    async def close(self) -> None:
        """Nothing to release."""
