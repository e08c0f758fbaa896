"""The lifecycle end to end on two gateway processes sharing PostgreSQL and Redis, with the openai
SDK as client: register, bind a key, refused in intake, pass a gate with two roles' approvals,
allowed in poc, attributed on every ledger row, review item and audit entry; model cards'
deprecation header and block; use cases named per request and checked against the team."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from sqlmodel import Session, select

from admin.accounts.passwords import PasswordHashing
from filters.review_store import ReviewItem
from gateway.core.audit import AuditEntry
from tests.admin.support import add_user, csrf_token, sign_in
from tests.helpers.gateway_api import ADMIN, Ledger, TeamKey, new_team_key, priced_config, start_together
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.use_cases.helpers import approve_gate, card, open_gate, use_case_body

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Pair:
    first: GatewayProcess
    second: GatewayProcess
    ledger: Ledger


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, session_postgres_url: str
) -> Iterator[Pair]:
    config = priced_config(
        mock_upstream.url, session_postgres_url, use_cases={"boards": {"ethics_board": ["erin"]}, "refresh_seconds": 1}
    )
    workdir: Path = tmp_path_factory.mktemp("use-cases-e2e")
    first = GatewayProcess(workdir / "a", config)
    second = GatewayProcess(workdir / "b", config)
    first.cli("db", "upgrade")
    ledger = Ledger(session_postgres_url)
    hashing = PasswordHashing()
    for name, role in (("alice", "viewer"), ("bob", "reviewer"), ("carol", "reviewer"), ("erin", "viewer")):
        add_user(ledger.engine, hashing, name, role)
    start_together(first, second)
    yield Pair(first, second, ledger)
    first.stop()
    second.stop()
    ledger.close()


def _register(gateway: GatewayProcess, team: str, **changes: object) -> str:
    response = httpx.post(
        f"{gateway.root_url}/admin/api/use-cases", json=use_case_body(team=team, **changes), headers=ADMIN
    )
    assert response.status_code == 201, response.text
    use_case: str = response.json()["id"]
    return use_case


def _bound_key(gateway: GatewayProcess, team: str, use_case: str) -> TeamKey:
    response = httpx.post(
        f"{gateway.root_url}/admin/api/keys", json={"team": team, "use_case": use_case}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return TeamKey(team, response.json()["key"], response.json()["prefix"])


def _admin(gateway: GatewayProcess) -> httpx.Client:
    return httpx.Client(base_url=gateway.root_url, headers=ADMIN)


def _to_poc(gateway: GatewayProcess, use_case: str) -> None:
    """A low or medium risk use case through its gate to poc (the admin key approves)."""
    client = _admin(gateway)
    passed = approve_gate(client, use_case, open_gate(client, use_case, "poc"), "compliance_reviewer")
    assert passed.json()["status"] == "passed"


def _put_card(gateway: GatewayProcess, model: str, body: dict[str, object]) -> None:
    response = httpx.put(f"{gateway.root_url}/admin/api/models/{model}/card", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text


def _person(gateway: GatewayProcess, name: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=gateway.root_url, follow_redirects=False)
    assert sign_in(client, name).status_code == 303
    return client, {"x-csrf-token": csrf_token(client)}


def _call(client: OpenAI, text: str, model: str = "gpt-test", **headers: str) -> httpx.Response:
    raw = client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], extra_headers=headers or None
    )
    return raw.http_response


def _eventually_allowed(client: OpenAI, deadline_seconds: float = 10) -> httpx.Response:
    """Poll until the second process serves the request (its registry caught up), with a deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return _call(client, "hello again")
        except openai.PermissionDeniedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_lifecycle_from_intake_to_poc_across_processes(pair: Pair) -> None:
    team = new_team_key(pair.first, "uc-life").team
    use_case = _register(pair.first, team, risk_tier="high")
    key = _bound_key(pair.first, team, use_case)
    _put_card(pair.first, "gpt-test", card())
    client = key.client(pair.first)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _call(client, "hello")
    assert refused.value.status_code == 403
    assert f"the use case {use_case} is in stage intake" in refused.value.message
    assert refused.value.code == "use_case_refused"

    gate = open_gate(_admin(pair.first), use_case, "poc")
    alice, alice_headers = _person(pair.first, "alice")
    assert approve_gate(alice, use_case, gate, "compliance_reviewer", alice_headers).status_code == 200
    erin, erin_headers = _person(pair.second, "erin")  # the last approval arrives at the other process
    passed = approve_gate(erin, use_case, gate, "ethics_board", erin_headers)
    assert passed.status_code == 200 and passed.json()["status"] == "passed"

    allowed = _eventually_allowed(key.client(pair.first))
    assert allowed.status_code == 200
    row = pair.ledger.row(allowed.headers["x-request-id"])
    assert row.use_case == use_case and row.team_name == team
    refused_row = pair.ledger.row(refused.value.response.headers["x-request-id"])
    assert (refused_row.use_case, refused_row.status_code, refused_row.blocked) == (use_case, 403, True)
    with Session(pair.ledger.engine) as session:
        policy_entry = session.exec(
            select(AuditEntry).where(AuditEntry.target == "policy:closed_stages", AuditEntry.use_case == use_case)
        ).first()
    assert policy_entry is not None and policy_entry.actor == f"key:{key.prefix}"


