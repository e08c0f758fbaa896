"""The blocklist page's forms over HTTP: what a refused form says, the CSRF check, an unknown
entry, and the audit entry every change from the page writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gateway.core import keys
from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}
MakeClient = Callable[[], TestClient]


@pytest.fixture(scope="module", autouse=True)
def teams(ui_database: tuple[str, Engine]) -> None:
    keys.create_team(ui_database[1], "support")


@pytest.fixture()
def reviewer(make_client: MakeClient) -> tuple[TestClient, str]:
    client = make_client()
    sign_in(client, "reviewer")
    return client, csrf_token(client, "/admin/blocklist")


def post(signed_in: tuple[TestClient, str], path: str, **form: str) -> Any:
    client, token = signed_in
    return client.post(path, data={"csrf_token": token, **form})


def entries(client: TestClient, q: str) -> list[dict[str, Any]]:
    return list(client.get("/admin/api/blocklist", params={"q": q}, headers=BEARER).json()["data"])


def test_a_reviewer_adds_a_phrase_for_a_team_and_it_is_audited(ui_app: TestClient, reviewer: Any) -> None:
    added = post(reviewer, "/admin/blocklist", phrase="Project Pipit", kind="term", scope="team:support", q="Pipit")
    assert added.status_code == 303 and added.headers["location"] == "/admin/blocklist?q=Pipit&done=blocklist_added"
    [entry] = entries(ui_app, "Pipit")
    assert (entry["team"], entry["added_by"], entry["enabled"]) == ("support", "user:reviewer", True)
    audit = ui_app.get("/admin/api/audit", params={"object": f"blocklist:{entry['id']}"}, headers=BEARER).json()
    assert [(e["actor"], e["action"]) for e in audit["data"]] == [("user:reviewer", "blocklist.add")]


def test_adding_a_phrase_twice_explains_the_conflict(ui_app: TestClient, reviewer: Any) -> None:
    post(reviewer, "/admin/blocklist", phrase="Project Wren", scope="every")
    again = post(reviewer, "/admin/blocklist", phrase="project WREN", scope="every")
    assert again.status_code == 409 and "already blocklisted for every team" in again.text
    assert len(entries(ui_app, "Wren")) == 1


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"phrase": "", "scope": "every"}, "enter the phrase"),
        ({"phrase": "Project Crake", "scope": "team:no-such-team"}, "There is no team"),
        ({"phrase": "(unclosed", "kind": "regex", "scope": "every"}, "blocklist regex"),
    ],
)
def test_a_refused_addition_says_why_and_stores_nothing(
    ui_app: TestClient, reviewer: Any, form: dict[str, str], says: str
) -> None:
    refused = post(reviewer, "/admin/blocklist", **form)
    assert refused.status_code == 400 and says in refused.text and 'role="alert"' in refused.text
    assert entries(ui_app, "Crake") == [] and entries(ui_app, "unclosed") == []


def test_a_form_without_the_session_token_changes_nothing(ui_app: TestClient, reviewer: Any) -> None:
    post(reviewer, "/admin/blocklist", phrase="Project Scoter", scope="every")
    [entry] = entries(ui_app, "Scoter")
    client, _ = reviewer
    forged = client.post(f"/admin/blocklist/{entry['id']}", data={"csrf_token": "forged", "enabled": "false"})
    assert forged.status_code == 403 and "could not be accepted" in forged.text
    deleted = client.post(f"/admin/blocklist/{entry['id']}/delete", data={})
    assert deleted.status_code == 403
    assert [e["enabled"] for e in entries(ui_app, "Scoter")] == [True]


@pytest.mark.parametrize("path", ["/admin/blocklist/424242/delete", "/admin/blocklist/not-a-number/delete"])
def test_an_unknown_entry_is_a_404_page(reviewer: Any, path: str) -> None:
    client, _ = reviewer
    assert client.get(path).status_code == 404
    assert post(reviewer, path).status_code == 404
    assert post(reviewer, path.removesuffix("/delete"), enabled="false").status_code == 404
