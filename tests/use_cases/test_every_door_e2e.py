"""Every door takes the same attribution and model card checks as chat, end to end on a gateway
process with PostgreSQL and Redis: embeddings and moderations (openai SDK), Responses (openai SDK)
and Messages (anthropic SDK) carry the use case onto their ledger rows, whether the key is bound to
it or the request names it; a blocked model is refused and a deprecated one announced on each;
a use case in intake may not embed or moderate."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import httpx
import openai
import pytest

from admin.accounts.passwords import PasswordHashing
from tests.admin.support import add_user
from tests.helpers.gateway_api import ADMIN, Ledger, TeamKey, new_team_key, priced_config
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.use_cases.helpers import approve_gate, card, open_gate, use_case_body

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# A model of the test configuration that only this module's tests give a card.
CARDED = "paced"
USE_CASE_HEADER = "x-gateway-use-case"
# This module's own people (the PostgreSQL database is shared with the session's other modules).
OWNERS = {"sponsor": "dora", "tech_lead": "dan", "compliance_reviewer": "dina"}


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, session_postgres_url: str
) -> Iterator[GatewayProcess]:
    config = priced_config(mock_upstream.url, session_postgres_url, use_cases={"refresh_seconds": 1})
    process = GatewayProcess(tmp_path_factory.mktemp("every-door") / "gateway", config)
    process.cli("db", "upgrade")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def ledger(gateway: GatewayProcess, session_postgres_url: str) -> Iterator[Ledger]:
    """The ledger's reader; the use cases' owners get their accounts through its engine."""
    reader = Ledger(session_postgres_url)
    hashing = PasswordHashing()
    for name in OWNERS.values():
        add_user(reader.engine, hashing, name, "reviewer")
    yield reader
    reader.close()


def _admin(gateway: GatewayProcess) -> httpx.Client:
    return httpx.Client(base_url=gateway.root_url, headers=ADMIN)


def _register(gateway: GatewayProcess, team: str) -> str:
    body = use_case_body(team=team, risk_tier="low", owners=OWNERS)
    response = _admin(gateway).post("/admin/api/use-cases", json=body)
    assert response.status_code == 201, response.text
    use_case: str = response.json()["id"]
    return use_case


def _in_poc(gateway: GatewayProcess, team: str) -> str:
    """A low-risk use case of `team` through its gate to poc, its models' cards open to experiments."""
    use_case = _register(gateway, team)
    client = _admin(gateway)
    assert approve_gate(client, use_case, open_gate(client, use_case, "poc"), "compliance_reviewer").status_code == 200
    for model in ("gpt-test", "embed-test"):
        _put_card(gateway, model, card())
    return use_case


def _put_card(gateway: GatewayProcess, model: str, body: dict[str, object]) -> None:
    response = _admin(gateway).put(f"/admin/api/models/{model}/card", json=body)
    assert response.status_code == 200, response.text


def _bound_key(gateway: GatewayProcess, team: str, use_case: str) -> TeamKey:
    response = _admin(gateway).post("/admin/api/keys", json={"team": team, "use_case": use_case})
    assert response.status_code == 201, response.text
    return TeamKey(team, response.json()["key"], response.json()["prefix"])


def _claude(gateway: GatewayProcess, key: TeamKey) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.root_url, api_key=key.key, max_retries=0, timeout=30)


Door = Callable[[GatewayProcess, TeamKey, str, dict[str, str]], httpx.Response]


def _embed(gateway: GatewayProcess, key: TeamKey, model: str, headers: dict[str, str]) -> httpx.Response:
    raw = key.client(gateway).embeddings.with_raw_response.create(model=model, input="hello", extra_headers=headers)
    return raw.http_response


def _moderate(gateway: GatewayProcess, key: TeamKey, model: str, headers: dict[str, str]) -> httpx.Response:
    raw = key.client(gateway).moderations.with_raw_response.create(model=model, input="hello", extra_headers=headers)
    return raw.http_response


def _respond(gateway: GatewayProcess, key: TeamKey, model: str, headers: dict[str, str]) -> httpx.Response:
    raw = key.client(gateway).responses.with_raw_response.create(model=model, input="hello", extra_headers=headers)
    return raw.http_response