def test_a_review_item_carries_the_use_case(pair: Pair) -> None:
    team = new_team_key(pair.first, "uc-review").team
    use_case = _register(pair.first, team, risk_tier="low")
    _to_poc(pair.first, use_case)
    _put_card(pair.first, "gpt-test", card())
    key = _bound_key(pair.first, team, use_case)
    answer = _call(key.client(pair.first), "you stupid moron")
    review_id = answer.headers["x-gateway-review-id"]
    with Session(pair.ledger.engine) as session:
        item = session.get(ReviewItem, review_id)
    assert item is not None and item.use_case == use_case
    row = pair.ledger.row(answer.headers["x-request-id"])
    assert (row.use_case, row.blocked) == (use_case, True)  # a withheld answer counts as blocked


def test_a_team_key_names_its_use_case_by_header_or_metadata(pair: Pair) -> None:
    member = new_team_key(pair.first, "uc-named")
    use_case = _register(pair.first, member.team, risk_tier="low")
    _to_poc(pair.first, use_case)
    _put_card(pair.first, "gpt-test", card())
    client = member.client(pair.second)
    by_header = _eventually_named(client, use_case)
    assert pair.ledger.row(by_header.headers["x-request-id"]).use_case == use_case
    by_metadata = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "hi"}], metadata={"use_case": use_case}
    ).http_response
    assert pair.ledger.row(by_metadata.headers["x-request-id"]).use_case == use_case
    unattributed = _call(client, "no use case named")
    assert pair.ledger.row(unattributed.headers["x-request-id"]).use_case is None


def _eventually_named(client: OpenAI, use_case: str, deadline_seconds: float = 10) -> httpx.Response:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            return _call(client, "by header", **{"x-gateway-use-case": use_case})
        except openai.PermissionDeniedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_another_teams_use_case_or_a_second_one_for_a_bound_key_is_refused(pair: Pair) -> None:
    ours = new_team_key(pair.first, "uc-ours")
    theirs = new_team_key(pair.first, "uc-theirs")
    their_use_case = _register(pair.first, theirs.team)
    with pytest.raises(openai.PermissionDeniedError) as other_team:
        _call(ours.client(pair.first), "hi", **{"x-gateway-use-case": their_use_case})
    assert f"has no use case '{their_use_case}'" in other_team.value.message
    mine = _register(pair.first, ours.team)
    bound = _bound_key(pair.first, ours.team, mine)
    second = _register(pair.first, ours.team)
    with pytest.raises(openai.PermissionDeniedError) as twice:
        _call(bound.client(pair.first), "hi", **{"x-gateway-use-case": second})
    assert f"bound to the use case {mine}" in twice.value.message


