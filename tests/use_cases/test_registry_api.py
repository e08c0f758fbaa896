"""Registering, listing and reading use cases through the admin JSON API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gateway.core.audit import list_audit_entries
from tests.use_cases.helpers import ADMIN, register, use_case_body


def test_a_registered_use_case_starts_in_intake_with_every_field(registry_app: TestClient) -> None:
    body = use_case_body(models=["mock-gpt"], prompts=["triage"])
    response = registry_app.post("/admin/api/use-cases", json=body, headers=ADMIN)
    assert response.status_code == 201
    created = response.json()
    assert created["id"].startswith("uc_")
    assert created["stage"] == "intake"
    read = registry_app.get(f"/admin/api/use-cases/{created['id']}", headers=ADMIN).json()
    for field in ("name", "team", "purpose", "risk_tier", "data_classification", "scores", "owners"):
        assert read[field] == body[field]
    assert read["models"] == ["mock-gpt"] and read["prompts"] == ["triage"]
    assert read["gates"] == []


def test_registration_is_in_the_audit_log(registry_app: TestClient, registry_db: Engine) -> None:
    created = register(registry_app)
    entries = list_audit_entries(registry_db, target=f"use_case:{created['id']}")
    assert [(e.action, e.actor, e.details["use_case"]) for e in entries] == [
        ("use_case.register", "admin-key", created["id"])
    ]


def test_the_list_filters_by_team_stage_and_tier(registry_app: TestClient) -> None:
    high = register(registry_app, risk_tier="high", team="research")
    low = register(registry_app, risk_tier="low")
    listed = registry_app.get("/admin/api/use-cases?team=research&risk_tier=high", headers=ADMIN).json()["data"]
    assert high["id"] in [item["id"] for item in listed]
    assert all(item["team"] == "research" and item["risk_tier"] == "high" for item in listed)
    intake = registry_app.get("/admin/api/use-cases?stage=intake", headers=ADMIN).json()["data"]
    assert {high["id"], low["id"]} <= {item["id"] for item in intake}
    assert registry_app.get("/admin/api/use-cases?stage=pilot", headers=ADMIN).json()["data"] == []


def test_a_wrong_filter_value_is_a_clear_400(registry_app: TestClient) -> None:
    response = registry_app.get("/admin/api/use-cases?risk_tier=extreme", headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "risk_tier"


def test_scores_outside_one_to_five_are_refused(registry_app: TestClient) -> None:
    body = use_case_body(scores={"value": 6, "feasibility": 3, "risk": 2})
    response = registry_app.post("/admin/api/use-cases", json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "scores.value"


def test_unknown_fields_are_refused(registry_app: TestClient) -> None:
    response = registry_app.post("/admin/api/use-cases", json=use_case_body(stage="production"), headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "stage"


def test_owners_must_have_accounts(registry_app: TestClient) -> None:
    owners = {"sponsor": "bob", "tech_lead": "nobody", "compliance_reviewer": "alice"}
    response = registry_app.post("/admin/api/use-cases", json=use_case_body(owners=owners), headers=ADMIN)
    assert response.status_code == 400
    assert "'nobody'" in response.json()["error"]["message"]


def test_the_team_and_models_must_exist(registry_app: TestClient) -> None:
    no_team = registry_app.post("/admin/api/use-cases", json=use_case_body(team="ghosts"), headers=ADMIN)
    assert no_team.status_code == 400 and no_team.json()["error"]["param"] == "team"
    no_model = registry_app.post("/admin/api/use-cases", json=use_case_body(models=["gpt-9"]), headers=ADMIN)
    assert no_model.status_code == 400 and no_model.json()["error"]["param"] == "models"


def test_a_name_is_registered_once(registry_app: TestClient) -> None:
    body = use_case_body()
    assert registry_app.post("/admin/api/use-cases", json=body, headers=ADMIN).status_code == 201
    again = registry_app.post("/admin/api/use-cases", json=body, headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["error"]["param"] == "name"


def test_an_unknown_use_case_is_a_404(registry_app: TestClient) -> None:
    response = registry_app.get("/admin/api/use-cases/uc_missing", headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "use_case_not_found"


def test_a_key_is_bound_to_a_use_case_of_its_team(registry_app: TestClient) -> None:
    created = register(registry_app)
    response = registry_app.post(
        "/admin/api/keys", json={"team": "support", "name": "triage", "use_case": created["id"]}, headers=ADMIN
    )
    assert response.status_code == 201
    assert response.json()["use_case"] == created["id"]
    listed = registry_app.get("/admin/api/keys?team=support", headers=ADMIN).json()["data"]
    assert {item["prefix"]: item["use_case"] for item in listed}[response.json()["prefix"]] == created["id"]


def test_a_key_cannot_be_bound_to_another_teams_use_case(registry_app: TestClient) -> None:
    created = register(registry_app, team="research")
    before = len(registry_app.get("/admin/api/keys", headers=ADMIN).json()["data"])
    response = registry_app.post("/admin/api/keys", json={"team": "support", "use_case": created["id"]}, headers=ADMIN)
    assert response.status_code == 400
    assert "research" in response.json()["error"]["message"]
    assert len(registry_app.get("/admin/api/keys", headers=ADMIN).json()["data"]) == before  # no key was made
