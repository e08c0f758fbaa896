"""Spend for finance: a preset or custom range, filtered by team, key and model; totals, charts,
breakdowns (team by day, model by day, people), budgets, and a streamed CSV of each grouping."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.charts import bar_chart, budget_bar, column_chart, stacked_columns
from admin.web.finance_range import PRESETS, DayRange, day_range
from admin.web.guard import Allow
from admin.web.pages import PageError, render
from admin.web.spend_rollup import (
    KeyLabel,
    budget_spent_reader,
    by_day,
    by_key,
    by_model,
    by_model_day,
    by_team,
    by_team_day,
    key_labels,
    matrix,
)
from admin.web.ui import admin_ui
from gateway.core import keys
from gateway.core.models import utcnow
from gateway.ledger.daily import DAILY
from gateway.ledger.records import nanos_to_usd, usd_text
from gateway.ledger.spend_daily import SUMMED, Dimension, SpendCell, SpendFilter, end_user_spend, spend_cells
from gateway.ledger.use_case_stats import UseCaseStats, Window
from gateway.limits.status import budgets_status

router = APIRouter(prefix="/admin/finance")
Finance = Annotated[SignedIn, Depends(Allow(Role.FINANCE))]
BACK = "/admin/finance"
TOP = 10
PEOPLE = 50  # the costliest people (the `user` field) shown and exported
BREAKDOWNS = {"team": "Team by day", "model": "Model by day", "user": "People (the user field)"}
SUMS = (*SUMMED, "cost_usd")


@dataclass(frozen=True)
class Grouping:
    """One CSV: its leading columns and how its rows are rolled up from the cells."""

    columns: tuple[str, ...]
    by: tuple[Dimension, ...]  # what the database groups on
    rows: Callable[[list[SpendCell], dict[int, KeyLabel]], list[dict[str, Any]]]


# One line per CSV grouping; `user` is read from the ledger instead (see spend_download).
GROUPINGS: dict[str, Grouping] = {
    "day": Grouping(("day",), ("day",), lambda cells, _: by_day(cells)),
    "team": Grouping(("team_id", "team_name"), ("team",), lambda cells, _: by_team(cells)),
    "key": Grouping(("key_id", "team_name", "key_name", "key_prefix"), ("team", "key"), by_key),
    "model": Grouping(("model",), ("model",), lambda cells, _: by_model(cells)),
    "team_day": Grouping(("day", "team_name"), ("day", "team"), lambda cells, _: by_team_day(cells)),
    "model_day": Grouping(("day", "model"), ("day", "model"), lambda cells, _: by_model_day(cells)),
}


@dataclass(frozen=True)
class Scope:
    """What a spend page or CSV covers: the days and the filters, as asked and as resolved."""

    days: DayRange
    team: str
    key: str  # a key's prefix
    model: str
    only: SpendFilter

    def query(self, **extra: str) -> dict[str, str]:
        """The query string that asks for this scope again (links, CSV downloads)."""
        if self.days.preset:
            return self.preset_query(self.days.preset, **extra)
        asked = {"team": self.team, "key": self.key, "model": self.model, **extra}
        asked |= {"start": self.days.first.isoformat(), "end": self.days.last.isoformat()}
        return {name: value for name, value in asked.items() if value}

    def preset_query(self, preset: str, **extra: str) -> dict[str, str]:
        """The query string of the same filters over another preset period."""
        asked = {"team": self.team, "key": self.key, "model": self.model, **extra}
        asked |= {"preset": preset, "as_of": self.days.as_of.isoformat()}
        return {name: value for name, value in asked.items() if value}


def _scope(request: Request, engine: Engine) -> Scope:
    params = request.query_params
    days = day_range(params, admin_ui(request).clock().astimezone(UTC).date())
    team, key, model = (params.get(name, "").strip() for name in ("team", "key", "model"))
    team_id = key_id = None
    if team:
        try:
            team_id = keys.find_team(engine, team).id
        except keys.UnknownTeam:
            raise PageError(404, "No such team", f"There is no team named {team!r}.", back=BACK) from None
    if key:
        found = next((label for label in key_labels(engine).values() if label.prefix == key), None)
        if found is None:
            raise PageError(404, "No such key", f"There is no key with the prefix {key!r}.", back=BACK)
        key_id = found.key_id
    return Scope(days, team, key, model, SpendFilter(team_id, key_id, model or None))


def _window(stats: UseCaseStats, days: DayRange) -> Window:
    start = datetime(days.first.year, days.first.month, days.first.day, tzinfo=UTC)
    end = datetime(days.last.year, days.last.month, days.last.day, tzinfo=UTC) + timedelta(days=1)
    return stats.query_window(start, end, utcnow())


def _models(engine: Engine, span: Window) -> list[str]:
    """The models with spend in the rolled-up days of the range, for the filter's choices."""
    if span.days is None:
        return []
    statement = (
        select(DAILY.c.requested_model).where(DAILY.c.day >= span.days[0], DAILY.c.day < span.days[1]).distinct()
    )
    with engine.connect() as connection:
        return sorted(str(model) for (model,) in connection.execute(statement).all())


def _usd(nanos: int) -> Decimal:
    return nanos_to_usd(nanos)


def _edit_href(budget: dict[str, Any]) -> str:
    """Where an admin changes this budget: the limits of its team's or key's edit form."""
    if budget["scope"] == "key" and budget["key_prefix"]:
        return f"/admin/keys/{budget['key_prefix']}#limits"
    return f"/admin/teams/{quote(budget['team_name'] or '')}#limits" if budget["team_name"] else ""


