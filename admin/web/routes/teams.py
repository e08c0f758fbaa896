"""Teams for admins: the teams and keys overview, creating a team, a team's page and its edit form."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.edits import edit_team, warnings_for
from admin.web.audit_trail import record
from admin.web.edit_forms import LimitsInForce, read_limit_edits, read_team_fields
from admin.web.guard import Allow, form_text
from admin.web.limits_form import PERIODS, InvalidLimitsForm, apply_limits, read_limits_form
from admin.web.pages import PageError, redirect, render
from gateway.core import keys
from gateway.core.db import session_scope
from gateway.core.models import Team
from gateway.core.notices import LIMITS_CHANGED
from gateway.limits.admin import InvalidLimit, limits_of
from gateway.limits.models import Budget, RateLimit
from use_cases import registry as use_case_registry

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
    return {
        "teams": keys.list_teams(engine),
        "keys": keys.list_keys(engine),
        "use_cases": use_case_registry.list_use_cases(engine),
        **_limits(engine),
    }


async def overview_page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    """The teams and keys page (with an error above the forms, when a form was refused)."""
    overview = await asyncio.to_thread(_overview, admin_context(request).engine)
    return render(request, "teams.html", {**overview, "periods": PERIODS, "error": "", **extra}, status_code)


@router.get("/teams")
async def teams_page(request: Request, person: Admin) -> Response:
    return await overview_page(request)


@router.post("/teams")
async def create_team(request: Request, person: Admin) -> Response:
    engine = admin_context(request).engine
    name = await form_text(request, "name")
    if not TEAM_NAME.match(name):
        return await overview_page(request, 400, error="A team name is 1 to 128 letters, digits, '.', '_' or '-'.")
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
        return await overview_page(request, 409, error=f"A team named {name!r} already exists; pick another name.")
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await overview_page(request, 400, error=f"Nothing was created: {exc}")
    await asyncio.to_thread(record, engine, actor=person.actor, action="team.create", target=f"team:{name}", team=name)
    return redirect("/admin/teams", "team_created")


def _team_view(engine: Engine, name: str) -> tuple[Team, LimitsInForce, list[Any]]:
    try:
        team = keys.find_team(engine, name)
    except keys.UnknownTeam:
        raise PageError(404, "No such team", f"There is no team named {name!r}.", back="/admin/teams") from None
    assert team.id is not None
    budgets, rate = limits_of(engine, "team", team.id)
    return team, LimitsInForce({b.period: b for b in budgets}, rate), keys.list_keys(engine, name)


async def team_page(request: Request, name: str, status_code: int = 200, error: str = "") -> Response:
    context = admin_context(request)
    team, limits, team_keys = await asyncio.to_thread(_team_view, context.engine, name)
    return render(
        request,
        "team.html",
        {
            "team": team,
            "in_force": limits,
            "keys": team_keys,
            "periods": PERIODS,
            "warnings": warnings_for(context, team.models, limits.as_edits()),
            "models_known": context.models,
            "error": error,
        },
        status_code,
    )


@router.get("/teams/{name}")
async def show_team(name: str, request: Request, person: Admin) -> Response:
    return await team_page(request, name)


@router.post("/teams/{name}")
async def save_team(name: str, request: Request, person: Admin) -> Response:
    """Apply the edit form; the team's page then shows the result, and warns about small budgets."""
    context = admin_context(request)
    team, limits, _ = await asyncio.to_thread(_team_view, context.engine, name)
    try:
        edits = await read_limit_edits(request, limits)
        await edit_team(context, person.actor, team.name, await read_team_fields(request), edits)
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await team_page(request, name, 400, error=f"Nothing was changed: {exc}")
    return redirect(f"/admin/teams/{name}", "team_saved")
