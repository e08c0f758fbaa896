"""Editing a team or a key, one way for the admin API and the UI: the change, its audit entry with
what changed from what to what, the notices that make every gateway process use it at once, and
the warnings about a budget too small for one request."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from admin.context import AdminContext
from admin.web.audit_trail import record
from gateway.core import keys
from gateway.core.db import Bind, session_scope
from gateway.core.models import ApiKey, Team
from gateway.core.notices import KEYS_CHANGED, LIMITS_CHANGED
from gateway.ledger.records import nanos_to_usd, usd_to_nanos
from gateway.limits.admin import limits_of, remove_budget, remove_rate_limit, set_budget, set_rate_limit
from gateway.limits.estimate import budget_warnings
from gateway.limits.models import Budget
from use_cases import registry as use_case_registry
from use_cases.reloader import REGISTRY_CHANGED

RATE_FIELDS = ("rpm", "tpm")


@dataclass(frozen=True)
class BudgetEdit:
    """A budget for one period, as it should be after the edit."""

    amount_usd: Decimal
    soft_threshold: float | None = 0.8
    webhook_url: str | None = None


@dataclass(frozen=True)
class LimitEdits:
    """Only what is named changes: a period mapped to None loses its budget, a rate set to None its limit."""

    budgets: Mapping[str, BudgetEdit | None] = field(default_factory=dict)
    rates: Mapping[str, int | None] = field(default_factory=dict)  # "rpm" / "tpm"

    def __bool__(self) -> bool:
        return bool(self.budgets or self.rates)


@dataclass(frozen=True)
class EditResult:
    """What changed (field → {"from", "to"}), and what the admin should know about the new values."""

    changes: dict[str, dict[str, Any]]
    warnings: list[str]


def _budget_json(budget: Budget | None) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {
        "amount_usd": f"{nanos_to_usd(budget.amount_nanos).normalize():f}",
        "soft_threshold": budget.soft_threshold,
        "webhook_url": budget.webhook_url,
    }


def _limits_state(engine: Bind, scope: str, scope_id: int) -> dict[str, Any]:
    budgets, rate = limits_of(engine, scope, scope_id)
    state: dict[str, Any] = {f"budgets.{b.period}": _budget_json(b) for b in budgets}
    state["rpm"] = rate.rpm if rate else None
    state["tpm"] = rate.tpm if rate else None
    return state


def _apply_limits(engine: Bind, scope: str, scope_id: int, edits: LimitEdits) -> None:
    for period, budget in edits.budgets.items():
        if budget is None:
            remove_budget(engine, scope, scope_id, period)
        else:
            set_budget(
                engine,
                scope,
                scope_id,
                budget.amount_usd,
                period,
                soft_threshold=budget.soft_threshold,
                webhook_url=budget.webhook_url,
            )
    if edits.rates:
        _, current = limits_of(engine, scope, scope_id)
        rates = {name: getattr(current, name) if current else None for name in RATE_FIELDS}
        rates.update(edits.rates)
        if rates["rpm"] is None and rates["tpm"] is None:
            remove_rate_limit(engine, scope, scope_id)
        else:
            set_rate_limit(engine, scope, scope_id, rpm=rates["rpm"], tpm=rates["tpm"])


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def _plain(value: Any) -> Any:
    """A field's value as the audit log and the JSON API write it."""
    return value.isoformat() if isinstance(value, datetime) else value


def warnings_for(context: AdminContext, models: list[str] | None, edits: LimitEdits) -> list[str]:
    """Warnings for each budget set here that one worst-case answer of the team's models exceeds."""
    groups = models if models is not None else list(context.worst_answers)
    answers = [context.worst_answers[group] for group in groups if group in context.worst_answers]
    return [
        warning
        for period, budget in edits.budgets.items()
        if budget is not None
        for warning in budget_warnings(usd_to_nanos(budget.amount_usd), period, answers)
    ]


