"""Teams and virtual keys: create, list, revoke (admin only)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from gateway.core import keys
from gateway.core.bodies import parse_body
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.models import ApiKey, Team

router = APIRouter(prefix="/admin/api")


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
    models: list[str] | None = None
    policy: str | None = None


class KeyIn(BaseModel):
    team: str = Field(min_length=1)
    name: str = Field(default="", max_length=128)
    expires_at: datetime | None = None


def _team_json(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "models": team.models,
        "policy": team.policy,
        "created_at": team.created_at.isoformat(),
    }


def _key_json(key: ApiKey, team: Team) -> dict[str, Any]:
    return {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "team": team.name,
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
    require_role(request, Role.ADMIN)
    data = await parse_body(request, KeyIn)
    engine = admin_context(request).engine
    try:
        new = await asyncio.to_thread(keys.create_key, engine, data.team, name=data.name, expires_at=data.expires_at)
        team = await asyncio.to_thread(keys.find_team, engine, data.team)
    except keys.UnknownTeam as exc:
        raise NotFound(str(exc), param="team", code="team_not_found") from None
    # The only response that ever carries the key itself.
    return JSONResponse({**_key_json(new.record, team), "key": new.secret}, status_code=201)


@router.get("/keys")
async def list_keys(request: Request, team: str | None = None) -> JSONResponse:
    require_role(request, Role.ADMIN)
    rows = await asyncio.to_thread(keys.list_keys, admin_context(request).engine, team)
    return JSONResponse({"data": [_key_json(key, owner) for key, owner in rows]})


@router.post("/keys/{prefix}/revoke")
async def revoke_key(prefix: str, request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    try:
        key = await asyncio.to_thread(keys.revoke_key, admin_context(request).engine, prefix)
    except keys.UnknownKey as exc:
        raise NotFound(str(exc), param="prefix", code="key_not_found") from None
    return JSONResponse({"prefix": key.prefix, "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None})
