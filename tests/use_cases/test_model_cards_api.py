"""The model registry through the admin JSON API: every listed model, its card, the card's checks."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gateway.core.audit import list_audit_entries
from tests.use_cases.helpers import ADMIN, MODELS


def full_card(**changes: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "status": "approved",
        "provider": "mock",
        "version": "2026-11",
        "data_residency": "eu-west",
        "allowed_data_classifications": ["public", "internal"],
        "allowed_risk_tiers": ["low", "medium"],
        "intended_use": "Drafting answers to support tickets.",
        "known_limitations": "Answers in English only.",
        "evaluation_results": {"helpfulness": 0.82},
        "owner": "bob",
        "review_due": "2099-01-01",
        "experimentation": True,
    }
    card.update(changes)
    return card


def _models(client: TestClient) -> dict[str, dict[str, Any]]:
    return {item["model_name"]: item for item in client.get("/admin/api/models", headers=ADMIN).json()["data"]}


def test_every_model_of_the_model_list_is_listed(registry_app: TestClient) -> None:
    assert tuple(_models(registry_app)) == MODELS


def test_a_written_card_is_listed_with_its_fields(registry_app: TestClient, registry_db: Engine) -> None:
    response = registry_app.put("/admin/api/models/mock-gpt/card", json=full_card(), headers=ADMIN)
    assert response.status_code == 200, response.text
    listed = _models(registry_app)["mock-gpt"]
    assert listed["documented"] is True and listed["review_overdue"] is False
    assert listed["card"]["data_residency"] == "eu-west"
    assert listed["card"]["allowed_data_classifications"] == ["public", "internal"]
    entry = list_audit_entries(registry_db, target="model:mock-gpt")[0]
    assert entry.action == "model_card.update" and entry.details["status"] == "approved"


def test_a_card_missing_fields_is_not_documented(registry_app: TestClient) -> None:
    registry_app.put("/admin/api/models/mock-small/card", json={"status": "experimental"}, headers=ADMIN)
    assert _models(registry_app)["mock-small"]["documented"] is False


def test_an_overdue_review_shows(registry_app: TestClient) -> None:
    registry_app.put("/admin/api/models/mock-small/card", json=full_card(review_due="2020-01-01"), headers=ADMIN)
    assert _models(registry_app)["mock-small"]["review_overdue"] is True


def test_a_deprecated_model_needs_an_end_of_life(registry_app: TestClient) -> None:
    response = registry_app.put("/admin/api/models/mock-gpt/card", json=full_card(status="deprecated"), headers=ADMIN)
    assert response.status_code == 400
    assert "end_of_life" in response.json()["error"]["message"]


def test_a_card_for_a_model_not_listed_is_a_404(registry_app: TestClient) -> None:
    response = registry_app.put("/admin/api/models/gpt-9/card", json=full_card(), headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_a_wrong_status_or_an_unknown_field_is_refused(registry_app: TestClient) -> None:
    wrong = registry_app.put("/admin/api/models/mock-gpt/card", json=full_card(status="fine"), headers=ADMIN)
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "status"
    extra = registry_app.put("/admin/api/models/mock-gpt/card", json=full_card(price=1), headers=ADMIN)
    assert extra.status_code == 400 and extra.json()["error"]["param"] == "price"