def test_a_deprecated_model_says_so_and_a_blocked_one_is_refused(pair: Pair) -> None:
    member = new_team_key(pair.first, "uc-cards")
    _put_card(pair.first, "azure-test", card("deprecated"))
    deadline = time.monotonic() + 10
    while "x-gateway-deprecation" not in (answer := _call(member.client(pair.second), "hi", "azure-test")).headers:
        assert time.monotonic() < deadline, "the second process never saw the deprecation"
        time.sleep(0.1)
    assert answer.headers["x-gateway-deprecation"] == "model=azure-test; end-of-life=2027-06-30"
    _put_card(pair.first, "azure-test", card("blocked"))
    with pytest.raises(openai.PermissionDeniedError) as blocked:
        _call(member.client(pair.first), "hi", "azure-test")
    assert blocked.value.code == "model_blocked" and "blocked by the model registry" in blocked.value.message
    _put_card(pair.first, "azure-test", card())
    assert "x-gateway-deprecation" not in _call(member.client(pair.first), "hi", "azure-test").headers


def test_poc_uses_only_models_marked_for_experimentation(pair: Pair) -> None:
    team = new_team_key(pair.first, "uc-exp").team
    use_case = _register(pair.first, team, risk_tier="low")
    _to_poc(pair.first, use_case)
    _put_card(pair.first, "flaky", card(experimentation=False))
    key = _bound_key(pair.first, team, use_case)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        _call(key.client(pair.first), "hi", "flaky")
    assert "not marked for experimentation" in refused.value.message


def test_a_high_risk_use_case_withholds_what_would_be_flagged(pair: Pair) -> None:
    team = new_team_key(pair.first, "uc-flags").team
    high = _register(pair.first, team, risk_tier="high")
    gate = open_gate(_admin(pair.first), high, "poc")
    alice, alice_headers = _person(pair.first, "alice")
    approve_gate(alice, high, gate, "compliance_reviewer", alice_headers)
    erin, erin_headers = _person(pair.first, "erin")
    assert approve_gate(erin, high, gate, "ethics_board", erin_headers).json()["status"] == "passed"
    _put_card(pair.first, "gpt-test", card())
    client = _bound_key(pair.first, team, high).client(pair.first)
    plain = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "this damn printer"}]
    )
    assert plain.parse().choices[0].finish_reason == "content_filter"
    with Session(pair.ledger.engine) as session:
        item = session.get(ReviewItem, plain.headers["x-gateway-review-id"])
    assert item is not None and (item.action, item.use_case) == ("block", high)
    streamed = list(
        client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "this damn printer"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert "damn" not in text
    assert any(c.choices and c.choices[0].finish_reason == "content_filter" for c in streamed)


def test_a_reviewers_decision_is_audited_with_the_use_case(pair: Pair) -> None:
    team = new_team_key(pair.first, "uc-decide").team
    use_case = _register(pair.first, team, risk_tier="low")
    _to_poc(pair.first, use_case)
    _put_card(pair.first, "gpt-test", card())
    answer = _call(_bound_key(pair.first, team, use_case).client(pair.first), "you stupid moron")
    review_id = answer.headers["x-gateway-review-id"]
    decided = _admin(pair.first).post(f"/admin/api/review/{review_id}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    wanted = {("review.created.block", use_case), ("review.approve", use_case)}
    deadline = time.monotonic() + 10  # the creation's entry goes through the batched audit writer
    while True:
        with Session(pair.ledger.engine) as session:
            entries = session.exec(select(AuditEntry).where(AuditEntry.target == review_id)).all()
        found = {(entry.action, entry.use_case) for entry in entries}
        if found >= wanted or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found >= wanted
