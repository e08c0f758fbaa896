"""End to end: the shared prompt library through `gateway serve`'s HTTP APIs and the CLI.

Teams propose and submit through `/v1/gateway/prompts` with their keys (author `key:<prefix>`);
reviewers approve, reject and deprecate through `/admin/api/prompts` (the admin key's name is
`admin-key`; a signed-in person's is `user:<name>`). Chat requests use approved versions by
reference, and the upstream receives the rendered messages.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from admin.accounts.passwords import PasswordHashing
from gateway.core.audit import AuditEntry
from prompt_library.files import read_prompt_file
from prompt_library.service import reuse_figure
from tests.admin.support import add_user, csrf_token, sign_in
from tests.helpers.gateway_api import ADMIN, Ledger, TeamKey, chat, new_team_key
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.waiting import wait_until

SEEDS = Path(__file__).resolve().parents[2] / "prompt_library" / "seeds"
TEMPLATE = [
    {"role": "system", "content": "You write to {{customer}} about {{count}} open tickets."},
    {"role": "user", "content": "Draft the note."},
]
VARIABLES = [{"name": "customer", "type": "string"}, {"name": "count", "type": "integer", "default": 3}]


def library(gateway: GatewayProcess, member: TeamKey, method: str, path: str = "", **body: Any) -> httpx.Response:
    return httpx.request(
        method, f"{gateway.root_url}/v1/gateway/prompts{path}", json=body or None, headers=member.headers
    )


def review(gateway: GatewayProcess, name: str, version: int, step: str, reason: str = "") -> httpx.Response:
    return httpx.post(
        f"{gateway.root_url}/admin/api/prompts/{name}/versions/{version}/{step}", json={"reason": reason}, headers=ADMIN
    )


def by_reference(
    gateway: GatewayProcess, member: TeamKey, name: str, variables: dict[str, Any], version: int | None = None
) -> httpx.Response:
    prompt: dict[str, Any] = {"id": name, "variables": variables}
    if version is not None:
        prompt["version"] = version
    return chat(gateway, member, {"model": "gpt-test", "prompt": prompt})


def upstream_messages(mock_upstream: RunningMockUpstream, marker: str) -> list[dict[str, Any]]:
    found = [r.body for r in mock_upstream.mock.state.requests if marker in json.dumps(r.body.get("messages"))]
    assert len(found) == 1
    messages: list[dict[str, Any]] = found[0]["messages"]
    return messages


@pytest.fixture()
def owner(gateway: GatewayProcess) -> TeamKey:
    return new_team_key(gateway, "authors")


@pytest.fixture()
def reader(gateway: GatewayProcess) -> TeamKey:
    return new_team_key(gateway, "readers")


def approved_prompt(gateway: GatewayProcess, owner: TeamKey) -> str:
    """A prompt of `owner`'s team with version 1 approved by the admin key."""
    name = f"tickets-{uuid.uuid4().hex[:8]}"
    created = library(gateway, owner, "POST", id=name, tags=["e2e"], messages=TEMPLATE, variables=VARIABLES)
    assert created.status_code == 201, created.text
    assert library(gateway, owner, "POST", f"/{name}/versions/1/submit").status_code == 200
    assert review(gateway, name, 1, "approve").status_code == 200
    return name


# --- lifecycle -------------------------------------------------------------------------------------


