"""Teams and keys for admins: create a team, create a key with budget and limits (shown once), revoke."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.audit_trail import record
from admin.web.guard import Allow, form_text
from admin.web.limits_form import PERIODS, InvalidLimitsForm, apply_limits, read_limits_form
from admin.web.pages import PageError, redirect, render
from gateway.core import keys
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.core.notices import LIMITS_CHANGED
from gateway.limits.admin import InvalidLimit
from gateway.limits.models import Budget, RateLimit

router = APIRouter(prefix="/admin")
Admin = Annotated[SignedIn, Depends(Allow(Role.ADMIN))]
TEAM_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _limits(engine: Engine) -> dict[str, Any]:
    with session_scope(engine) as session:
        budgets = list(session.exec(select(Budget)))
        rates = list(session.exec(select(RateLimit)))
    by_scope: dict[tuple[str, int], dict[str, Any]] = {}
    for budget in budgets:
        by_scope.setdefault((budget.scope, budget.scope_id), {"budgets": [], "rate": None})["budgets"].append(budget)
    for rate in rates:
        by_scope.setdefault((rate.scope, rate.scope_id), {"budgets": [], "rate": None})["rate"] = rate
    return {"limits": by_scope}


def _overview(engine: Engine) -> dict[str, Any]:
    return {"teams": keys.list_teams(engine), "keys": keys.list_keys(engine), **_limits(engine)}


async def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    overview = await asyncio.to_thread(_overview, admin_context(request).engine)
    return render(request, "teams.html", {**overview, "periods": PERIODS, "error": "", **extra}, status_code)


@router.get("/teams")
async def teams_page(request: Request, person: Admin) -> Response:
    return await _page(request)


@router.post("/teams")
async def create_team(request: Request, person: Admin) -> Response:
    engine = admin_context(request).engine
    name = await form_text(request, "name")
    if not TEAM_NAME.match(name):
        return await _page(request, 400, error="A team name is 1 to 128 letters, digits, '.', '_' or '-'.")
    models = [m.strip() for m in (await form_text(request, "models")).split(",") if m.strip()] or None
    try:
        limits = await read_limits_form(request)
        team = await asyncio.to_thread(
            keys.create_team, engine, name, models=models, policy=await form_text(request, "policy") or None
        )
        assert team.id is not None
        await asyncio.to_thread(apply_limits, engine, "team", team.id, limits)
        await admin_context(request).announce_change(LIMITS_CHANGED)
    except keys.TeamExists:
        return await _page(request, 409, error=f"A team named {name!r} already exists; pick another name.")
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await _page(request, 400, error=f"Nothing was created: {exc}")
    await asyncio.to_thread(record, engine, actor=person.actor, action="team.create", target=f"team:{name}", team=name)
    return redirect("/admin/teams", "team_created")


@router.post("/keys")
async def create_key(request: Request, person: Admin) -> Response:
    engine = admin_context(request).engine
    team = await form_text(request, "team")
    days = await form_text(request, "expires_in_days")
    if days and (not days.isdigit() or int(days) == 0):
        return await _page(
            request, 400, error="Expiry is a whole number of days, or empty for a key that never expires."
        )
    try:
        limits = await read_limits_form(request)
        new = await asyncio.to_thread(
            keys.create_key,
            engine,
            team,
            name=(await form_text(request, "name"))[:128],
            expires_at=utcnow() + timedelta(days=int(days)) if days else None,
        )
        assert new.record.id is not None
        await asyncio.to_thread(apply_limits, engine, "key", new.record.id, limits)
        await admin_context(request).announce_change(LIMITS_CHANGED)
    except keys.UnknownTeam:
        return await _page(request, 400, error="Choose the team the key belongs to (create the team first).")
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await _page(request, 400, error=f"Nothing was created: {exc}")
    await asyncio.to_thread(
        record, engine, actor=person.actor, action="key.create", target=f"key:{new.record.prefix}", team=team
    )
    # Rendered, not redirected: the secret is shown on this one response and never again.
    return await _page(request, 201, new_key=new.secret, new_key_team=team, new_key_prefix=new.record.prefix)


@router.post("/keys/{prefix}/revoke")
async def revoke_key(prefix: str, request: Request, person: Admin) -> Response:
    engine = admin_context(request).engine
    try:
        await asyncio.to_thread(keys.revoke_key, engine, prefix)
    except keys.UnknownKey:
        raise PageError(404, "No such key", f"There is no key with prefix {prefix}.", back="/admin/teams") from None
    await asyncio.to_thread(record, engine, actor=person.actor, action="key.revoke", target=f"key:{prefix}")
    return redirect("/admin/teams", "key_revoked")
