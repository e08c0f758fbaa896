"""The registry's pages without JavaScript: register by form, request a stage, approve, edit a card."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.admin.support import csrf_token, sign_in
from tests.use_cases.helpers import ADMIN

Clients = Callable[[], TestClient]


def _person(make_clients: Clients, name: str) -> tuple[TestClient, str]:
    client = make_clients()
    assert sign_in(client, name).status_code == 303
    return client, csrf_token(client)


def _register_by_form(client: TestClient, token: str, name: str, tier: str = "high") -> str:
    form = {
        "csrf_token": token,
        "name": name,
        "team": "support",
        "purpose": "Summarise calls",
        "value": "5",
        "feasibility": "4",
        "risk": "3",
        "data_classification": "confidential",
        "risk_tier": tier,
        "sponsor": "bob",
        "tech_lead": "carol",
        "compliance_reviewer": "alice",
        "models": ["mock-gpt"],
        "prompts": "",
    }
    response = client.post("/admin/use-cases", data=form)
    assert response.status_code == 303, response.text
    found = re.match(r"/admin/use-cases/(uc_\w+)\?done=use_case_registered", response.headers["location"])
    assert found is not None
    return found.group(1)


def test_an_admin_registers_a_use_case_by_form(make_clients: Clients, registry_app: TestClient) -> None:
    ada, token = _person(make_clients, "ada")
    use_case = _register_by_form(ada, token, "Call summaries by form")
    page = ada.get(f"/admin/use-cases/{use_case}")
    assert page.status_code == 200
    assert "Call summaries by form" in page.text and '<td id="stage">intake</td>' in page.text
    assert "use_case.register" in page.text  # the audit trail
    listed = ada.get("/admin/use-cases?risk_tier=high")
    assert f"/admin/use-cases/{use_case}" in listed.text
    stored = registry_app.get(f"/admin/api/use-cases/{use_case}", headers=ADMIN).json()
    assert stored["models"] == ["mock-gpt"] and stored["scores"] == {"value": 5, "feasibility": 4, "risk": 3}


def test_a_form_with_a_bad_score_says_why_and_keeps_the_input(make_clients: Clients) -> None:
    ada, token = _person(make_clients, "ada")
    response = ada.post(
        "/admin/use-cases",
        data={"csrf_token": token, "name": "Kept name", "team": "support", "purpose": "p", "value": "9"},
    )
    assert response.status_code == 400
    assert "Nothing was saved" in response.text and 'value="Kept name"' in response.text


def test_a_viewer_may_not_register(make_clients: Clients) -> None:
    alice, token = _person(make_clients, "alice")
    assert alice.get("/admin/use-cases/new").status_code == 403
    assert alice.post("/admin/use-cases", data={"csrf_token": token}).status_code == 403


def test_a_gate_is_passed_by_two_people_through_the_pages(make_clients: Clients) -> None:
    ada, token = _person(make_clients, "ada")
    use_case = _register_by_form(ada, token, "Gated by pages")
    bob, bob_token = _person(make_clients, "bob")
    requested = bob.post(f"/admin/use-cases/{use_case}/stage", data={"csrf_token": bob_token, "to": "poc"})
    assert requested.status_code == 303
    alice, alice_token = _person(make_clients, "alice")
    page = alice.get(f"/admin/use-cases/{use_case}").text
    assert "Approve as compliance_reviewer" in page and "Approve as ethics_board" not in page
    gate = re.search(r"/gates/(gate_\w+)/approve", page)
    assert gate is not None
    approve = f"/admin/use-cases/{use_case}/gates/{gate.group(1)}/approve"
    ticked = {"csrf_token": alice_token, "role": "compliance_reviewer", "checked": "model card reviewed"}
    first = alice.post(approve, data=ticked)
    assert first.headers["location"].endswith("done=gate_approved")
    erin, erin_token = _person(make_clients, "erin")
    page = erin.get(f"/admin/use-cases/{use_case}").text
    assert "☑ model card reviewed: ticked by user:alice" in page and "☐ evaluation attached" in page
    last = erin.post(approve, data={"csrf_token": erin_token, "role": "ethics_board", "checked": "evaluation attached"})
    assert last.headers["location"].endswith("done=stage_changed")
    assert '<td id="stage">poc</td>' in erin.get(f"/admin/use-cases/{use_case}").text


def test_an_approval_for_a_role_not_held_is_refused_with_a_page(make_clients: Clients) -> None:
    ada, token = _person(make_clients, "ada")
    use_case = _register_by_form(ada, token, "Refused by pages", tier="low")
    ada.post(f"/admin/use-cases/{use_case}/stage", data={"csrf_token": token, "to": "poc"})
    gate = re.search(r"/gates/(gate_\w+)/approve", ada.get(f"/admin/use-cases/{use_case}").text)
    assert gate is None  # ada holds no role of this gate: no button
    carol, carol_token = _person(make_clients, "carol")
    page = carol.get(f"/admin/api/use-cases/{use_case}", headers={}).json()
    gate_id = page["gates"][0]["gate_id"]
    refused = carol.post(
        f"/admin/use-cases/{use_case}/gates/{gate_id}/approve",
        data={"csrf_token": carol_token, "role": "compliance_reviewer"},
    )
    assert refused.status_code == 403 and "does not hold the role" in refused.text


def test_a_last_approval_by_form_with_an_unticked_item_is_refused_with_a_page(make_clients: Clients) -> None:
    ada, token = _person(make_clients, "ada")
    use_case = _register_by_form(ada, token, "Unticked by pages", tier="low")
    ada.post(f"/admin/use-cases/{use_case}/stage", data={"csrf_token": token, "to": "poc"})
    alice, alice_token = _person(make_clients, "alice")
    page = alice.get(f"/admin/use-cases/{use_case}").text
    assert 'name="checked" value="evaluation attached"' in page
    gate = re.search(r"/gates/(gate_\w+)/approve", page)
    assert gate is not None
    refused = alice.post(
        f"/admin/use-cases/{use_case}/gates/{gate.group(1)}/approve",
        data={"csrf_token": alice_token, "role": "compliance_reviewer", "checked": "model card reviewed"},
    )
    assert refused.status_code == 409 and "not yet ticked: evaluation attached" in refused.text
    assert '<td id="stage">intake</td>' in alice.get(f"/admin/use-cases/{use_case}").text


def test_a_reviewer_writes_a_card_by_form_and_everyone_sees_it(make_clients: Clients) -> None:
    bob, token = _person(make_clients, "bob")
    form = {
        "csrf_token": token,
        "status": "deprecated",
        "provider": "mock",
        "version": "1",
        "data_residency": "eu",
        "owner": "bob",
        "allowed_data_classifications": ["public", "internal"],
        "allowed_risk_tiers": ["low"],
        "intended_use": "tests",
        "known_limitations": "none known",
        "evaluation_results": "accuracy: 0.9",
        "review_due": "2020-06-01",
        "end_of_life": "2027-01-31",
    }
    saved = bob.post("/admin/models/mock-small/card", data=form)
    assert saved.status_code == 303, saved.text
    fred, _ = _person(make_clients, "fred")
    listing = fred.get("/admin/models").text
    row = re.search(r"mock-small</a></td>(.*?)</tr>", listing, re.S)
    assert row is not None
    assert "deprecated" in row.group(1) and "complete" in row.group(1) and "overdue" in row.group(1)
    assert 'id="card-form"' not in fred.get("/admin/models/mock-small").text  # finance reads, does not edit


def test_a_card_without_its_end_of_life_is_not_saved(make_clients: Clients) -> None:
    bob, token = _person(make_clients, "bob")
    response = bob.post("/admin/models/mock-gpt/card", data={"csrf_token": token, "status": "deprecated"})
    assert response.status_code == 400 and "end_of_life" in response.text