def test_prompt_lifecycle_from_draft_to_deprecated(
    gateway: GatewayProcess, ledger: Ledger, owner: TeamKey, reader: TeamKey
) -> None:
    name = f"lifecycle-{uuid.uuid4().hex[:8]}"
    draft = library(
        gateway, owner, "POST", id=name, description="d", tags=["e2e"], messages=TEMPLATE, variables=VARIABLES
    )
    assert draft.status_code == 201, draft.text
    assert (draft.json()["state"], draft.json()["author"]) == ("draft", f"key:{owner.prefix}")
    # Only the owner team sees its draft, and nobody can use it yet.
    assert name in [p["id"] for p in library(gateway, owner, "GET", f"?q={name}").json()["data"]]
    assert library(gateway, reader, "GET", f"?q={name}").json()["data"] == []
    assert by_reference(gateway, reader, name, {"customer": "x"}).json()["error"]["code"] == "prompt_not_approved"
    # A draft cannot be approved; another team cannot submit it.
    assert review(gateway, name, 1, "approve").json()["error"]["code"] == "invalid_state"
    assert library(gateway, reader, "POST", f"/{name}/versions/1/submit").status_code == 403
    assert library(gateway, owner, "POST", f"/{name}/versions/1/submit").json()["state"] == "in_review"
    # A rejection needs a reason, and keeps it.
    assert review(gateway, name, 1, "reject").status_code == 409
    rejected = review(gateway, name, 1, "reject", reason="say which tickets")
    assert (rejected.json()["state"], rejected.json()["reason"]) == ("rejected", "say which tickets")
    # Version 2 goes through and becomes the one everyone sees and uses.
    second = library(gateway, owner, "POST", f"/{name}/versions", messages=TEMPLATE, variables=VARIABLES)
    assert second.json()["version"] == 2
    library(gateway, owner, "POST", f"/{name}/versions/2/submit")
    approved = review(gateway, name, 2, "approve")
    assert (approved.json()["state"], approved.json()["reviewer"]) == ("approved", "admin-key")
    listed = library(gateway, reader, "GET", f"?q={name}").json()["data"]
    assert [(p["id"], p["latest_approved_version"]) for p in listed] == [(name, 2)]
    assert by_reference(gateway, reader, name, {"customer": "Ada"}).status_code == 200
    # Deprecated, version 2 can no longer be used (after the gateway's 5 s prompt cache).
    assert review(gateway, name, 2, "deprecate", reason="superseded").json()["state"] == "deprecated"

    def version_2_refused() -> httpx.Response | None:
        response = by_reference(gateway, reader, name, {"customer": "Ada"}, version=2)
        return None if response.status_code == 200 else response

    refused = wait_until(version_2_refused, timeout=10, interval=0.2, waiting_for="the deprecated version's refusal")
    assert (refused.status_code, refused.json()["error"]["param"]) == (400, "prompt.version")
    with Session(ledger.engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.target == f"prompt:{name}")
        ).all()
    assert sorted(actions) == sorted(
        [("prompt.reject", "admin-key"), ("prompt.approve", "admin-key"), ("prompt.deprecate", "admin-key")]
    )


@pytest.fixture()
def signed_in_reviewer(gateway: GatewayProcess, ledger: Ledger) -> Iterator[tuple[httpx.Client, str]]:
    """A person with the reviewer role and a team, signed in to the admin UI."""
    team = new_team_key(gateway, "ui-authors").team
    name = f"rev{uuid.uuid4().hex[:8]}"
    add_user(ledger.engine, PasswordHashing(), name, "reviewer", team=team)
    with httpx.Client(base_url=gateway.root_url, timeout=30) as client:
        assert sign_in(client, name).status_code in (302, 303)
        yield client, name


def test_author_cannot_approve_their_own_version(
    gateway: GatewayProcess, signed_in_reviewer: tuple[httpx.Client, str]
) -> None:
    client, person = signed_in_reviewer
    name = f"own-{uuid.uuid4().hex[:8]}"
    token = csrf_token(client, "/admin/prompts/new")
    form = {"name": name, "system": "Be brief.", "user": "Summarise {{text}}", "variables": "text", "submit_now": "yes"}
    proposed = client.post("/admin/prompts", data={**form, "csrf_token": token})
    assert proposed.status_code in (302, 303), proposed.text
    refused = client.post(f"/admin/api/prompts/{name}/versions/1/approve", headers={"x-csrf-token": token})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "self_approval"
    assert f"user:{person}" in refused.json()["error"]["message"]
    approved = review(gateway, name, 1, "approve")  # someone else may
    assert approved.json()["state"] == "approved"


# --- use by reference --------------------------------------------------------------------------------


def test_use_by_reference_sends_the_rendered_messages_upstream(
    gateway: GatewayProcess, ledger: Ledger, owner: TeamKey, reader: TeamKey, mock_upstream: RunningMockUpstream
) -> None:
    name = approved_prompt(gateway, owner)
    marker = uuid.uuid4().hex
    response = by_reference(gateway, reader, name, {"customer": f"Ada {marker}", "count": 7})
    assert response.status_code == 200, response.text
    assert upstream_messages(mock_upstream, marker) == [
        {"role": "system", "content": f"You write to Ada {marker} about 7 open tickets."},
        {"role": "user", "content": "Draft the note."},
    ]
    row = ledger.row(response.headers["x-request-id"])
    assert (row.prompt_name, row.prompt_version, row.team_name) == (name, "1", reader.team)


def test_a_default_fills_a_variable_left_out(
    gateway: GatewayProcess, owner: TeamKey, reader: TeamKey, mock_upstream: RunningMockUpstream
) -> None:
    name = approved_prompt(gateway, owner)
    marker = uuid.uuid4().hex
    assert by_reference(gateway, reader, name, {"customer": marker}).status_code == 200
    assert upstream_messages(mock_upstream, marker)[0]["content"] == f"You write to {marker} about 3 open tickets."


@pytest.mark.parametrize(
    ("variables", "param"),
    [
        ({}, "prompt.variables.customer"),
        ({"customer": "Ada", "colour": "red"}, "prompt.variables.colour"),
        ({"customer": "Ada", "count": "three"}, "prompt.variables.count"),
        ({"customer": 42}, "prompt.variables.customer"),
    ],
    ids=["missing", "unknown", "wrong-type", "number-for-string"],
)
def test_bad_variables_get_a_400_naming_the_variable(
    gateway: GatewayProcess, owner: TeamKey, reader: TeamKey, variables: dict[str, Any], param: str
) -> None:
    name = approved_prompt(gateway, owner)
    response = by_reference(gateway, reader, name, variables)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert param.rsplit(".", 1)[1] in error["message"]


