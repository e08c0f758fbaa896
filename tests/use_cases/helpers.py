"""Bodies and calls the registry's tests share."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}
MODELS = ("mock-gpt", "mock-small")
# The default gate's checklist: an approval that passes a gate ticks all of it.
CHECKLIST = ["model card reviewed", "evaluation attached"]
# name → account role: in use_case_body alice reviews compliance; erin sits on the ethics board.
PEOPLE = {
    "ada": "admin",
    "alice": "viewer",
    "bob": "reviewer",
    "carol": "reviewer",
    "erin": "viewer",
    "fred": "finance",
}
_names = itertools.count(1)


def use_case_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Ticket triage {next(_names)}",
        "team": "support",
        "purpose": "Route incoming support tickets to the right queue.",
        "risk_tier": "medium",
        "data_classification": "internal",
        "scores": {"value": 4, "feasibility": 3, "risk": 2},
        "owners": {"sponsor": "bob", "tech_lead": "carol", "compliance_reviewer": "alice"},
    }
    body.update(changes)
    return body


def register(client: httpx.Client, **changes: Any) -> dict[str, Any]:
    response = client.post("/admin/api/use-cases", json=use_case_body(**changes), headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def signed_in_headers(client: httpx.Client, name: str) -> dict[str, str]:
    """Headers of a JSON API call made with a person's UI session (cookie plus CSRF header)."""
    assert sign_in(client, name).status_code == 303
    return {"x-csrf-token": csrf_token(client)}


def open_gate(client: httpx.Client, use_case: str, to: str) -> str:
    """Request the stage change with the admin key; the gate's id."""
    response = client.post(f"/admin/api/use-cases/{use_case}/stage", json={"to": to}, headers=ADMIN)
    assert response.status_code == 202, response.text
    gate: str = response.json()["gate_id"]
    return gate


def approve_gate(
    client: httpx.Client,
    use_case: str,
    gate: str,
    role: str,
    headers: dict[str, str] | None = None,
    *,
    checked: list[str] = CHECKLIST,
) -> httpx.Response:
    """Approve for `role`, ticking `checked`, with `headers` (a person's session), else with the admin key."""
    return client.post(
        f"/admin/api/use-cases/{use_case}/gates/{gate}/approve",
        json={"role": role, "checked": checked},
        headers=headers or ADMIN,
    )


def card(status: str = "approved", **changes: Any) -> dict[str, Any]:
    """A model card that allows internal data and experimentation, with `changes`."""
    body: dict[str, Any] = {
        "status": status,
        "allowed_data_classifications": ["public", "internal"],
        "experimentation": True,
        "end_of_life": "2027-06-30",
    }
    body.update(changes)
    return body
