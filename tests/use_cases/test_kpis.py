"""The KPIs against figures computed by hand from seeded traffic, reviews, gates and cards."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from filters.review_store import ReviewItem
from gateway.core.db import session_scope
from gateway.ledger.records import UsageRecord
from tests.admin.support import sign_in
from tests.use_cases.helpers import ADMIN, CHECKLIST, register
from use_cases.tables import StageGate, UseCase

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
RANGE = "from=2026-01-05&to=2026-01-18"


def _walk(client: TestClient, use_case: str, *stages: str) -> None:
    for stage in stages:
        gate = client.post(f"/admin/api/use-cases/{use_case}/stage", json={"to": stage}, headers=ADMIN).json()
        approved = client.post(
            f"/admin/api/use-cases/{use_case}/gates/{gate['gate_id']}/approve",
            json={"role": "compliance_reviewer", "checked": CHECKLIST},
            headers=ADMIN,
        )
        assert approved.json()["status"] == "passed"


def _backdate(engine: Engine, use_case: str, created: datetime, *passed_after_days: float) -> None:
    """Registration at `created`, and the n-th passed gate `passed_after_days[n]` days after it."""
    with session_scope(engine) as session:
        row = session.get(UseCase, use_case)
        assert row is not None
        row.created_at = created
        session.add(row)
        gates = session.exec(
            select(StageGate).where(StageGate.use_case_id == use_case).order_by(col(StageGate.requested_at))
        ).all()
        for gate, days in zip(gates, passed_after_days, strict=True):
            gate.passed_at = created + timedelta(days=days)
            session.add(gate)


def _usage(n: int, day: int, use_case: str | None, cost: int, **fields: Any) -> UsageRecord:
    values: dict[str, Any] = {"team_name": "research", "requested_model": "mock-gpt", "end_user": None}
    values.update(fields)
    return UsageRecord(
        time=START + timedelta(days=day, hours=10), request_id=f"kpi-{n}", use_case=use_case, cost_nanos=cost, **values
    )


def _review(n: int, created: datetime, waited: timedelta | None) -> ReviewItem:
    return ReviewItem(
        id=f"rev_kpi_{n}",
        request_id=f"kpi-review-{n}",
        team_id=1,
        team="research",
        key_id=1,
        key_prefix="sk-gw-x",
        model="mock-gpt",
        action="flag",
        filters=",pii,",
        original=b"",
        delivered=b"",
        status="decided" if waited else "pending",
        created_at=created,
        decided_at=created + waited if waited else None,
        sla_due_at=created + timedelta(hours=24),
    )


@pytest.fixture(scope="module")
def seeded(registry_app: TestClient, registry_db: Engine) -> dict[str, str]:
    a = register(registry_app, team="research", risk_tier="low")["id"]
    b = register(registry_app, team="research", risk_tier="high")["id"]
    c = register(registry_app, team="research", risk_tier="medium")["id"]
    d = register(registry_app, team="research", risk_tier="low")["id"]
    _walk(registry_app, a, "poc", "pilot", "production")
    _walk(registry_app, c, "poc", "pilot", "production")
    _walk(registry_app, d, "poc", "retired")
    origin = datetime(2025, 12, 1, tzinfo=UTC)
    _backdate(registry_db, a, origin, 2, 5, 10)  # intake 2 days, poc 3, pilot 5
    _backdate(registry_db, c, origin, 1, 2, 4)  # intake 1, poc 1, pilot 2
    _backdate(registry_db, d, origin, 4, 5)  # intake 4, poc 1
    flag = [{"source": "filter:pii", "action": "flag", "mode": "enforce", "reason": ""}]
    block = [{"source": "policy:x", "action": "block", "mode": "enforce", "reason": ""}]
    monitored = [{"source": "policy:y", "action": "block", "mode": "monitor", "reason": ""}]
    rows = [
        _usage(1, 0, a, 1_000_000, end_user="alice", prompt_name="triage"),
        _usage(2, 1, a, 2_000_000, end_user="bob", prompt_name="triage", verdicts=flag, flagged=True),
        _usage(3, 8, a, 3_000_000, end_user="alice", verdicts=monitored),
        _usage(4, 9, a, 4_000_000, requested_model="mock-small", verdicts=block, blocked=True),
        _usage(5, 2, b, 500_000, end_user="carol", verdicts=block, blocked=True),
        _usage(6, 3, b, 500_000, end_user="carol"),
        _usage(7, 4, None, 100, team_name="support", end_user="dan", prompt_name="triage"),
        _usage(8, 15, a, 9_000_000),  # after the range
    ]
    reviews = [
        _review(1, START + timedelta(hours=10), timedelta(minutes=30)),
        _review(2, START + timedelta(days=1), timedelta(hours=30)),  # past its 24 h SLA
        _review(3, START + timedelta(days=3), timedelta(minutes=60)),
        _review(4, START + timedelta(days=3), None),  # not decided yet
    ]
    with session_scope(registry_db) as session:
        session.add_all([*rows, *reviews])
    card = {
        "status": "approved",
        "provider": "mock",
        "version": "1",
        "data_residency": "eu",
        "allowed_data_classifications": ["internal"],
        "allowed_risk_tiers": ["low"],
        "intended_use": "x",
        "known_limitations": "y",
        "evaluation_results": {"accuracy": 0.9},
        "owner": "bob",
        "review_due": "2099-01-01",
    }
    registry_app.put("/admin/api/models/mock-gpt/card", json=card, headers=ADMIN)
    registry_app.put(
        "/admin/api/models/mock-small/card", json={"status": "experimental", "review_due": "2020-01-01"}, headers=ADMIN
    )
    return {"a": a, "b": b, "c": c, "d": d}


def _report(client: TestClient, query: str = RANGE) -> dict[str, Any]:
    response = client.get(f"/admin/api/kpis?{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_traffic_per_use_case_matches_the_hand_computed_figures(
    registry_app: TestClient, seeded: dict[str, str]
) -> None:
    per = {row["id"]: row for row in _report(registry_app)["per_use_case"]}
    assert {k: per[seeded["a"]][k] for k in ("requests", "cost_usd", "cost_per_request_usd", "teams", "people")} == {
        "requests": 4,
        "cost_usd": "0.010000000",
        "cost_per_request_usd": "0.002500000",
        "teams": 1,
        "people": 2,
    }
    assert (per[seeded["a"]]["flagged_rate"], per[seeded["a"]]["blocked_rate"]) == (0.25, 0.25)
    assert per[seeded["a"]]["library_share"] == 0.5
    assert (per[seeded["b"]]["requests"], per[seeded["b"]]["cost_usd"], per[seeded["b"]]["blocked_rate"]) == (
        2,
        "0.001000000",
        0.5,
    )
    assert per[seeded["b"]]["flagged_rate"] == 0.0 and per[seeded["b"]]["people"] == 1
    assert per[seeded["c"]]["requests"] == 0 and per[seeded["c"]]["flagged_rate"] is None


def test_portfolio_reuse_models_and_adoption(registry_app: TestClient, seeded: dict[str, str]) -> None:
    report = _report(registry_app)
    assert report["use_cases"]["by_stage"] == {
        "intake": 1, "poc": 0, "pilot": 0, "production": 2, "monitor": 0, "retired": 1,
    }  # fmt: skip
    assert report["use_cases"]["by_tier"] == {"low": 1, "medium": 1, "high": 1}
    assert report["use_cases"]["production_used_share"] == 0.5
    assert report["reuse_index"] == {"library_share": round(3 / 7, 4), "shared_prompts": 1}
    models = {row["model"]: row for row in report["per_model"]}
    assert (models["mock-gpt"]["requests"], models["mock-gpt"]["flagged_rate"]) == (6, round(1 / 6, 4))
    assert (models["mock-small"]["requests"], models["mock-small"]["blocked_rate"]) == (1, 1.0)
    assert report["models_documented"] == 0.5
    assert report["model_reviews_overdue"] == ["mock-small"]


def test_review_sla_and_stage_velocity(registry_app: TestClient, seeded: dict[str, str]) -> None:
    report = _report(registry_app)
    assert report["review_sla"] == {"decided": 3, "median_minutes": 60.0, "within_sla": round(2 / 3, 4)}
    velocity = report["stage_velocity"]
    assert velocity["days_in_stage"] == {
        "intake": round(7 / 3, 2), "poc": round(5 / 3, 2), "pilot": 3.5,
        "production": None, "monitor": None, "retired": None,
    }  # fmt: skip
    assert (velocity["entered_poc"], velocity["reached_production"], velocity["poc_to_production"]) == (
        3,
        2,
        round(2 / 3, 4),
    )


def test_weekly_and_monthly_series(registry_app: TestClient, seeded: dict[str, str]) -> None:
    weekly = _report(registry_app)["series"]
    assert weekly["period"] == "week"
    assert [(p["period"], p["use_case"], p["requests"], p["cost_usd"]) for p in weekly["data"]] == sorted(
        [
            ("2026-01-05", seeded["a"], 2, "0.003000000"),
            ("2026-01-05", seeded["b"], 2, "0.001000000"),
            ("2026-01-12", seeded["a"], 2, "0.007000000"),
        ]
    )
    monthly = _report(registry_app, RANGE + "&period=month")["series"]["data"]
    assert {(p["period"], p["requests"]) for p in monthly} == {("2026-01-01", 4), ("2026-01-01", 2)}


def test_the_team_filter_keeps_only_its_traffic(registry_app: TestClient, seeded: dict[str, str]) -> None:
    report = _report(registry_app, RANGE + "&team=support")
    assert report["per_use_case"] == [] or all(row["team"] == "support" for row in report["per_use_case"])
    assert report["reuse_index"] == {"library_share": 1.0, "shared_prompts": 0}


def test_the_csv_has_one_line_per_use_case(registry_app: TestClient, seeded: dict[str, str]) -> None:
    response = registry_app.get(f"/admin/api/kpis.csv?{RANGE}&team=research", headers=ADMIN)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = {row["id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert set(lines) == set(seeded.values())
    assert (lines[seeded["a"]]["requests"], lines[seeded["a"]]["cost_usd"], lines[seeded["a"]]["flagged_rate"]) == (
        "4",
        "0.010000000",
        "0.25",
    )


def test_a_bad_range_is_a_clear_400(registry_app: TestClient) -> None:
    response = registry_app.get("/admin/api/kpis?from=2026-02-01&to=2026-01-01", headers=ADMIN)
    assert response.status_code == 400 and response.json()["error"]["param"] == "from"
    wrong = registry_app.get("/admin/api/kpis?period=day", headers=ADMIN)
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "period"


def test_the_dashboard_shows_the_figures_to_finance_only(
    make_clients: Callable[[], TestClient], seeded: dict[str, str]
) -> None:
    fred = make_clients()
    assert sign_in(fred, "fred").status_code == 303
    page = fred.get(f"/admin/kpis?{RANGE}&team=research")
    assert page.status_code == 200
    row = re.search(rf'href="/admin/use-cases/{seeded["a"]}">[^<]+</a></td>(.*?)</tr>', page.text, re.S)
    assert row is not None and "<td>4</td>" in row.group(1) and "<td>$0.01</td>" in row.group(1)
    assert "25.0 %" in row.group(1)
    assert 'id="overdue-reviews"' in page.text and "mock-small" in page.text
    assert "<svg" in page.text
    alice = make_clients()
    assert sign_in(alice, "alice").status_code == 303
    assert alice.get("/admin/kpis").status_code == 403


def test_partial_first_and_last_days_are_read_from_the_ledger(registry_app: TestClient, seeded: dict[str, str]) -> None:
    # Row 1 (5 Jan 10:00) falls in the partial first day, row 4 (14 Jan 10:00) after the end.
    report = _report(registry_app, "from=2026-01-05T09:00:00&to=2026-01-14T09:00:00")
    a = next(row for row in report["per_use_case"] if row["id"] == seeded["a"])
    assert (a["requests"], a["cost_usd"], a["flagged_rate"], a["blocked_rate"]) == (3, "0.006000000", 0.3333, 0.0)