def test_unknown_prompt_is_a_404_naming_prompt_id(gateway: GatewayProcess, reader: TeamKey) -> None:
    response = by_reference(gateway, reader, f"nothing-{uuid.uuid4().hex[:6]}", {})
    assert (response.status_code, response.json()["error"]["param"]) == (404, "prompt.id")


def test_ledger_counts_uses_per_version(
    gateway: GatewayProcess, ledger: Ledger, owner: TeamKey, reader: TeamKey
) -> None:
    name = approved_prompt(gateway, owner)
    library(gateway, owner, "POST", f"/{name}/versions", messages=TEMPLATE, variables=VARIABLES)
    library(gateway, owner, "POST", f"/{name}/versions/2/submit")
    review(gateway, name, 2, "approve")
    ids = [by_reference(gateway, reader, name, {"customer": "A"}, version=1).headers["x-request-id"] for _ in range(2)]
    ids += [by_reference(gateway, reader, name, {"customer": "B"}).headers["x-request-id"] for _ in range(3)]
    versions = sorted(row.prompt_version or "" for row in ledger.rows(ids).values())
    assert versions == ["1", "1", "2", "2", "2"]


def test_reuse_figure_counts_teams_and_requests_per_version(
    gateway: GatewayProcess, ledger: Ledger, owner: TeamKey, reader: TeamKey
) -> None:
    name = approved_prompt(gateway, owner)
    other = new_team_key(gateway, "readers")
    ids = [by_reference(gateway, member, name, {"customer": "A"}).headers["x-request-id"] for member in (reader, other)]
    ids.append(by_reference(gateway, reader, name, {"customer": "B"}).headers["x-request-id"])
    ledger.rows(ids)
    wait_until(  # uses may be counted in batches, off the request path
        lambda: reuse_figure(ledger.engine, name).requests >= 3,
        timeout=5,
        interval=0.2,
        waiting_for="three counted uses of the prompt",
    )
    figure = library(gateway, reader, "GET", f"/{name}/reuse").json()
    assert (figure["teams"], figure["requests"], figure["requests_by_version"]) == (2, 3, {"1": 3})
    assert figure["teams_list"] == sorted([reader.team, other.team])


# --- files -------------------------------------------------------------------------------------------


def test_import_export_round_trip_through_the_cli(gateway: GatewayProcess, tmp_path: Path, reader: TeamKey) -> None:
    first = gateway.cli("prompts", "import", str(SEEDS)).stdout
    assert "imported" in first
    again = gateway.cli("prompts", "import", str(SEEDS)).stdout
    assert again.startswith("imported 0 new prompt(s), 0 new version(s)")
    exported = tmp_path / "exported"
    gateway.cli("prompts", "export", str(exported))
    for seed in sorted(SEEDS.glob("*.yaml")):
        assert read_prompt_file(exported / seed.name) == read_prompt_file(seed), seed.name
    # The exported files, imported into an empty database, export to the same bytes.
    fresh = GatewayProcess(tmp_path, {"database_url": f"sqlite:///{tmp_path}/fresh.db", "admin_key": "x"})
    fresh.cli("db", "upgrade")
    fresh.cli("prompts", "import", str(exported))
    again_exported = tmp_path / "again"
    fresh.cli("prompts", "export", str(again_exported))
    assert {p.name: p.read_bytes() for p in again_exported.glob("*.yaml")} == {
        p.name: p.read_bytes() for p in exported.glob("*.yaml")
    }
    listed = gateway.cli("prompts", "list", "--tag", "support").stdout
    assert "support-reply\tteam=support\tv2" in listed
    seeded = by_reference(gateway, reader, "support-reply", {"customer_name": "Ada", "product": "Widget"})
    assert seeded.status_code == 200, seeded.text


def test_owner_team_filter_and_tag_search(gateway: GatewayProcess, owner: TeamKey, reader: TeamKey) -> None:
    name = approved_prompt(gateway, owner)
    by_owner = library(gateway, reader, "GET", f"?owner_team={owner.team}").json()["data"]
    assert [p["id"] for p in by_owner] == [name]
    assert name in [p["id"] for p in library(gateway, reader, "GET", "?tag=e2e").json()["data"]]
    detail = library(gateway, reader, "GET", f"/{name}").json()
    assert [v["version"] for v in detail["versions"]] == [1]
    # Stored as declared, with the default type ("string") left implicit.
    assert detail["versions"][0]["variables"] == [
        {"name": "customer"},
        {"name": "count", "type": "integer", "default": 3},
    ]
