"""Finance's read-only API: spend and tokens by team, key, model or day; budgets; CSV export."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.context import Role, admin_context, require_role
from gateway.core import keys
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.models import utcnow
from gateway.ledger import finance
from gateway.limits.status import budgets_status

router = APIRouter(prefix="/admin/api/finance")
GroupBy = Literal["team", "key", "model", "day"]
DEFAULT_DAYS = 30


def date_range(
    start: str | None, end: str | None, names: tuple[str, str] = ("start", "end")
) -> tuple[datetime, datetime]:
    """`start` and `end` as ISO dates (end inclusive) or datetimes; default: the last 30 days.
    `names` are the query parameters they came from, for the error messages."""

    def parse(value: str, name: str, end_of_day: bool) -> datetime:
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                moment = datetime.combine(day, time.min, tzinfo=UTC)
                return moment + timedelta(days=1) if end_of_day else moment
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidRequest(f"{name} must be an ISO date (2026-11-24) or date-time.", param=name) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    until = parse(end, names[1], True) if end else utcnow()
    since = parse(start, names[0], False) if start else until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidRequest(f"{names[0]} must be before {names[1]}.", param=names[0])
    return since, until


def team_id_of(request: Request, team: str | None) -> int | None:
    if not team:
        return None
    try:
        found = keys.find_team(admin_context(request).engine, team)
    except keys.UnknownTeam as exc:
        raise NotFound(str(exc), param="team", code="team_not_found") from None
    return found.id


@router.get("/spend")
async def spend(
    request: Request,
    group_by: GroupBy = "team",
    start: str | None = None,
    end: str | None = None,
    team: str | None = None,
) -> JSONResponse:
    require_role(request, Role.FINANCE)
    since, until = date_range(start, end)
    team_id = await asyncio.to_thread(team_id_of, request, team)
    rows = await asyncio.to_thread(
        finance.spend, admin_context(request).engine, group_by, since, until, team_id=team_id
    )
    return JSONResponse({"group_by": group_by, "start": since.isoformat(), "end": until.isoformat(), "data": rows})


@router.get("/spend.csv")
async def spend_csv(
    request: Request,
    group_by: GroupBy = "team",
    start: str | None = None,
    end: str | None = None,
    team: str | None = None,
) -> Response:
    require_role(request, Role.FINANCE)
    since, until = date_range(start, end)
    team_id = await asyncio.to_thread(team_id_of, request, team)
    text = await asyncio.to_thread(
        finance.spend_csv, admin_context(request).engine, group_by, since, until, team_id=team_id
    )
    filename = f"spend-by-{group_by}-{since.date()}-{until.date()}.csv"
    return Response(text, media_type="text/csv", headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/budgets")
async def budgets(request: Request, team: str | None = None) -> JSONResponse:
    require_role(request, Role.FINANCE)
    team_id = await asyncio.to_thread(team_id_of, request, team)
    rows = await asyncio.to_thread(budgets_status, admin_context(request).engine, utcnow(), team_id=team_id)
    return JSONResponse({"data": rows})
