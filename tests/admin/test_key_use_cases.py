"""A key's use case: chosen in the UI's create-key form, changed through PATCH, never another team's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.admin.support import ADMIN_KEY, csrf_token, sign_in
from tests.use_cases.helpers import use_case_body

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}
OWNERS = {"sponsor": "admin", "tech_lead": "reviewer", "compliance_reviewer": "finance"}


def _team_with_use_case(client: TestClient) -> tuple[str, str]:
    team = f"uc-{uuid.uuid4().hex[:8]}"
    assert client.post("/admin/api/teams", json={"name": team}, headers=ADMIN).status_code == 201
    registered = client.post("/admin/api/use-cases", json=use_case_body(team=team, owners=OWNERS), headers=ADMIN)
    assert registered.status_code == 201, registered.text
    use_case: str = registered.json()["id"]
    return team, use_case


def _listed(client: TestClient, team: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get("/admin/api/keys", params={"team": team}, headers=ADMIN).json()["data"]
    return rows


def test_the_create_key_form_binds_the_new_key_to_the_chosen_use_case(
    priced_app: tuple[TestClient, Engine], make_priced_client: Callable[[], TestClient]
) -> None:
    client, _ = priced_app
    team, use_case = _team_with_use_case(client)
    person = make_priced_client()
    sign_in(person, "admin")
    page = person.get("/admin/teams").text
    assert f'<option value="{use_case}">' in page
    created = person.post("/admin/keys", data={"team": team, "use_case": use_case, "csrf_token": csrf_token(person)})
    assert created.status_code == 303, created.text
    assert [row["use_case"] for row in _listed(client, team)] == [use_case]


def test_the_create_key_form_refuses_another_teams_use_case_and_creates_nothing(
    priced_app: tuple[TestClient, Engine], make_priced_client: Callable[[], TestClient]
) -> None:
    client, _ = priced_app
    _, foreign = _team_with_use_case(client)
    team, _ = _team_with_use_case(client)
    person = make_priced_client()
    sign_in(person, "admin")
    refused = person.post("/admin/keys", data={"team": team, "use_case": foreign, "csrf_token": csrf_token(person)})
    assert refused.status_code == 400 and "Nothing was created" in refused.text
    assert _listed(client, team) == []


def test_a_key_patch_moves_the_key_to_another_use_case_of_its_team(priced_app: tuple[TestClient, Engine]) -> None:
    client, _ = priced_app
    team, first = _team_with_use_case(client)
    second = client.post("/admin/api/use-cases", json=use_case_body(team=team, owners=OWNERS), headers=ADMIN).json()
    key = client.post("/admin/api/keys", json={"team": team, "use_case": first}, headers=ADMIN).json()
    moved = client.patch(f"/admin/api/keys/{key['prefix']}", json={"use_case": second["id"]}, headers=ADMIN)
    assert moved.status_code == 200, moved.text
    assert moved.json()["use_case"] == second["id"]
    assert moved.json()["changes"] == {"use_case": {"from": first, "to": second["id"]}}
