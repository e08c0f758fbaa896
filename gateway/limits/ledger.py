"""Spend counters rebuilt from the usage ledger, the source of truth that Redis only mirrors.

A counter that is missing (Redis restarted or was flushed, a new period began, or this is the
in-process backend's first request) is rebuilt from the ledger's sum for the period, set only if
still missing so a concurrent reservation is never overwritten. Records still in the usage
writer's queue are not in the ledger yet: a rebuild may trail the truth by a second of traffic.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.core.models import utcnow
from gateway.ledger.records import UsageRecord
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.periods import window_of
from gateway.limits.plan import budget_slots
from gateway.limits.rules import AppliedLimits, BudgetRule, BudgetSlot


def ledger_spent_nanos(engine: Engine, rule: BudgetRule, since: datetime | None, until: datetime | None = None) -> int:
    """What the ledger holds as spent by the rule's team or key in [since, until) (None: unbounded)."""
    owner = UsageRecord.team_id if rule.scope == "team" else UsageRecord.key_id
    statement = select(func.coalesce(func.sum(UsageRecord.cost_nanos), 0)).where(owner == rule.scope_id)
    if since is not None:
        statement = statement.where(col(UsageRecord.time) >= since)
    if until is not None:
        statement = statement.where(col(UsageRecord.time) < until)
    with Session(engine) as session:
        return int(session.exec(statement).one())


async def spent_in_window(engine: Engine | None, slot: BudgetSlot, now: datetime) -> int:
    if engine is None:
        return 0
    window = window_of(slot.rule.period, now)
    return await asyncio.to_thread(ledger_spent_nanos, engine, slot.rule, window.start, window.end)


async def restore_counter(
    redis: Redis, engine: Engine | None, slot: BudgetSlot, now: datetime, *, overwrite: bool
) -> bool:
    """Set one budget counter from the ledger; True if it was written."""
    spent = await spent_in_window(engine, slot, now)
    ttl = slot.ttl_seconds or None
    written = await redis.set(slot.key, spent, ex=ttl, nx=not overwrite)
    return bool(written)


async def rebuild_from_ledger(
    engine: Engine,
    redis: Redis,
    catalog: LimitsCatalog,
    *,
    prefix: str,
    now: datetime | None = None,
    overwrite: bool = False,
) -> int:
    """Rebuild every budget's counter for the current period from the ledger; return how many were set.

    At start-up (overwrite=False) only missing counters are written: present ones also hold the
    reservations of requests in flight. `overwrite=True` is for an operator's reconciliation when
    no traffic runs.
    """
    now = now or utcnow()
    await catalog.refresh()
    slots = budget_slots(prefix, AppliedLimits(tuple(catalog.budgets())), now)
    written = 0
    for slot in slots:
        written += await restore_counter(redis, engine, slot, now, overwrite=overwrite)
    return written