def _message(gateway: GatewayProcess, key: TeamKey, model: str, headers: dict[str, str]) -> httpx.Response:
    raw = _claude(gateway, key).messages.with_raw_response.create(
        model=model, max_tokens=50, messages=[{"role": "user", "content": "hello"}], extra_headers=headers
    )
    return raw.http_response


# door → the model it is called with when the test does not name one
DOORS: dict[str, tuple[Door, str]] = {
    "embeddings": (_embed, "embed-test"),
    "moderations": (_moderate, "omni-moderation-latest"),
    "responses": (_respond, "gpt-test"),
    "messages": (_message, "gpt-test"),
}


@pytest.mark.parametrize("door", DOORS)
def test_a_bound_keys_use_case_reaches_the_ledger_row_on_every_door(
    gateway: GatewayProcess, ledger: Ledger, door: str
) -> None:
    team = new_team_key(gateway, f"door-bound-{door}").team
    use_case = _in_poc(gateway, team)
    call, model = DOORS[door]
    answer = call(gateway, _bound_key(gateway, team, use_case), model, {})
    assert answer.status_code == 200
    row = ledger.row(answer.headers["x-request-id"])
    assert (row.use_case, row.endpoint, row.team_name) == (use_case, door, team)


@pytest.mark.parametrize("door", DOORS)
def test_a_use_case_named_by_header_reaches_the_ledger_row_on_every_door(
    gateway: GatewayProcess, ledger: Ledger, door: str
) -> None:
    member = new_team_key(gateway, f"door-named-{door}")
    use_case = _in_poc(gateway, member.team)
    call, model = DOORS[door]
    answer = call(gateway, member, model, {USE_CASE_HEADER: use_case})
    assert ledger.row(answer.headers["x-request-id"]).use_case == use_case


@pytest.mark.parametrize("door", ["embeddings", "moderations"])
def test_a_use_case_in_intake_may_not_embed_or_moderate(gateway: GatewayProcess, ledger: Ledger, door: str) -> None:
    team = new_team_key(gateway, f"door-intake-{door}").team
    use_case = _register(gateway, team)
    call, model = DOORS[door]
    with pytest.raises(openai.PermissionDeniedError) as refused:
        call(gateway, _bound_key(gateway, team, use_case), model, {})
    assert refused.value.code == "use_case_refused"
    assert f"the use case {use_case} is in stage intake" in refused.value.message
    row = ledger.row(refused.value.response.headers["x-request-id"])
    assert (row.use_case, row.status_code, row.blocked) == (use_case, 403, True)


@pytest.mark.parametrize("door", DOORS)
def test_a_blocked_model_is_refused_on_every_door(gateway: GatewayProcess, ledger: Ledger, door: str) -> None:
    member = new_team_key(gateway, f"door-blocked-{door}")
    call, _ = DOORS[door]
    _put_card(gateway, CARDED, card("blocked"))
    try:
        error = openai.PermissionDeniedError if door != "messages" else anthropic.PermissionDeniedError
        with pytest.raises(error) as blocked:
            call(gateway, member, CARDED, {})
    finally:
        _put_card(gateway, CARDED, card())
    refusal = blocked.value
    assert isinstance(refusal, openai.PermissionDeniedError | anthropic.PermissionDeniedError)
    assert refusal.status_code == 403
    assert "blocked by the model registry" in str(refusal)
    row = ledger.row(refusal.response.headers["x-request-id"])  # Messages' errors carry no code
    assert (row.status_code, row.error_code) == (403, "model_blocked")


def test_a_deprecated_embeddings_model_says_so(gateway: GatewayProcess, ledger: Ledger) -> None:
    member = new_team_key(gateway, "door-deprecated")
    _put_card(gateway, "embed-test", card("deprecated"))
    try:
        answer = _embed(gateway, member, "embed-test", {})
    finally:
        _put_card(gateway, "embed-test", card())
    assert answer.headers["x-gateway-deprecation"] == "model=embed-test; end-of-life=2027-06-30"
