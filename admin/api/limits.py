"""Budgets and rate limits of teams and keys (admin only)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from gateway.core import keys
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.notices import LIMITS_CHANGED
from gateway.limits.admin import InvalidLimit, set_budget, set_rate_limit

router = APIRouter(prefix="/admin/api")
PeriodName = Literal["day", "week", "month", "total"]


class BudgetIn(RequestBody):
    team: str | None = None
    key_prefix: str | None = None
    amount_usd: Decimal = Field(gt=0)
    period: PeriodName = "month"
    soft_threshold: float | None = Field(default=0.8, gt=0, le=1)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")


class RateLimitIn(RequestBody):
    team: str | None = None
    key_prefix: str | None = None
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)


def resolve_scope(engine: Engine, team: str | None, key_prefix: str | None) -> tuple[str, int]:
    """("team", id) or ("key", id) from exactly one of a team name and a key prefix."""
    if (team is None) == (key_prefix is None):
        raise InvalidRequest("Give exactly one of 'team' and 'key_prefix'.", param="team")
    if team is not None:
        try:
            found = keys.find_team(engine, team)
        except keys.UnknownTeam as exc:
            raise NotFound(str(exc), param="team", code="team_not_found") from None
        assert found.id is not None
        return "team", found.id
    assert key_prefix is not None
    try:
        key = keys.find_key(engine, key_prefix)
    except keys.UnknownKey as exc:
        raise NotFound(str(exc), param="key_prefix", code="key_not_found") from None
    assert key.id is not None
    return "key", key.id


@router.post("/budgets")
async def create_budget(request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    data = await parse_body(request, BudgetIn)
    engine = admin_context(request).engine
    scope, scope_id = await asyncio.to_thread(resolve_scope, engine, data.team, data.key_prefix)
    try:
        budget = await asyncio.to_thread(
            set_budget,
            engine,
            scope,
            scope_id,
            data.amount_usd,
            data.period,
            soft_threshold=data.soft_threshold,
            webhook_url=data.webhook_url,
        )
    except InvalidLimit as exc:
        raise InvalidRequest(str(exc)) from None
    await admin_context(request).announce_change(LIMITS_CHANGED)
    return JSONResponse(
        {
            "id": budget.id,
            "scope": scope,
            "scope_id": scope_id,
            "amount_usd": str(data.amount_usd),
            "period": data.period,
        },
        status_code=201,
    )


@router.post("/rate-limits")
async def create_rate_limit(request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    data = await parse_body(request, RateLimitIn)
    engine = admin_context(request).engine
    scope, scope_id = await asyncio.to_thread(resolve_scope, engine, data.team, data.key_prefix)
    try:
        await asyncio.to_thread(set_rate_limit, engine, scope, scope_id, rpm=data.rpm, tpm=data.tpm)
    except InvalidLimit as exc:
        raise InvalidRequest(str(exc)) from None
    await admin_context(request).announce_change(LIMITS_CHANGED)
    return JSONResponse({"scope": scope, "scope_id": scope_id, "rpm": data.rpm, "tpm": data.tpm}, status_code=201)
