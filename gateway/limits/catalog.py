"""The budgets and rate limits in force, read from the database and held in memory.

A limit check must not query the database, so the tables are read whole (they hold one row per
budget or limit, not per request) and trusted for `refresh_seconds`; a change made in the admin
UI reaches every process within twice that time. If a refresh fails, the last good copy stays in use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import select

from gateway.core.db import session_scope
from gateway.core.outages import DatabaseOutages
from gateway.limits.models import Budget, RateLimit
from gateway.limits.rules import AppliedLimits, BudgetRule, RateRule

ScopeKey = tuple[str, int]


class LimitsCatalog:
    def __init__(
        self,
        engine: Engine,
        refresh_seconds: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        outages: DatabaseOutages | None = None,
    ) -> None:
        self._engine = engine
        self._outages = outages or DatabaseOutages()
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._budgets: dict[ScopeKey, tuple[BudgetRule, ...]] = {}
        self._rates: dict[ScopeKey, RateRule] = {}
        # What applies to each (team, key), worked out once per load: the same object until the next.
        self._applied: dict[tuple[int, int], AppliedLimits] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    async def limits_for(self, team_id: int, key_id: int) -> AppliedLimits:
        """Every rule for this team and this key (the team's first).

        A copy older than the refresh interval keeps serving while one background task re-reads
        the database, so no request under traffic stalls behind a refresh. A copy older than twice
        the interval (the process was idle, nothing refreshed it) is re-read before it is used: a
        new limit then binds every process within that time, whatever its traffic."""
        age = None if self._loaded_at is None else self._clock() - self._loaded_at
        if age is None or age >= 2 * self._refresh_seconds:
            await self.refresh()
        elif age >= self._refresh_seconds and self._refreshing is None:
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_in_background())
        applied = self._applied.get((team_id, key_id))
        if applied is None:
            applied = self._applied[(team_id, key_id)] = self._rules_for(team_id, key_id)
        return applied

    def _rules_for(self, team_id: int, key_id: int) -> AppliedLimits:
        scopes = (("team", team_id), ("key", key_id))
        budgets = tuple(rule for scope in scopes for rule in self._budgets.get(scope, ()))
        rates = tuple(rule for scope in scopes if (rule := self._rates.get(scope)) is not None)
        return AppliedLimits(budgets, rates)

    def budgets(self) -> list[BudgetRule]:
        """Every budget, as last loaded."""
        return [rule for rules in self._budgets.values() for rule in rules]

    async def _refresh_in_background(self) -> None:
        try:
            await self.refresh()
        finally:
            self._refreshing = None

    async def reload(self) -> None:
        """Re-read now: a budget or limit was just changed, and must bind from this moment."""
        await self.refresh(force=True)

    async def refresh(self, *, force: bool = False) -> None:
        async with self._lock:
            fresh = self._loaded_at is not None and self._clock() - self._loaded_at < self._refresh_seconds
            if fresh and not force:
                return  # another request refreshed while this one waited
            try:
                budgets, rates = await asyncio.to_thread(self._load)
            except Exception as error:
                if self._loaded_at is None:
                    raise
                self._outages.report(error, "re-reading budgets and rate limits (keeping the last copy)")
                self._loaded_at = self._clock()
                return
            self._budgets, self._rates, self._loaded_at = budgets, rates, self._clock()
            # Unchanged rules stay the same object: the Redis backend's lease plans hold on to it.
            self._applied = {
                owner: applied for owner, applied in self._applied.items() if self._rules_for(*owner) == applied
            }

    def _load(self) -> tuple[dict[ScopeKey, tuple[BudgetRule, ...]], dict[ScopeKey, RateRule]]:
        budgets: dict[ScopeKey, list[BudgetRule]] = {}
        rates: dict[ScopeKey, RateRule] = {}
        with session_scope(self._engine) as session:
            for row in session.exec(select(Budget)):
                rule = BudgetRule(
                    row.scope, row.scope_id, row.amount_nanos, row.period, row.soft_threshold, row.webhook_url
                )
                budgets.setdefault((row.scope, row.scope_id), []).append(rule)
            for limit in session.exec(select(RateLimit)):
                rates[(limit.scope, limit.scope_id)] = RateRule(limit.scope, limit.scope_id, limit.rpm, limit.tpm)
        return {scope: tuple(rules) for scope, rules in budgets.items()}, rates
