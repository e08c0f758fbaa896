"""Teams and virtual keys: create, list, edit, revoke (admin only)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.api.limits import PeriodName
from admin.context import Role, admin_context, require_role
from admin.edits import BudgetEdit, EditResult, LimitEdits, edit_key, edit_team
from admin.edits import revoke_key as revoke
from gateway.core import keys
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.models import ApiKey, Team
from gateway.limits.admin import InvalidLimit
from use_cases import registry as use_case_registry
from use_cases.reloader import REGISTRY_CHANGED

router = APIRouter(prefix="/admin/api")


class TeamIn(RequestBody):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
    models: list[str] | None = None
    policy: str | None = None


class KeyIn(RequestBody):
    team: str = Field(min_length=1)
    name: str = Field(default="", max_length=128)
    expires_at: datetime | None = None
    use_case: str | None = Field(default=None, description="bind the key to one of its team's use cases")


class BudgetPatch(RequestBody):
    """A budget for one period, as POST /admin/api/budgets takes it (without scope and period)."""

    amount_usd: Decimal = Field(gt=0, allow_inf_nan=False)
    soft_threshold: float | None = Field(default=0.8, gt=0, le=1)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")


class LimitsPatch(RequestBody):
    """Budgets by period (null removes one) and rate limits (null removes one); absent: unchanged."""

    budgets: dict[PeriodName, BudgetPatch | None] = Field(default_factory=dict)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)

    def limit_edits(self) -> LimitEdits:
        budgets: dict[str, BudgetEdit | None] = {
            period: None if b is None else BudgetEdit(b.amount_usd, b.soft_threshold, b.webhook_url)
            for period, b in self.budgets.items()
        }
        rates: dict[str, int | None] = {n: getattr(self, n) for n in ("rpm", "tpm") if n in self.model_fields_set}
        return LimitEdits(budgets, rates)


class TeamPatch(LimitsPatch):
    models: list[str] | None = None
    policy: str | None = Field(default=None, max_length=128)
    name: str | None = None  # named so that sending it gets its own refusal


class KeyPatch(LimitsPatch):
    name: str = Field(default="", max_length=128)
    expires_at: datetime | None = None
    use_case: str | None = Field(default=None, description="bind the key to another of its team's use cases")
    team: str | None = None  # named so that sending it gets its own refusal


def _fields(data: BaseModel, names: frozenset[str]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in names & data.model_fields_set}


def _edit_json(result: EditResult) -> dict[str, Any]:
    return {"changes": result.changes, "warnings": result.warnings}


def _team_json(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "models": team.models,
        "policy": team.policy,
        "created_at": team.created_at.isoformat(),
    }


def _key_json(key: ApiKey, team: Team, use_case: str | None) -> dict[str, Any]:
    return {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "team": team.name,
        "use_case": use_case,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@router.post("/teams")
async def create_team(request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    data = await parse_body(request, TeamIn)
    try:
        team = await asyncio.to_thread(
            keys.create_team, admin_context(request).engine, data.name, models=data.models, policy=data.policy
        )
    except keys.TeamExists as exc:
        raise InvalidRequest(str(exc), param="name", code="team_exists") from None
    return JSONResponse(_team_json(team), status_code=201)


@router.get("/teams")
async def list_teams(request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    teams = await asyncio.to_thread(keys.list_teams, admin_context(request).engine)
    return JSONResponse({"data": [_team_json(team) for team in teams]})


@router.post("/keys")
async def create_key(request: Request) -> JSONResponse:
    caller = require_role(request, Role.ADMIN)
    data = await parse_body(request, KeyIn)
    context = admin_context(request)
    engine = context.engine
    try:
        if data.use_case is not None:  # checked first, so a wrong use case creates no key
            await asyncio.to_thread(use_case_registry.check_bindable, engine, data.use_case, data.team)
        new = await asyncio.to_thread(keys.create_key, engine, data.team, name=data.name, expires_at=data.expires_at)
        team = await asyncio.to_thread(keys.find_team, engine, data.team)
    except keys.UnknownTeam as exc:
        raise NotFound(str(exc), param="team", code="team_not_found") from None
    if data.use_case is not None:
        assert new.record.id is not None
        await asyncio.to_thread(
            use_case_registry.bind_key, engine, new.record.id, new.record.prefix, data.use_case, actor=caller.name
        )
        await context.announce_change(REGISTRY_CHANGED)
    # The only response that ever carries the key itself.
    return JSONResponse({**_key_json(new.record, team, data.use_case), "key": new.secret}, status_code=201)


@router.get("/keys")
async def list_keys(request: Request, team: str | None = None) -> JSONResponse:
    require_role(request, Role.ADMIN)
    engine = admin_context(request).engine
    rows = await asyncio.to_thread(keys.list_keys, engine, team)
    bound = await asyncio.to_thread(use_case_registry.bound_use_cases, engine)
    return JSONResponse({"data": [_key_json(key, owner, bound.get(key.id or 0)) for key, owner in rows]})


@router.patch("/teams/{name}")
async def patch_team(name: str, request: Request) -> JSONResponse:
    """Change what is sent of models, policy, budgets, rpm, tpm; every process uses it on return."""
    caller = require_role(request, Role.ADMIN)
    data = await parse_body(request, TeamPatch)
    if "name" in data.model_fields_set:
        raise InvalidRequest("A team's name cannot be changed; create a new team instead.", param="name")
    context = admin_context(request)
    try:
        result = await edit_team(context, caller.name, name, _fields(data, keys.TEAM_EDITABLE), data.limit_edits())
        team = await asyncio.to_thread(keys.find_team, context.engine, name)
    except keys.UnknownTeam as exc:
        raise NotFound(str(exc), param="name", code="team_not_found") from None
    except InvalidLimit as exc:
        raise InvalidRequest(str(exc), param="budgets") from None
    return JSONResponse({**_team_json(team), **_edit_json(result)})


@router.patch("/keys/{prefix}")
async def patch_key(prefix: str, request: Request) -> JSONResponse:
    """Change what is sent of name, expires_at, use_case, budgets, rpm, tpm; in force on return."""
    caller = require_role(request, Role.ADMIN)
    data = await parse_body(request, KeyPatch)
    if "team" in data.model_fields_set:
        raise InvalidRequest("A key's team cannot be changed; create a key for the other team.", param="team")
    if "use_case" in data.model_fields_set and data.use_case is None:
        raise InvalidRequest("A key's use case can be changed, not removed.", param="use_case")
    context = admin_context(request)
    try:
        result = await edit_key(
            context, caller.name, prefix, _fields(data, keys.KEY_EDITABLE), data.limit_edits(), data.use_case
        )
        key, team = await asyncio.to_thread(keys.find_key_and_team, context.engine, prefix)
    except keys.UnknownKey as exc:
        raise NotFound(str(exc), param="prefix", code="key_not_found") from None
    except InvalidLimit as exc:
        raise InvalidRequest(str(exc), param="budgets") from None
    assert key.id is not None
    bound = await asyncio.to_thread(use_case_registry.bound_use_cases, context.engine)
    return JSONResponse({**_key_json(key, team, bound.get(key.id)), **_edit_json(result)})


@router.post("/keys/{prefix}/revoke")
async def revoke_key(prefix: str, request: Request) -> JSONResponse:
    """Revoke a key: every gateway process refuses it once this returns."""
    caller = require_role(request, Role.ADMIN)
    try:
        key = await revoke(admin_context(request), caller.name, prefix)
    except keys.UnknownKey as exc:
        raise NotFound(str(exc), param="prefix", code="key_not_found") from None
    return JSONResponse({"prefix": key.prefix, "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None})
