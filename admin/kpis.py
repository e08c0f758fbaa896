"""The centre of excellence's KPIs for a period: the registry's figures and the ledger's traffic,
put together for the JSON API, the CSV export and the dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.ledger.finance import to_csv
from gateway.ledger.records import usd_text
from gateway.ledger.use_case_stats import Period, Traffic, TrafficSums, UseCaseStats, Window, review_sla
from use_cases import kpis, registry
from use_cases.registry import UseCaseFilter

CSV_COLUMNS = (
    "id", "name", "team", "stage", "risk_tier", "requests", "cost_usd", "cost_per_request_usd",
    "flagged_rate", "blocked_rate", "teams", "people", "library_share",
)  # fmt: skip


@dataclass(frozen=True)
class KpiQuery:
    since: datetime
    until: datetime
    team: str | None = None
    period: Period = "week"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _per_use_case(queries: UseCaseStats, sums: TrafficSums, span: Window, team: str | None) -> list[dict[str, Any]]:
    """Every registered use case (of the team), with its traffic in the period (zero when none)."""
    traffic = {t.key: t for t in queries.traffic_by_use_case(sums, span, team)}
    rows = []
    for use_case in registry.list_use_cases(queries.engine, UseCaseFilter(team=team)):
        t = traffic.get(use_case.id) or Traffic(use_case.id)
        rows.append(
            {
                "id": use_case.id,
                "name": use_case.name,
                "team": use_case.team,
                "stage": use_case.stage,
                "risk_tier": use_case.risk_tier,
                "requests": t.requests,
                "cost_usd": usd_text(t.cost_nanos),
                "cost_per_request_usd": usd_text(t.cost_nanos // t.requests) if t.requests else None,
                "flagged_rate": _rate(t.flagged, t.requests),
                "blocked_rate": _rate(t.blocked, t.requests),
                "teams": t.teams,
                "people": t.people,
                "library_share": _rate(t.library, t.requests),
            }
        )
    return rows


def kpi_report(queries: UseCaseStats, query: KpiQuery, models: Sequence[str], now: datetime) -> dict[str, Any]:
    """The whole report of `GET /admin/api/kpis`."""
    engine = queries.engine
    span = queries.query_window(query.since, query.until, now)
    sums = queries.sums(span, query.team, query.period)
    per_use_case = _per_use_case(queries, sums, span, query.team)
    portfolio = kpis.portfolio(engine, query.team)
    production = [row for row in per_use_case if row["stage"] == "production"]
    reuse = queries.reuse(sums, span, query.team)
    reviews = review_sla(engine, query.since, query.until, query.team)
    velocity = kpis.stage_velocity(engine, query.team)
    documentation = kpis.model_documentation(engine, models, now.date())
    series = queries.traffic_by_period(sums)
    return {
        "from": query.since.isoformat(),
        "to": query.until.isoformat(),
        "team": query.team,
        "use_cases": {
            "by_stage": portfolio.by_stage,
            "by_tier": portfolio.by_tier,
            "production_used_share": _rate(sum(1 for row in production if row["requests"]), len(production)),
        },
        "per_use_case": per_use_case,
        "per_model": [
            {
                "model": t.key,
                "requests": t.requests,
                "flagged_rate": _rate(t.flagged, t.requests),
                "blocked_rate": _rate(t.blocked, t.requests),
            }
            for t in queries.traffic_by_model(sums)
        ],
        "reuse_index": {
            "library_share": _rate(reuse.library_requests, reuse.requests),
            "shared_prompts": reuse.shared_prompts,
        },
        "review_sla": {
            "decided": reviews.decided,
            "median_minutes": None if reviews.median_minutes is None else round(reviews.median_minutes, 2),
            "within_sla": _rate(reviews.within_sla, reviews.decided),
        },
        "stage_velocity": {
            "days_in_stage": {k: (round(v, 2) if v is not None else None) for k, v in velocity.days_in_stage.items()},
            "entered_poc": velocity.entered_poc,
            "reached_production": velocity.reached_production,
            "poc_to_production": _rate(velocity.reached_production, velocity.entered_poc),
        },
        "models_documented": _rate(documentation.documented, documentation.models),
        "model_reviews_overdue": documentation.overdue_reviews,
        "series": {
            "period": query.period,
            "data": [
                {"period": p.period, "use_case": p.use_case, "requests": p.requests, "cost_usd": usd_text(p.cost_nanos)}
                for p in series
            ],
        },
    }


def kpi_csv(queries: UseCaseStats, query: KpiQuery, now: datetime) -> str:
    """`per_use_case` of the report as CSV, one line per use case."""
    span = queries.query_window(query.since, query.until, now)
    return to_csv(_per_use_case(queries, queries.sums(span, query.team), span, query.team), CSV_COLUMNS)
