"""The blocklist's admin API: every route, every role, CSRF on the session path, bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from filters.review_crypto import AnswerCipher
from filters.review_store import NewReview, create_review_item
from gateway.core import keys
from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}
API = "/admin/api/blocklist"
MakeClient = Callable[[], TestClient]


@pytest.fixture(scope="module", autouse=True)
def teams(ui_database: tuple[str, Engine]) -> None:
    _, engine = ui_database
    for name in ("support", "research"):
        keys.create_team(engine, name)


def add(client: TestClient, phrase: str, **body: Any) -> dict[str, Any]:
    response = client.post(API, json={"phrase": phrase, **body}, headers=BEARER)
    assert response.status_code == 201, response.text
    return dict(response.json())


def listed(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get(API, params=params, headers=BEARER)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def audit_of(client: TestClient, entry_id: int) -> list[dict[str, Any]]:
    response = client.get("/admin/api/audit", params={"object": f"blocklist:{entry_id}"}, headers=BEARER)
    return list(response.json()["data"])


def test_an_added_phrase_is_listed_with_who_added_it_and_when(ui_app: TestClient) -> None:
    entry = add(ui_app, "Project Osprey", team="support")
    assert entry["phrase"] == "Project Osprey" and entry["kind"] == "term" and entry["team"] == "support"
    assert entry["added_by"] == "admin-key" and entry["added_at"] and entry["enabled"] is True
    assert entry["review_id"] is None
    assert entry in listed(ui_app)
    assert set(entry) == {"id", "phrase", "kind", "team", "added_by", "added_at", "review_id", "enabled"}


def test_a_phrase_added_without_a_team_applies_to_every_team(ui_app: TestClient) -> None:
    assert add(ui_app, "every team phrase")["team"] is None


def test_a_regular_expression_is_stored_as_a_pattern(ui_app: TestClient) -> None:
    assert add(ui_app, r"ticket-\d{6}", kind="regex")["kind"] == "regex"


def test_search_finds_phrases_by_text_and_by_team(ui_app: TestClient) -> None:
    add(ui_app, "Searchable Falcon", team="research")
    add(ui_app, "Searchable Heron", team="support")
    assert [e["phrase"] for e in listed(ui_app, q="searchable")] == ["Searchable Heron", "Searchable Falcon"]
    assert [e["phrase"] for e in listed(ui_app, q="searchable", team="research")] == ["Searchable Falcon"]
    assert listed(ui_app, q="no such phrase anywhere") == []


def test_an_entry_made_by_a_review_names_the_review_and_the_reviewer(
    ui_app: TestClient, ui_database: tuple[str, Engine], review_key: str
) -> None:
    _, engine = ui_database
    team = keys.find_team(engine, "support")
    assert team.id is not None
    answer = "The vault code is heliotrope-7."
    review = NewReview(
        request_id="req-blocklist-api",
        team_id=team.id,
        team="support",
        key_id=1,
        key_prefix="sk-gw-test0000",
        model="gpt-test",
        action="block",
        filters=["blocklist"],
        findings=[],
        original=answer,
        delivered="",
    )
    review_id = create_review_item(engine, AnswerCipher([review_key]), review, timedelta(hours=1)).id
    decided = ui_app.post(
        f"/admin/api/review/{review_id}/decision",
        json={"decision": "reject_and_blocklist", "phrase": "heliotrope-7"},
        headers=BEARER,
    )
    assert decided.status_code == 200, decided.text
    [entry] = listed(ui_app, q="heliotrope")
    assert entry["review_id"] == review_id and entry["added_by"] == "admin-key" and entry["team"] == "support"


def test_disabling_an_entry_keeps_it_listed_as_disabled_and_audits_it(ui_app: TestClient) -> None:
    entry = add(ui_app, "Project Plover", team="support")
    changed = ui_app.patch(f"{API}/{entry['id']}", json={"enabled": False}, headers=BEARER)
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert [e["enabled"] for e in listed(ui_app, q="Plover")] == [False]
    [audited, _] = audit_of(ui_app, entry["id"])
    assert audited["action"] == "blocklist.change" and audited["details"]["enabled"] == [True, False]


def test_an_entry_for_one_team_can_be_made_one_for_every_team_and_back(ui_app: TestClient) -> None:
    entry = add(ui_app, "Project Curlew", team="support")
    everywhere = ui_app.patch(f"{API}/{entry['id']}", json={"team": None}, headers=BEARER)
    assert everywhere.status_code == 200 and everywhere.json()["team"] is None
    back = ui_app.patch(f"{API}/{entry['id']}", json={"team": "research"}, headers=BEARER)
    assert back.json()["team"] == "research" and back.json()["enabled"] is True
    scopes = [e["details"]["scope"] for e in audit_of(ui_app, entry["id"]) if e["action"] == "blocklist.change"]
    assert scopes == [["every team", "research"], ["support", "every team"]]


def test_a_deleted_entry_is_gone_and_its_audit_entry_keeps_what_it_was(ui_app: TestClient) -> None:
    entry = add(ui_app, "Project Dunlin")
    deleted = ui_app.delete(f"{API}/{entry['id']}", headers=BEARER)
    assert deleted.status_code == 200 and deleted.json() == {
        "id": entry["id"],
        "object": "blocklist.entry",
        "deleted": True,
    }
    assert listed(ui_app, q="Dunlin") == []
    [audited, _] = audit_of(ui_app, entry["id"])
    assert audited["action"] == "blocklist.delete" and audited["details"]["phrase"] == "Project Dunlin"
    assert ui_app.delete(f"{API}/{entry['id']}", headers=BEARER).status_code == 404


def test_the_same_phrase_twice_in_one_scope_is_a_conflict(ui_app: TestClient) -> None:
    add(ui_app, "Project Godwit", team="support")
    again = ui_app.post(API, json={"phrase": "project   GODWIT", "team": "support"}, headers=BEARER)
    assert again.status_code == 409 and error(again)["code"] == "duplicate_entry" and error(again)["param"] == "phrase"
    assert add(ui_app, "Project Godwit", team="research")["team"] == "research"  # another scope is fine


def test_moving_an_entry_into_a_scope_that_has_it_is_a_conflict(ui_app: TestClient) -> None:
    add(ui_app, "Project Avocet")
    scoped = add(ui_app, "Project Avocet", team="support")
    moved = ui_app.patch(f"{API}/{scoped['id']}", json={"team": None}, headers=BEARER)
    assert moved.status_code == 409
    assert [e["team"] for e in listed(ui_app, q="Avocet")] == ["support", None]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "phrase"),
        ({"phrase": ""}, "phrase"),
        ({"phrase": "   "}, "phrase"),
        ({"phrase": 42}, "phrase"),
        ({"phrase": "x" * 1001}, "phrase"),
        ({"phrase": "(unclosed", "kind": "regex"}, "phrase"),
        ({"phrase": ".*", "kind": "regex"}, "phrase"),
        ({"phrase": "fine", "kind": "glob"}, "kind"),
        ({"phrase": "fine", "team": ""}, "team"),
        ({"phrase": "fine", "scope": "global"}, "scope"),
    ],
)
def test_a_bad_new_entry_is_a_400_naming_the_field(ui_app: TestClient, body: dict[str, Any], param: str) -> None:
    response = ui_app.post(API, json=body, headers=BEARER)
    assert response.status_code == 400, response.text
    assert error(response)["param"] == param and error(response)["type"] == "invalid_request_error"


def test_a_body_that_is_not_json_is_a_400(ui_app: TestClient) -> None:
    response = ui_app.post(API, content=b"phrase=x", headers={**BEARER, "content-type": "application/json"})
    assert response.status_code == 400


def test_an_unknown_team_is_a_404_naming_the_team(ui_app: TestClient) -> None:
    response = ui_app.post(API, json={"phrase": "Project Snipe", "team": "no-such-team"}, headers=BEARER)
    assert response.status_code == 404 and error(response)["param"] == "team"
    entry = add(ui_app, "Project Snipe")
    moved = ui_app.patch(f"{API}/{entry['id']}", json={"team": "no-such-team"}, headers=BEARER)
    assert moved.status_code == 404 and error(moved)["code"] == "team_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [({}, "enabled"), ({"enabled": "no"}, "enabled"), ({"enabled": None}, "enabled"), ({"colour": 1}, "colour")],
)
def test_a_bad_change_is_a_400_naming_the_field(ui_app: TestClient, body: dict[str, Any], param: str) -> None:
    entry = add(ui_app, f"Project Whimbrel {param} {len(body)} {list(body.values())}")
    response = ui_app.patch(f"{API}/{entry['id']}", json=body, headers=BEARER)
    assert response.status_code == 400 and error(response)["param"] == param


@pytest.mark.parametrize("entry_id", ["999999", "abc", "-1"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_an_unknown_entry_is_a_404(ui_app: TestClient, method: str, entry_id: str) -> None:
    response = ui_app.request(method, f"{API}/{entry_id}", json={"enabled": False}, headers=BEARER)
    assert response.status_code == 404 and error(response)["code"] == "blocklist_entry_not_found"


def test_a_reviewer_session_changes_the_blocklist_with_its_csrf_token(make_client: MakeClient) -> None:
    client = make_client()
    sign_in(client, "reviewer")
    token = csrf_token(client)
    made = client.post(API, json={"phrase": "Project Stint"}, headers={"x-csrf-token": token})
    assert made.status_code == 201 and made.json()["added_by"] == "user:reviewer"
    entry_id = made.json()["id"]
    assert (
        client.patch(f"{API}/{entry_id}", json={"enabled": False}, headers={"x-csrf-token": token}).status_code == 200
    )
    assert client.delete(f"{API}/{entry_id}", headers={"x-csrf-token": token}).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_session_change_without_the_csrf_token_is_refused(
    ui_app: TestClient, make_client: MakeClient, method: str
) -> None:
    entry = add(ui_app, f"Project Knot {method}")
    client = make_client()
    sign_in(client, "admin")
    path = API if method == "POST" else f"{API}/{entry['id']}"
    body = {"phrase": "Project Sanderling"} if method == "POST" else {"enabled": False}
    refused = client.request(method, path, json=body, headers={"x-csrf-token": "forged"})
    assert refused.status_code == 403 and error(refused)["code"] == "csrf"
    assert [e["enabled"] for e in listed(ui_app, q=f"Knot {method}")] == [True]
    assert listed(ui_app, q="Sanderling") == []


@pytest.mark.parametrize("role", ["finance", "viewer"])
def test_finance_and_viewers_may_not_read_or_change_the_blocklist(make_client: MakeClient, role: str) -> None:
    client = make_client()
    sign_in(client, role)
    token = {"x-csrf-token": csrf_token(client)}
    assert client.get(API, headers=token).status_code == 403
    refused = client.post(API, json={"phrase": "Project Ruff"}, headers=token)
    assert refused.status_code == 403 and error(refused)["code"] == "insufficient_role"


def test_callers_without_an_admin_credential_are_refused(make_client: MakeClient) -> None:
    assert make_client().get(API).status_code == 401
    assert make_client().get(API, headers={"authorization": "Bearer wrong"}).status_code == 401


def test_a_search_for_a_percent_sign_finds_only_that_character(ui_app: TestClient) -> None:
    add(ui_app, "discount 100% off")
    add(ui_app, "discount 1000 off")
    assert [e["phrase"] for e in listed(ui_app, q="100%")] == ["discount 100% off"]
