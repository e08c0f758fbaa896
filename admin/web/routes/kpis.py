"""The centre of excellence's dashboard: the KPIs of a period as tables and charts, with exports."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.api.kpis import kpi_query
from admin.context import Role, admin_context
from admin.kpis import kpi_report
from admin.web.charts import bar_chart, column_chart
from admin.web.guard import Allow
from admin.web.pages import PageError, render
from gateway.core.errors import GatewayError
from gateway.core.models import utcnow

router = APIRouter(prefix="/admin/kpis")
Finance = Annotated[SignedIn, Depends(Allow(Role.FINANCE))]


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    per_period: dict[str, Decimal] = defaultdict(Decimal)
    for point in report["series"]["data"]:
        per_period[point["period"]] += Decimal(point["cost_usd"])
    by_use_case = [(row["name"], Decimal(row["cost_usd"])) for row in report["per_use_case"] if row["requests"]]
    return {
        "cost_chart": bar_chart(by_use_case, "Cost per use case"),
        "period_chart": column_chart(sorted(per_period.items()), f"Cost per {report['series']['period']}"),
    }


@router.get("")
async def kpi_page(request: Request, person: Finance) -> Response:
    context = admin_context(request)
    try:
        query = kpi_query(request)
    except GatewayError as exc:
        raise PageError(400, "The period could not be read", exc.message, back="/admin/kpis") from None
    report = await asyncio.to_thread(kpi_report, context.kpi_stats, query, context.models, utcnow())
    params = {
        "from": query.since.date().isoformat(),
        "to": request.query_params.get("to", ""),
        "team": query.team or "",
        "period": query.period,
    }
    export = urlencode({key: value for key, value in params.items() if value})
    return render(request, "kpis.html", {"report": report, "params": params, "export": export, **_charts(report)})
