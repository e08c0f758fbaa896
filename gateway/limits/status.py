"""Every budget with what the ledger says is used in its current period, for the finance views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.core.models import ApiKey, Team
from gateway.ledger.records import usd_text
from gateway.limits.ledger import ledger_spent_nanos
from gateway.limits.models import Budget
from gateway.limits.periods import window_of
from gateway.limits.rules import BudgetRule

# What a budget's owner spent in [since, until) (None: unbounded); pages may read a daily rollup instead.
SpentReader = Callable[[Engine, BudgetRule, datetime | None, datetime | None], int]


def budgets_status(
    engine: Engine, now: datetime, *, team_id: int | None = None, spent: SpentReader = ledger_spent_nanos
) -> list[dict[str, Any]]:
    """Every budget with what the ledger says is used in its current period, and what is left."""
    with Session(engine) as session:
        budgets = session.exec(select(Budget).order_by(col(Budget.id))).all()
        teams = {team.id: team.name for team in session.exec(select(Team))}
        keys = {key.id: (key.team_id, key.prefix) for key in session.exec(select(ApiKey))}
    result = []
    for budget in budgets:
        owner_team = budget.scope_id if budget.scope == "team" else keys.get(budget.scope_id, (None, ""))[0]
        if team_id is not None and owner_team != team_id:
            continue
        window = window_of(budget.period, now)
        rule = BudgetRule(budget.scope, budget.scope_id, budget.amount_nanos, budget.period)
        used = spent(engine, rule, window.start, window.end)
        result.append(
            {
                "id": budget.id,
                "scope": budget.scope,
                "scope_id": budget.scope_id,
                "team_id": owner_team,
                "team_name": teams.get(owner_team),
                "key_prefix": keys.get(budget.scope_id, (None, None))[1] if budget.scope == "key" else None,
                "period": budget.period,
                "period_label": window.label,
                "period_start": window.start.isoformat() if window.start else None,
                "period_end": window.end.isoformat() if window.end else None,
                "amount_usd": usd_text(budget.amount_nanos),
                "used_usd": usd_text(used),
                "remaining_usd": usd_text(max(0, budget.amount_nanos - used)),
                "soft_threshold": budget.soft_threshold,
            }
        )
    return result
