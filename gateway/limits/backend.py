"""The LimitsBackend protocol, and what both backends do the same way around their counter store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from gateway.core.errors import ServiceUnavailable
from gateway.limits.health import StoreHealth
from gateway.limits.rules import AppliedLimits, BudgetCrossing, BudgetSlot, LimitRequest, RateSlot, Reservation
from gateway.limits.settings import LimitsSettings

log = logging.getLogger(__name__)
SoftThresholdCallback = Callable[[BudgetCrossing], None]


class LimitsUnavailable(ServiceUnavailable):
    """Budgets or rate limits set to fail closed could not be checked: the counter store is away."""

    default_code = "limits_unavailable"


class LimitsBackend(Protocol):
    """Budgets and rate limits: check and reserve before the call, settle after it."""

    async def reserve(self, request: LimitRequest, limits: AppliedLimits | None = None) -> Reservation:
        """Check every rate limit and reserve the maximum cost on every budget, atomically, from
        whatever the backend keeps (leases this process holds, or the shared store).

        `limits` are the rules in force for the request's team and key, if the caller has
        looked them up already (else the backend asks the catalog).

        Raises RateLimited or QuotaExceeded (429) or LimitsUnavailable (503); a reservation's
        `headers` are the x-ratelimit-* headers for the response.
        """
        ...

    async def settle(
        self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int
    ) -> list[BudgetCrossing]:
        """Replace the reservation with the real cost and tokens (0, 0 for a request that failed)."""
        ...

    def settle_here(self, reservation: Reservation, actual_cost_nanos: int, actual_tokens: int) -> bool:
        """Settle at once if that needs no round trip (True); else leave it to `settle` (False)."""
        ...

    async def close(self) -> None: ...


def degraded_reservation(
    request: LimitRequest,
    budgets: list[BudgetSlot],
    rates: list[RateSlot],
    settings: LimitsSettings,
    health: StoreHealth,
) -> Reservation:
    """Follow the fail modes when the store is away: refuse (closed) or let through unchecked (open)."""
    if budgets:
        closed = settings.budgets_when_store_down == "closed"
        health.degraded("budget", "refused" if closed else "allowed")
        if closed:
            raise LimitsUnavailable(
                "Budgets cannot be checked right now; please retry shortly.", headers={"retry-after": "1"}
            )
    if rates:
        closed = settings.rate_limits_when_store_down == "closed"
        health.degraded("rate_limit", "refused" if closed else "allowed")
        if closed:
            raise LimitsUnavailable(
                "Rate limits cannot be checked right now; please retry shortly.", headers={"retry-after": "1"}
            )
    # Nothing was reserved; a settle adds the real cost if the store is back by then.
    return Reservation(budgets=budgets, rates=rates, degraded=True)


def report_crossings(crossings: list[BudgetCrossing], callback: SoftThresholdCallback | None) -> None:
    for crossing in crossings:
        log.warning(
            "budget soft threshold crossed: %s %s %s budget %s, spent %s (period %s)",
            crossing.rule.scope,
            crossing.rule.scope_id,
            crossing.rule.period,
            crossing.amount_usd,
            crossing.spent_usd,
            crossing.period_label,
        )
        if callback is not None:
            try:
                callback(crossing)
            except Exception:
                log.exception("the soft threshold callback failed")
