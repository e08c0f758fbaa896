"""Stage gates through the admin JSON API: the checklist, approvals by role, the stage change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gateway.core.audit import list_audit_entries
from tests.use_cases.helpers import ADMIN, CHECKLIST, register, signed_in_headers

Clients = Callable[[], TestClient]


def _request(client: TestClient, use_case: str, to: str, **headers: str) -> dict[str, Any]:
    response = client.post(
        f"/admin/api/use-cases/{use_case}/stage", json={"to": to, "note": "ready"}, headers=headers or ADMIN
    )
    assert response.status_code == 202, response.text
    gate: dict[str, Any] = response.json()
    return gate


def _approve(
    client: TestClient, use_case: str, gate: object, role: str, headers: dict[str, str], checked: list[str] = CHECKLIST
) -> httpx.Response:
    return client.post(
        f"/admin/api/use-cases/{use_case}/gates/{gate}/approve",
        json={"role": role, "note": "ok", "checked": checked},
        headers=headers,
    )


def _stage(client: TestClient, use_case: str) -> str:
    stage: str = client.get(f"/admin/api/use-cases/{use_case}", headers=ADMIN).json()["stage"]
    return stage


def test_a_stage_request_lists_the_checklist_and_the_roles_to_approve(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")
    assert str(gate["gate_id"]).startswith("gate_")
    assert gate["checklist"] == ["model card reviewed", "evaluation attached"]
    assert gate["approvals"] == [{"role": "compliance_reviewer", "approved_by": None, "at": None, "note": ""}]
    assert _stage(registry_app, created["id"]) == "intake"  # nothing changes before the approval


def test_a_high_risk_use_case_also_needs_the_ethics_board(registry_app: TestClient) -> None:
    created = register(registry_app, risk_tier="high")
    gate = _request(registry_app, created["id"], "poc")
    assert [item["role"] for item in gate["approvals"]] == ["compliance_reviewer", "ethics_board"]


def test_the_stage_changes_when_the_last_role_approves(
    registry_app: TestClient, make_clients: Clients, registry_db: Engine
) -> None:
    created = register(registry_app, risk_tier="high")
    use_case = created["id"]
    gate = _request(registry_app, use_case, "poc")["gate_id"]
    alice, erin = make_clients(), make_clients()
    first = _approve(alice, use_case, gate, "compliance_reviewer", signed_in_headers(alice, "alice"), CHECKLIST[:1])
    assert first.status_code == 200, first.text
    assert _stage(registry_app, use_case) == "intake"
    last = _approve(erin, use_case, gate, "ethics_board", signed_in_headers(erin, "erin"), CHECKLIST[1:])
    assert last.status_code == 200
    body = last.json()
    assert body["status"] == "passed"
    assert {item["role"]: item["approved_by"] for item in body["approvals"]} == {
        "compliance_reviewer": "user:alice",
        "ethics_board": "user:erin",
    }
    assert _stage(registry_app, use_case) == "poc"
    trail = [(e.action, e.actor) for e in reversed(list_audit_entries(registry_db, target=f"use_case:{use_case}"))]
    assert trail == [
        ("use_case.register", "admin-key"),
        ("use_case.stage_request", "admin-key"),
        ("use_case.gate_check", "user:alice"),
        ("use_case.gate_approve", "user:alice"),
        ("use_case.gate_check", "user:erin"),
        ("use_case.gate_approve", "user:erin"),
        ("use_case.stage_change", "user:erin"),
    ]


def test_a_person_approves_only_for_a_role_they_hold(registry_app: TestClient, make_clients: Clients) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    carol = make_clients()  # the tech lead, not the compliance reviewer
    refused = _approve(carol, created["id"], gate, "compliance_reviewer", signed_in_headers(carol, "carol"))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "approval_refused"
    assert _stage(registry_app, created["id"]) == "intake"


def test_nobody_approves_one_gate_for_two_roles(registry_app: TestClient) -> None:
    created = register(registry_app, risk_tier="high")
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    assert _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN).status_code == 200
    twice = _approve(registry_app, created["id"], gate, "ethics_board", ADMIN)
    assert twice.status_code == 403
    assert _stage(registry_app, created["id"]) == "intake"


def test_the_admin_key_approves_for_any_role(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    assert _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN).status_code == 200
    assert _stage(registry_app, created["id"]) == "poc"


def test_a_role_the_gate_does_not_ask_for_is_refused(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    response = _approve(registry_app, created["id"], gate, "ethics_board", ADMIN)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "role"


def test_only_the_next_stage_or_retirement_may_be_requested(registry_app: TestClient) -> None:
    created = register(registry_app)
    skip = registry_app.post(f"/admin/api/use-cases/{created['id']}/stage", json={"to": "production"}, headers=ADMIN)
    assert skip.status_code == 400
    assert "poc or retired" in skip.json()["error"]["message"]
    assert _request(registry_app, created["id"], "retired")["checklist"]


def test_one_gate_at_a_time(registry_app: TestClient) -> None:
    created = register(registry_app)
    _request(registry_app, created["id"], "poc")
    again = registry_app.post(f"/admin/api/use-cases/{created['id']}/stage", json={"to": "poc"}, headers=ADMIN)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "gate_open"


def test_a_passed_gate_takes_no_more_approvals(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN)
    late = _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN)
    assert late.status_code == 409


def test_the_detail_lists_the_gates(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    detail = registry_app.get(f"/admin/api/use-cases/{created['id']}", headers=ADMIN).json()
    assert [item["gate_id"] for item in detail["gates"]] == [gate]


def test_the_last_approval_is_refused_until_every_checklist_item_is_ticked(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    early = _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN, ["model card reviewed"])
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "checklist_incomplete"
    assert "not yet ticked: evaluation attached" in early.json()["error"]["message"]
    detail = registry_app.get(f"/admin/api/use-cases/{created['id']}", headers=ADMIN).json()
    assert detail["stage"] == "intake"
    assert (detail["gates"][0]["checked"], detail["gates"][0]["approvals"][0]["approved_by"]) == ([], None)
    assert _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN).json()["status"] == "passed"


def test_each_tick_records_who_ticked_it(registry_app: TestClient, make_clients: Clients, registry_db: Engine) -> None:
    created = register(registry_app, risk_tier="high")
    use_case = created["id"]
    gate = _request(registry_app, use_case, "poc")["gate_id"]
    alice = make_clients()
    approved = _approve(alice, use_case, gate, "compliance_reviewer", signed_in_headers(alice, "alice"), CHECKLIST[1:])
    assert [(c["item"], c["ticked_by"]) for c in approved.json()["checked"]] == [("evaluation attached", "user:alice")]
    entry = list_audit_entries(registry_db, target=f"use_case:{use_case}", action_prefix="use_case.gate_check")[0]
    assert (entry.actor, entry.details["items"]) == ("user:alice", ["evaluation attached"])


def test_an_item_not_on_the_checklist_cannot_be_ticked(registry_app: TestClient) -> None:
    created = register(registry_app)
    gate = _request(registry_app, created["id"], "poc")["gate_id"]
    response = _approve(registry_app, created["id"], gate, "compliance_reviewer", ADMIN, ["vibes checked"])
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "checked"
    assert "'vibes checked' is not on the gate's checklist" in response.json()["error"]["message"]
