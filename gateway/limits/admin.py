"""Setting and removing budgets and rate limits (for the admin API, the CLI and tests)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from gateway.core.db import Bind, session_scope
from gateway.ledger.records import usd_to_nanos
from gateway.limits.models import Budget, Period, RateLimit, Scope


class InvalidLimit(ValueError):
    """A budget or rate limit that cannot be set (unknown scope or period, a negative amount)."""


def set_budget(
    engine: Bind,
    scope: str,
    scope_id: int,
    amount_usd: Decimal | str | int,
    period: str = "month",
    *,
    soft_threshold: float | None = 0.8,
    webhook_url: str | None = None,
) -> Budget:
    """Create or replace the budget of one scope for one period."""
    if scope not in {s.value for s in Scope} or period not in {p.value for p in Period}:
        raise InvalidLimit(f"unknown scope {scope!r} or period {period!r}")
    amount = usd_to_nanos(Decimal(str(amount_usd)))
    if amount < 0 or (soft_threshold is not None and not 0 < soft_threshold <= 1):
        raise InvalidLimit("the amount must be >= 0 and the soft threshold in (0, 1]")
    with session_scope(engine) as session:
        budget = session.exec(
            select(Budget).where(Budget.scope == scope, Budget.scope_id == scope_id, Budget.period == period)
        ).first() or Budget(scope=scope, scope_id=scope_id, period=period, amount_nanos=amount)
        budget.amount_nanos = amount
        budget.soft_threshold = soft_threshold
        budget.webhook_url = webhook_url
        session.add(budget)
        session.flush()
        session.refresh(budget)
        return budget


def set_rate_limit(engine: Bind, scope: str, scope_id: int, *, rpm: int | None, tpm: int | None) -> RateLimit:
    """Create or replace one scope's RPM and TPM (None: no limit of that kind)."""
    if scope not in {s.value for s in Scope} or any(v is not None and v <= 0 for v in (rpm, tpm)):
        raise InvalidLimit(f"unknown scope {scope!r} or a limit that is not positive")
    with session_scope(engine) as session:
        limit = session.exec(
            select(RateLimit).where(RateLimit.scope == scope, RateLimit.scope_id == scope_id)
        ).first() or RateLimit(scope=scope, scope_id=scope_id)
        limit.rpm, limit.tpm = rpm, tpm
        session.add(limit)
        session.flush()
        session.refresh(limit)
        return limit


def remove_budget(engine: Bind, scope: str, scope_id: int, period: str) -> bool:
    """Delete one scope's budget for one period; False if there was none."""
    with session_scope(engine) as session:
        budget = session.exec(
            select(Budget).where(Budget.scope == scope, Budget.scope_id == scope_id, Budget.period == period)
        ).first()
        if budget is None:
            return False
        session.delete(budget)
        return True


def remove_rate_limit(engine: Bind, scope: str, scope_id: int) -> bool:
    """Delete one scope's RPM and TPM limits; False if there were none."""
    with session_scope(engine) as session:
        limit = session.exec(select(RateLimit).where(RateLimit.scope == scope, RateLimit.scope_id == scope_id)).first()
        if limit is None:
            return False
        session.delete(limit)
        return True


def limits_of(engine: Bind, scope: str, scope_id: int) -> tuple[list[Budget], RateLimit | None]:
    """One scope's budgets (one per period) and its rate limit."""
    with session_scope(engine) as session:
        budgets = list(session.exec(select(Budget).where(Budget.scope == scope, Budget.scope_id == scope_id)))
        rate = session.exec(select(RateLimit).where(RateLimit.scope == scope, RateLimit.scope_id == scope_id)).first()
        return budgets, rate