def _report(stats: UseCaseStats, scope: Scope, breakdown: str, may_edit: bool) -> dict[str, Any]:
    engine = stats.engine
    span = _window(stats, scope.days)
    # The reads are independent: run them side by side (SQLite and psycopg release the GIL).
    with ThreadPoolExecutor(max_workers=5) as pool:
        cells_job = pool.submit(spend_cells, engine, span, scope.only, ("day", "team", "model"))
        keys_job = pool.submit(spend_cells, engine, span, scope.only, ("team", "key"))
        labels_job = pool.submit(key_labels, engine)
        # Unfiltered, the cells name every model of the range; filtered by model, they name one.
        models_job = pool.submit(_models, engine, span) if scope.model else None
        now = utcnow()
        spent = budget_spent_reader(stats, now)
        budgets_job = pool.submit(budgets_status, engine, now, team_id=scope.only.team_id, spent=spent)
        people_job = pool.submit(end_user_spend, engine, span, scope.only, PEOPLE) if breakdown == "user" else None
        cells, labels, budgets = cells_job.result(), labels_job.result(), budgets_job.result()
        key_cells = keys_job.result()
        models = sorted(set(models_job.result()) | {scope.model} if models_job else {c.model for c in cells})
        people = people_job.result() if people_job else []
    days = scope.days.days
    per_day = {row["day"]: row for row in by_day(cells)}
    teams, models_spent, keys_spent = by_team(cells), by_model(cells), by_key(key_cells, labels)
    split = matrix(cells, (lambda c: c.team_name or "(no team)") if breakdown == "team" else (lambda c: c.model), days)
    return {
        "total": _usd(sum(row["cost_nanos"] for row in teams)),
        "requests": sum(row["requests"] for row in teams),
        "tokens": sum(row["total_tokens"] for row in teams),
        "daily": column_chart(
            [(d, _usd(per_day[d]["cost_nanos"]) if d in per_day else Decimal(0)) for d in days], "Spend per day"
        ),
        "team_chart": bar_chart(
            [(r["team_name"] or "(no team)", _usd(r["cost_nanos"])) for r in teams[:50]], "Spend per team"
        ),
        "model_chart": bar_chart(
            [(r["model"] or "(none)", _usd(r["cost_nanos"])) for r in models_spent[:50]], "Spend per model"
        ),
        "split": split,
        "split_chart": stacked_columns(
            days,
            split.series,
            {cell: _usd(nanos) for cell, nanos in split.cells.items()},
            f"Spend per day by {breakdown}",
        ),
        "by_team": teams,
        "top_models": models_spent[:TOP],
        "top_keys": keys_spent[:TOP],
        "people": people,
        "keys": sorted(labels.values(), key=lambda label: label.shown),
        "models": models,
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


def _breakdown(request: Request) -> str:
    breakdown = request.query_params.get("breakdown", "team")
    if breakdown not in BREAKDOWNS:
        raise PageError(400, "Unknown breakdown", f"Break spend down by {', '.join(BREAKDOWNS)}.", back=BACK)
    return breakdown


@router.get("")
async def finance_page(request: Request, person: Finance) -> Response:
    stats = admin_context(request).kpi_stats
    breakdown = _breakdown(request)
    scope = await asyncio.to_thread(_scope, request, stats.engine)
    report = await asyncio.to_thread(_report, stats, scope, breakdown, person.role is Role.ADMIN)
    context = {
        "scope": scope,
        "start": scope.days.first.isoformat(),
        "end": scope.days.last.isoformat(),
        "presets": PRESETS,
        "breakdown": breakdown,
        "breakdowns": BREAKDOWNS,
        "dollars": nanos_to_usd,
        **report,
    }
    return render(request, "finance.html", context)


def _csv_lines(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text a line at a time, so a long export starts at once and is never held whole."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 16_384:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_rows(stats: UseCaseStats, scope: Scope, group_by: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    span = _window(stats, scope.days)
    if group_by == "user":
        people = end_user_spend(stats.engine, span, scope.only, limit=1_000_000)
        for row in people:
            row["cost_usd"] = usd_text(row["cost_nanos"])
        return ("end_user", "requests", "total_tokens", "cost_nanos", "cost_usd"), people
    grouping = GROUPINGS[group_by]
    cells = spend_cells(stats.engine, span, scope.only, grouping.by)
    labels = key_labels(stats.engine) if group_by == "key" else {}
    return (*grouping.columns, *SUMS), grouping.rows(cells, labels)


@router.get("/spend.csv")
async def spend_download(request: Request, person: Finance) -> Response:
    group_by = request.query_params.get("group_by", "day")
    if group_by not in {*GROUPINGS, "user"}:
        choices = ", ".join([*GROUPINGS, "user"])
        raise PageError(400, "Unknown grouping", f"Group spend by one of: {choices}.", back=BACK)
    stats = admin_context(request).kpi_stats
    scope = await asyncio.to_thread(_scope, request, stats.engine)
    columns, rows = await asyncio.to_thread(_csv_rows, stats, scope, group_by)
    named = "".join(f"-{re.sub(r'[^A-Za-z0-9._-]', '_', v)}" for v in (scope.team, scope.key, scope.model) if v)
    filename = f"spend-by-{group_by}-{scope.days.first.isoformat()}-{scope.days.last.isoformat()}{named}.csv"
    return StreamingResponse(
        _csv_lines(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},  # one safe token, see `named`
    )
