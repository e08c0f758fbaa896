"""Spend for finance: per team, model and day over a range as charts and tables, budgets, CSV."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.charts import bar_chart, budget_bar, column_chart
from admin.web.guard import Allow
from admin.web.pages import PageError, render
from admin.web.spend_rollup import by_key, by_model, by_team, spend_cells
from gateway.core import keys
from gateway.ledger.finance import spend, spend_csv
from gateway.ledger.records import nanos_to_usd
from gateway.limits.status import budgets_status

router = APIRouter(prefix="/admin/finance")
Finance = Annotated[SignedIn, Depends(Allow(Role.FINANCE))]
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 10


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        raise PageError(
            400, "Dates look like 2025-01-31", f"{value!r} is not a date.", "Pick the dates again.", "/admin/finance"
        ) from None


def date_range(params: Any, today: date) -> tuple[date, date]:
    """The inclusive [first, last] days asked for; 30 days up to today by default."""
    last = _day(params.get("end"), today)
    first = _day(params.get("start"), last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise PageError(
            400, "The range is backwards", "The start date is after the end date.", "Swap them.", "/admin/finance"
        )
    if (last - first).days >= MAX_DAYS:
        raise PageError(400, "The range is too long", f"Choose at most {MAX_DAYS} days.", back="/admin/finance")
    return first, last


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def _team_id(engine: Engine, name: str) -> int | None:
    if not name:
        return None
    try:
        return keys.find_team(engine, name).id
    except keys.UnknownTeam:
        raise PageError(404, "No such team", f"There is no team named {name!r}.", back="/admin/finance") from None


def _usd(row: dict[str, Any]) -> Decimal:
    return nanos_to_usd(int(row["cost_nanos"]))


def _edit_href(budget: dict[str, Any]) -> str:
    """Where an admin changes this budget: the limits of its team's or key's edit form."""
    if budget["scope"] == "key" and budget["key_prefix"]:
        return f"/admin/keys/{budget['key_prefix']}#limits"
    return f"/admin/teams/{quote(budget['team_name'] or '')}#limits" if budget["team_name"] else ""


def _report(engine: Engine, first: date, last: date, team: str, may_edit: bool) -> dict[str, Any]:
    team_id = _team_id(engine, team)
    start, end = _bounds(first, last)
    # The three reads are independent: run them side by side (SQLite and psycopg release the GIL).
    with ThreadPoolExecutor(max_workers=3) as pool:
        cells_job = pool.submit(spend_cells, engine, start, end, team_id=team_id)
        days_job = pool.submit(spend, engine, "day", start, end, team_id=team_id)
        budgets_job = pool.submit(budgets_status, engine, datetime.now(UTC), team_id=team_id)
        cells, daily, budgets = cells_job.result(), days_job.result(), budgets_job.result()
    per_day = {row["day"]: row for row in daily}
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    teams, models, keys_ = by_team(cells), by_model(cells), by_key(cells)
    return {
        "total": sum((_usd(row) for row in teams), Decimal(0)),
        "requests": sum(row["requests"] for row in teams),
        "tokens": sum(row["total_tokens"] for row in teams),
        "daily": column_chart([(d, _usd(per_day[d]) if d in per_day else Decimal(0)) for d in days], "Spend per day"),
        "team_chart": bar_chart([(row["team_name"] or "(no team)", _usd(row)) for row in teams[:50]], "Spend per team"),
        "model_chart": bar_chart([(row["model"] or "(none)", _usd(row)) for row in models[:50]], "Spend per model"),
        "by_team": teams,
        "top_models": models[:TOP],
        "top_keys": keys_[:TOP],
        "budgets": [
            budget_bar(
                f"{b['team_name'] or '?'}" + (f" · key {b['key_prefix']}" if b["scope"] == "key" else " (team)"),
                Decimal(b["used_usd"]),
                Decimal(b["amount_usd"]),
                b["soft_threshold"],
                f"{b['period']} {b['period_label'] or ''}".strip(),
                _edit_href(b) if may_edit else "",
            )
            for b in budgets
        ],
    }


@router.get("")
async def finance_page(request: Request, person: Finance) -> Response:
    first, last = date_range(request.query_params, datetime.now(UTC).date())
    team = request.query_params.get("team", "").strip()
    may_edit = person.role is Role.ADMIN
    report = await asyncio.to_thread(_report, admin_context(request).engine, first, last, team, may_edit)
    return render(
        request, "finance.html", {"start": first.isoformat(), "end": last.isoformat(), "team": team, **report}
    )


@router.get("/spend.csv")
async def spend_download(request: Request, person: Finance) -> Response:
    first, last = date_range(request.query_params, datetime.now(UTC).date())
    group_by = request.query_params.get("group_by", "day")
    if group_by not in {"team", "key", "model", "day"}:
        raise PageError(400, "Unknown grouping", "Group spend by team, key, model or day.", back="/admin/finance")
    engine = admin_context(request).engine
    team = request.query_params.get("team", "").strip()
    team_id = await asyncio.to_thread(_team_id, engine, team)
    start, end = _bounds(first, last)
    text = await asyncio.to_thread(spend_csv, engine, group_by, start, end, team_id=team_id)  # type: ignore[arg-type]
    slug = "-" + re.sub(r"[^A-Za-z0-9._-]", "_", team) if team else ""  # the header must stay one safe token
    filename = f"spend-by-{group_by}-{first.isoformat()}-{last.isoformat()}{slug}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