def _edit_team(
    engine: Engine, actor: str, name: str, fields: Mapping[str, Any], edits: LimitEdits
) -> tuple[Team, dict[str, Any]]:
    """The change and its audit entry in one transaction: all of it lands, or none."""
    with session_scope(engine) as session:
        team = keys.find_team(session, name)
        team_id = team.id
        assert team_id is not None
        before = {**_limits_state(session, "team", team_id), "models": team.models, "policy": team.policy}
        if fields:
            _, team = keys.update_team(session, name, **fields)
        _apply_limits(session, "team", team_id, edits)
        after = {**_limits_state(session, "team", team_id), "models": team.models, "policy": team.policy}
        changes = _diff(before, after)
        if changes:
            record(session, actor=actor, action="team.edit", target=f"team:{name}", team=name, changes=changes)
    return team, changes


async def edit_team(
    context: AdminContext, actor: str, name: str, fields: Mapping[str, Any], edits: LimitEdits
) -> EditResult:
    """Change a team's models/policy (`fields`) and limits; raises keys.UnknownTeam or InvalidLimit."""
    team, changes = await asyncio.to_thread(_edit_team, context.engine, actor, name, fields, edits)
    await _announce(context, changes, f"team:{team.id}")
    return EditResult(changes, warnings_for(context, team.models, edits))


def _key_state(key: ApiKey) -> dict[str, Any]:
    return {"name": key.name, "expires_at": _plain(key.expires_at)}


def _edit_key(
    engine: Engine, actor: str, prefix: str, fields: Mapping[str, Any], edits: LimitEdits, use_case: str | None
) -> tuple[Team, dict[str, Any]]:
    """The change, the use case binding and their audit entries in one transaction."""
    with session_scope(engine) as session:
        key, team = keys.find_key_and_team(session, prefix)
        key_id = key.id
        assert key_id is not None
        before = {**_limits_state(session, "key", key_id), **_key_state(key)}
        if fields:
            _, key = keys.update_key(session, prefix, **fields)
        _apply_limits(session, "key", key_id, edits)
        after = {**_limits_state(session, "key", key_id), **_key_state(key)}
        changes = _diff(before, after)
        bound = use_case_registry.bound_use_cases(session).get(key_id) if use_case is not None else None
        if use_case is not None and bound != use_case:
            use_case_registry.bind_key(session, key_id, prefix, use_case, actor=actor)
            changes["use_case"] = {"from": bound, "to": use_case}
        if changes:
            record(session, actor=actor, action="key.edit", target=f"key:{prefix}", team=team.name, changes=changes)
    return team, changes


async def edit_key(
    context: AdminContext,
    actor: str,
    prefix: str,
    fields: Mapping[str, Any],
    edits: LimitEdits,
    use_case: str | None = None,
) -> EditResult:
    """Change a key's name/expiry (`fields`), limits and use case; raises keys.UnknownKey, InvalidLimit,
    or the use case registry's errors (checked before anything changes)."""
    engine = context.engine
    if use_case is not None:
        _, owner = await asyncio.to_thread(keys.find_key_and_team, engine, prefix)
        await asyncio.to_thread(use_case_registry.check_bindable, engine, use_case, owner.name)
    team, changes = await asyncio.to_thread(_edit_key, engine, actor, prefix, fields, edits, use_case)
    if "use_case" in changes:
        await context.announce_change(REGISTRY_CHANGED)
    await _announce(context, changes, f"key:{prefix}")
    return EditResult(changes, warnings_for(context, team.models, edits))


async def _announce(context: AdminContext, changes: Mapping[str, Any], subject: str) -> None:
    """Limits re-read if a budget or rate changed; cached keys dropped if what a key resolves to did."""
    if any(name.startswith("budgets.") or name in RATE_FIELDS for name in changes):
        await context.announce_change(LIMITS_CHANGED)
    if any(name in {"models", "policy", "expires_at"} for name in changes):  # what a cached key holds
        await context.announce_change(KEYS_CHANGED, subject)


async def revoke_key(context: AdminContext, actor: str, prefix: str) -> ApiKey:
    """Revoke a key; every process refuses it before this returns. Raises keys.UnknownKey."""
    key = await asyncio.to_thread(_revoke_key, context.engine, actor, prefix)
    await context.announce_change(KEYS_CHANGED, f"key:{prefix}")
    return key


def _revoke_key(engine: Engine, actor: str, prefix: str) -> ApiKey:
    with session_scope(engine) as session:
        key = keys.revoke_key(session, prefix)
        record(session, actor=actor, action="key.revoke", target=f"key:{prefix}", revoked_at=_plain(key.revoked_at))
    return key
