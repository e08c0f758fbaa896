"""Every JSON body the admin API parses carries only its documented fields: an unknown one is a 400
naming it, and nothing is created or changed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.admin.support import ADMIN_KEY

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}


def _new_team(client: TestClient) -> str:
    name = f"bodies-{uuid.uuid4().hex[:8]}"
    assert client.post("/admin/api/teams", json={"name": name}, headers=ADMIN).status_code == 201
    return name


# (method, path with {team} for a fresh team, a valid body with {team} in it)
ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/admin/api/teams", {"name": "bodies-new-team"}),
    ("POST", "/admin/api/keys", {"team": "{team}", "name": "a key"}),
    ("PATCH", "/admin/api/teams/{team}", {"models": ["gpt-test"]}),
    ("POST", "/admin/api/budgets", {"team": "{team}", "amount_usd": "5", "period": "month"}),
    ("POST", "/admin/api/rate-limits", {"team": "{team}", "rpm": 10}),
    ("POST", "/admin/api/blocklist", {"phrase": "Project Quokka", "team": "{team}"}),
]


def _filled(value: Any, team: str) -> Any:
    return value.replace("{team}", team) if isinstance(value, str) else value


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_an_unknown_field_is_refused_naming_it(
    ui_app: TestClient, method: str, path: str, body: dict[str, Any]
) -> None:
    team = _new_team(ui_app)
    sent = {name: _filled(value, team) for name, value in body.items()} | {"api_base": "http://elsewhere"}
    answer = ui_app.request(method, path.replace("{team}", team), json=sent, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == "api_base"


def test_a_team_named_in_a_refused_body_is_not_created(ui_app: TestClient) -> None:
    name = f"bodies-{uuid.uuid4().hex[:8]}"
    refused = ui_app.post("/admin/api/teams", json={"name": name, "budget": 5}, headers=ADMIN)
    assert refused.status_code == 400
    listed = ui_app.get("/admin/api/teams", headers=ADMIN).json()["data"]
    assert name not in {team["name"] for team in listed}
