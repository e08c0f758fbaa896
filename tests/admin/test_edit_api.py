"""PATCH /admin/api/teams/{name} and /admin/api/keys/{prefix}: partial edits of what a team or key
was created with, refused field by field when wrong, audited from-to, and only for admins."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.core.audit import AuditEntry
from gateway.limits.admin import limits_of
from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}
# The priced test models answer at most 4,096 tokens at $0.000002 each: $0.008192 per answer.
WORST_ANSWER_USD = "0.008192"


def _team(client: TestClient, **fields: Any) -> str:
    name = f"edit-{uuid.uuid4().hex[:8]}"
    created = client.post("/admin/api/teams", json={"name": name, **fields}, headers=ADMIN)
    assert created.status_code == 201, created.text
    return name


def _key(client: TestClient, team: str) -> str:
    created = client.post("/admin/api/keys", json={"team": team, "name": "first name"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    prefix: str = created.json()["prefix"]
    return prefix


def _budgets(client: TestClient, label: str) -> dict[str, str]:
    """The budgets the finance API lists for a team's or key's label: period → amount."""
    rows = client.get("/admin/api/finance/budgets", headers=ADMIN).json()["data"]
    return {row["period"]: row["amount_usd"] for row in rows if label in {row["team_name"], row["key_prefix"]}}


def _audit(engine: Engine, target: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.target == target).order_by(col(AuditEntry.id))))


def test_a_team_patch_changes_models_and_policy_and_keeps_what_was_not_sent(
    priced_app: tuple[TestClient, Engine],
) -> None:
    client, _ = priced_app
    name = _team(client, models=["gpt-test"], policy="default")
    changed = client.patch(f"/admin/api/teams/{name}", json={"models": ["gpt-test", "azure-test"]}, headers=ADMIN)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["models"] == ["gpt-test", "azure-test"] and body["policy"] == "default"
    assert body["changes"] == {"models": {"from": ["gpt-test"], "to": ["gpt-test", "azure-test"]}}
    cleared = client.patch(f"/admin/api/teams/{name}", json={"models": None, "policy": None}, headers=ADMIN).json()
    assert cleared["models"] is None and cleared["policy"] is None


def test_a_team_patch_sets_and_removes_budgets_and_rate_limits(priced_app: tuple[TestClient, Engine]) -> None:
    client, _ = priced_app
    name = _team(client)
    budgets = {"month": {"amount_usd": "250"}, "day": {"amount_usd": "20", "soft_threshold": 0.5}}
    set_ = client.patch(f"/admin/api/teams/{name}", json={"budgets": budgets, "rpm": 60, "tpm": 9000}, headers=ADMIN)
    assert set_.status_code == 200, set_.text
    assert set(set_.json()["changes"]) == {"budgets.month", "budgets.day", "rpm", "tpm"}
    assert _budgets(client, name) == {"month": "250.000000000", "day": "20.000000000"}
    removed = client.patch(f"/admin/api/teams/{name}", json={"budgets": {"day": None}, "rpm": None}, headers=ADMIN)
    assert removed.json()["changes"] == {
        "budgets.day": {"from": {"amount_usd": "20", "soft_threshold": 0.5, "webhook_url": None}, "to": None},
        "rpm": {"from": 60, "to": None},
    }
    assert _budgets(client, name) == {"month": "250.000000000"}


def test_a_team_patch_is_audited_with_who_and_what_changed_from_what_to_what(
    priced_app: tuple[TestClient, Engine],
) -> None:
    client, engine = priced_app
    name = _team(client, policy="default")
    client.patch(f"/admin/api/teams/{name}", json={"policy": "strict", "tpm": 1000}, headers=ADMIN)
    (entry,) = [entry for entry in _audit(engine, f"team:{name}") if entry.action == "team.edit"]
    assert entry.actor == "admin-key"
    assert entry.details["changes"] == {
        "policy": {"from": "default", "to": "strict"},
        "tpm": {"from": None, "to": 1000},
    }


def test_a_key_patch_changes_name_expiry_and_limits(priced_app: tuple[TestClient, Engine]) -> None:
    client, engine = priced_app
    prefix = _key(client, _team(client))
    body = {
        "name": "nightly batch",
        "expires_at": "2031-01-31T00:00:00+00:00",
        "budgets": {"total": {"amount_usd": "5"}},
    }
    changed = client.patch(f"/admin/api/keys/{prefix}", json={**body, "rpm": 10}, headers=ADMIN)
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "nightly batch" and changed.json()["expires_at"].startswith("2031-01-31")
    assert _budgets(client, prefix) == {"total": "5.000000000"}
    never = client.patch(f"/admin/api/keys/{prefix}", json={"expires_at": None}, headers=ADMIN).json()
    assert never["expires_at"] is None and never["name"] == "nightly batch"
    (entry, _) = [entry for entry in _audit(engine, f"key:{prefix}") if entry.action == "key.edit"]
    assert entry.details["changes"]["name"] == {"from": "first name", "to": "nightly batch"}


@pytest.mark.parametrize(
    ("kind", "body", "param"),
    [
        ("teams", {"modles": ["gpt-test"]}, "modles"),
        ("teams", {"name": "renamed"}, "name"),
        ("teams", {"rpm": 0}, "rpm"),
        ("teams", {"tpm": "many"}, "tpm"),
        ("teams", {"budgets": {"fortnight": {"amount_usd": "5"}}}, "budgets.fortnight.[key]"),
        ("teams", {"budgets": {"month": {"amount_usd": "-1"}}}, "budgets.month.amount_usd"),
        ("teams", {"budgets": {"month": {"amount_usd": "5", "currency": "EUR"}}}, "budgets.month.currency"),
        ("keys", {"team": "other"}, "team"),
        ("keys", {"expires": "2030-01-01"}, "expires"),
        ("keys", {"expires_at": "next tuesday"}, "expires_at"),
        ("keys", {"name": "x" * 129}, "name"),
        ("keys", {"use_case": None}, "use_case"),
    ],
)
def test_a_wrong_field_is_refused_with_a_400_naming_it(
    priced_app: tuple[TestClient, Engine], kind: str, body: dict[str, Any], param: str
) -> None:
    client, _ = priced_app
    team = _team(client)
    target = team if kind == "teams" else _key(client, team)
    refused = client.patch(f"/admin/api/{kind}/{target}", json=body, headers=ADMIN)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["param"] == param
    assert refused.json()["error"]["type"] == "invalid_request_error"


def test_a_refused_patch_changes_nothing(priced_app: tuple[TestClient, Engine]) -> None:
    client, engine = priced_app
    name = _team(client, policy="default")
    client.patch(f"/admin/api/teams/{name}", json={"policy": "strict", "rpm": -5}, headers=ADMIN)
    team = next(t for t in client.get("/admin/api/teams", headers=ADMIN).json()["data"] if t["name"] == name)
    assert team["policy"] == "default" and not [e for e in _audit(engine, f"team:{name}") if e.action == "team.edit"]


class AuditWriteFailed(RuntimeError):
    pass


def _failing_audit(*args: Any, **kwargs: Any) -> None:
    raise AuditWriteFailed("the database went away while the audit entry was written")


def test_an_edit_whose_audit_entry_cannot_be_written_changes_nothing(
    priced_app: tuple[TestClient, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, engine = priced_app
    name = _team(client, models=["gpt-test"])
    prefix = _key(client, name)
    monkeypatch.setattr("admin.edits.record", _failing_audit)
    team_edit = {"models": ["azure-test"], "rpm": 10, "budgets": {"day": {"amount_usd": "5"}}}
    key_edit = {"name": "second name", "tpm": 1000, "budgets": {"month": {"amount_usd": "7"}}}
    for path, edit in ((f"/admin/api/teams/{name}", team_edit), (f"/admin/api/keys/{prefix}", key_edit)):
        with pytest.raises(AuditWriteFailed):
            client.patch(path, json=edit, headers=ADMIN)
    monkeypatch.undo()
    team = next(t for t in client.get("/admin/api/teams", headers=ADMIN).json()["data"] if t["name"] == name)
    key = next(k for k in client.get("/admin/api/keys", headers=ADMIN).json()["data"] if k["prefix"] == prefix)
    assert (team["models"], key["name"]) == (["gpt-test"], "first name")
    assert limits_of(engine, "team", team["id"]) == ([], None) and limits_of(engine, "key", key["id"]) == ([], None)
    assert [e.action for e in _audit(engine, f"team:{name}") + _audit(engine, f"key:{prefix}")] == []


@pytest.mark.parametrize(("kind", "missing"), [("teams", "no-such-team"), ("keys", "sk-gw-missing0")])
def test_patching_what_does_not_exist_is_a_404(priced_app: tuple[TestClient, Engine], kind: str, missing: str) -> None:
    client, _ = priced_app
    refused = client.patch(f"/admin/api/{kind}/{missing}", json={"rpm": 5}, headers=ADMIN)
    assert refused.status_code == 404 and refused.json()["error"]["code"] in {"team_not_found", "key_not_found"}


def test_a_budget_smaller_than_one_worst_case_answer_comes_back_with_a_warning(
    priced_app: tuple[TestClient, Engine],
) -> None:
    client, _ = priced_app
    name = _team(client, models=["gpt-test"])
    small = client.patch(
        f"/admin/api/teams/{name}", json={"budgets": {"month": {"amount_usd": "0.001"}}}, headers=ADMIN
    )
    assert small.status_code == 200
    (warning,) = small.json()["warnings"]
    assert "gpt-test" in warning and "$0.00819" in warning and "4,096 output tokens" in warning and "$0.001" in warning
    enough = client.patch(f"/admin/api/teams/{name}", json={"budgets": {"month": {"amount_usd": "1"}}}, headers=ADMIN)
    assert enough.json()["warnings"] == []


def test_a_key_revoked_through_the_api_is_audited(priced_app: tuple[TestClient, Engine]) -> None:
    client, engine = priced_app
    prefix = _key(client, _team(client))
    assert client.post(f"/admin/api/keys/{prefix}/revoke", headers=ADMIN).status_code == 200
    assert [entry.actor for entry in _audit(engine, f"key:{prefix}") if entry.action == "key.revoke"] == ["admin-key"]


@pytest.mark.parametrize("role", ["reviewer", "finance", "viewer"])
@pytest.mark.parametrize("kind", ["teams", "keys"])
def test_only_admins_may_patch(
    priced_app: tuple[TestClient, Engine], make_priced_client: Callable[[], TestClient], role: str, kind: str
) -> None:
    client, _ = priced_app
    team = _team(client)
    target = team if kind == "teams" else _key(client, team)
    person = make_priced_client()
    sign_in(person, role)
    refused = person.patch(f"/admin/api/{kind}/{target}", json={"rpm": 5}, headers={"x-csrf-token": csrf_token(person)})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"


@pytest.mark.parametrize("kind", ["teams", "keys"])
def test_an_admin_session_patches_with_its_csrf_token_and_not_without(
    priced_app: tuple[TestClient, Engine], make_priced_client: Callable[[], TestClient], kind: str
) -> None:
    client, engine = priced_app
    team = _team(client)
    target = team if kind == "teams" else _key(client, team)
    person = make_priced_client()
    sign_in(person, "admin")
    forged = person.patch(f"/admin/api/{kind}/{target}", json={"rpm": 5})
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf"
    done = person.patch(f"/admin/api/{kind}/{target}", json={"rpm": 5}, headers={"x-csrf-token": csrf_token(person)})
    assert done.status_code == 200 and done.json()["changes"] == {"rpm": {"from": None, "to": 5}}
    actors = [entry.actor for entry in _audit(engine, f"{kind[:-1]}:{target}") if entry.action.endswith(".edit")]
    assert actors == ["user:admin"]


def test_a_signed_out_caller_may_not_patch(make_priced_client: Callable[[], TestClient]) -> None:
    refused = make_priced_client().patch("/admin/api/teams/anyone", json={"rpm": 5})
    assert refused.status_code == 401
