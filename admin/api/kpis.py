"""The KPI API: the centre of excellence's figures as JSON, and per use case as CSV (finance, admins)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.api.finance import date_range
from admin.context import Role, admin_context, require_role
from admin.kpis import KpiQuery, kpi_csv, kpi_report
from gateway.core.errors import InvalidRequest
from gateway.core.models import utcnow
from gateway.ledger.use_case_stats import Period

router = APIRouter(prefix="/admin/api")
PERIODS: dict[str, Period] = {"week": "week", "month": "month"}


def kpi_query(request: Request) -> KpiQuery:
    params = request.query_params
    since, until = date_range(params.get("from") or None, params.get("to") or None, names=("from", "to"))
    period = PERIODS.get(params.get("period") or "week")
    if period is None:
        raise InvalidRequest("period must be week or month.", param="period")
    return KpiQuery(since, until, params.get("team") or None, period)


@router.get("/kpis")
async def kpi_json(request: Request) -> JSONResponse:
    require_role(request, Role.FINANCE)
    context = admin_context(request)
    report = await asyncio.to_thread(kpi_report, context.kpi_stats, kpi_query(request), context.models, utcnow())
    return JSONResponse(report)


@router.get("/kpis.csv")
async def kpi_export(request: Request) -> Response:
    require_role(request, Role.FINANCE)
    text = await asyncio.to_thread(kpi_csv, admin_context(request).kpi_stats, kpi_query(request), utcnow())
    return Response(
        text, media_type="text/csv", headers={"content-disposition": 'attachment; filename="use-case-kpis.csv"'}
    )
