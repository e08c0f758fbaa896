"""`POST /v1/moderations` end to end: the official openai SDK against a gateway process, answers
checked against OpenAI's published schema, each team judged by its own filters and thresholds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
import tiktoken
from openai import OpenAI
from openai.types import ModerationImageURLInputParam

from tests.helpers.gateway_api import ADMIN, Ledger, priced_config
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.openai_schema import ERROR_RESPONSE, MODERATION, MODERATION_CATEGORIES, problems

pytestmark = pytest.mark.redis

EMAIL = "jane.doe@example.com"
TOXIC = "you are a fucking idiot"
MAX_REQUEST_BYTES = 4096
IMAGE: ModerationImageURLInputParam = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
FILTERS_OFF = {"pii": {"enabled": False}, "toxicity": {"enabled": False}, "blocklist": {"enabled": False}}


@pytest.fixture(scope="module")
def moderated(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[tuple[GatewayProcess, Ledger]]:
    workdir = tmp_path_factory.mktemp("moderations")
    database = f"sqlite:///{workdir}/gateway.db"
    config = priced_config(
        mock_upstream.url,
        database,
        max_request_bytes=MAX_REQUEST_BYTES,
        filters={
            "defaults": {"blocklist": {"terms": ["Project Bluebird"]}},
            "teams": {
                "mod-open": FILTERS_OFF,
                "mod-lenient": {"toxicity": {"thresholds": {"profanity": {"flag": 0.99, "block": 1.0}}}},
                "mod-no-emails": {"pii": {"entities": {"EMAIL_ADDRESS": "block"}}},
            },
        },
    )
    gateway = GatewayProcess(workdir, config)
    gateway.cli("db", "upgrade")
    gateway.start()
    ledger = Ledger(database)
    yield gateway, ledger
    ledger.close()
    gateway.stop()


@pytest.fixture(scope="module")
def gateway(moderated: tuple[GatewayProcess, Ledger]) -> GatewayProcess:
    return moderated[0]


@pytest.fixture(scope="module")
def ledger(moderated: tuple[GatewayProcess, Ledger]) -> Ledger:
    return moderated[1]


def team_key(gateway: GatewayProcess, team: str) -> str:
    """A key of `team`, created with exactly that name (filter overrides are per team name)."""
    httpx.post(f"{gateway.root_url}/admin/api/teams", json={"name": team}, headers=ADMIN)  # 409 if it exists
    created = httpx.post(f"{gateway.root_url}/admin/api/keys", json={"team": team}, headers=ADMIN)
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def client_of(gateway: GatewayProcess, team: str) -> OpenAI:
    return OpenAI(base_url=gateway.base_url, api_key=team_key(gateway, team), max_retries=0, timeout=30)


@pytest.fixture(scope="module")
def client(gateway: GatewayProcess) -> OpenAI:
    return client_of(gateway, "mod-default")


def moderate(client: OpenAI, text: str | list[Any]) -> tuple[dict[str, Any], httpx.Headers]:
    """The moderation answer as sent, once the SDK parsed it and it matched OpenAI's schema."""
    raw = client.moderations.with_raw_response.create(input=text)
    raw.parse()
    body: dict[str, Any] = raw.http_response.json()
    assert problems(MODERATION, body) == []
    return body, raw.headers


def only_result(client: OpenAI, text: str | list[Any]) -> dict[str, Any]:
    body, _ = moderate(client, text)
    assert len(body["results"]) == 1
    result: dict[str, Any] = body["results"][0]
    return result


def test_a_clean_text_is_not_flagged_and_carries_every_category(client: OpenAI) -> None:
    moderation = client.moderations.create(input="Please summarise the meeting notes for Tuesday.")
    assert moderation.id.startswith("modr-") and moderation.model == "gateway-filters"
    result = moderation.results[0]
    assert result.flagged is False
    assert result.categories.illicit is False and result.categories.harassment is False
    assert result.category_applied_input_types.harassment == ["text"]
    assert (result.model_extra or {})["gateway"] == {
        "action": "allow",
        "findings": [],
        "toxicity_scores": {"profanity": result.category_scores.harassment},
        "failed_filters": [],
    }


def test_the_readmes_example_flags_the_text_and_says_why(client: OpenAI) -> None:
    result = client.moderations.create(input="Write to jane.doe@example.com, you fucking idiot").results[0]
    assert result.flagged is True and result.categories.harassment is True
    findings = (result.model_extra or {})["gateway"]["findings"]
    assert [(f["filter"], f["type"], f["action"]) for f in findings] == [
        ("pii", "EMAIL_ADDRESS", "redact"),
        ("toxicity", "profanity", "block"),
    ]


def test_every_category_of_the_current_list_is_in_the_answer(client: OpenAI) -> None:
    result = only_result(client, "hello there")
    for part in ("categories", "category_scores", "category_applied_input_types"):
        assert sorted(result[part]) == sorted(MODERATION_CATEGORIES)


def test_a_toxic_text_is_flagged_as_harassment_with_its_score(client: OpenAI) -> None:
    result = only_result(client, TOXIC)
    assert result["flagged"] is True
    assert [name for name, flagged in result["categories"].items() if flagged] == ["harassment"]
    assert result["category_scores"]["harassment"] > 0.9
    assert result["category_scores"]["harassment"] == result["gateway"]["toxicity_scores"]["profanity"]
    assert result["gateway"]["action"] == "block"
    assert [(f["filter"], f["type"], f["action"]) for f in result["gateway"]["findings"]] == [
        ("toxicity", "profanity", "block")
    ]


def test_categories_no_filter_judges_are_zero_false_and_apply_to_no_input(client: OpenAI) -> None:
    result = only_result(client, TOXIC)
    unjudged = [name for name in MODERATION_CATEGORIES if name != "harassment"]
    assert all(result["categories"][name] is False for name in unjudged)
    assert all(result["category_scores"][name] == 0 for name in unjudged)
    assert all(result["category_applied_input_types"][name] == [] for name in unjudged)


def test_an_email_is_reported_as_pii_that_answers_would_redact(client: OpenAI) -> None:
    result = only_result(client, f"write to {EMAIL} today")
    assert result["flagged"] is False  # the default operator replaces an e-mail: nothing to withhold
    assert result["gateway"]["action"] == "redact"
    assert [(f["filter"], f["type"], f["start"], f["end"]) for f in result["gateway"]["findings"]] == [
        ("pii", "EMAIL_ADDRESS", 9, 9 + len(EMAIL))
    ]


def test_an_email_is_flagged_for_a_team_that_blocks_emails(gateway: GatewayProcess) -> None:
    result = only_result(client_of(gateway, "mod-no-emails"), f"write to {EMAIL} today")
    assert result["flagged"] is True and result["gateway"]["action"] == "block"
    assert not any(result["categories"].values())  # PII is no OpenAI category; the findings say why


def test_a_blocklisted_phrase_is_flagged(client: OpenAI) -> None:
    result = only_result(client, "what is the status of PROJECT  bluebird?")
    assert result["flagged"] is True and result["gateway"]["action"] == "block"
    assert [(f["filter"], f["type"]) for f in result["gateway"]["findings"]] == [("blocklist", "blocklist_term")]


def test_the_teams_own_thresholds_decide(client: OpenAI, gateway: GatewayProcess) -> None:
    text = "this damn printer"
    strict = only_result(client, text)
    lenient = only_result(client_of(gateway, "mod-lenient"), text)
    assert strict["flagged"] is True and strict["categories"]["harassment"] is True
    assert lenient["flagged"] is False and lenient["categories"]["harassment"] is False
    assert lenient["category_scores"]["harassment"] == strict["category_scores"]["harassment"]


def test_a_team_with_every_filter_off_has_nothing_flagged_or_scored(gateway: GatewayProcess) -> None:
    result = only_result(client_of(gateway, "mod-open"), f"{TOXIC}, mail {EMAIL} about project bluebird")
    assert result["flagged"] is False
    assert not any(result["categories"].values()) and not any(result["category_scores"].values())
    assert not any(result["category_applied_input_types"].values())
    assert result["gateway"] == {"action": "allow", "findings": [], "toxicity_scores": {}, "failed_filters": []}


def test_a_list_of_strings_gets_one_result_per_string_in_order(client: OpenAI) -> None:
    body, _ = moderate(client, ["good morning", TOXIC, f"mail {EMAIL}"])
    assert [(r["flagged"], r["gateway"]["action"]) for r in body["results"]] == [
        (False, "allow"),
        (True, "block"),
        (False, "redact"),
    ]


def test_text_parts_are_one_input_read_as_one_text(client: OpenAI) -> None:
    result = only_result(client, [{"type": "text", "text": "news of Project"}, {"type": "text", "text": "Bluebird"}])
    assert result["flagged"] is True
    assert [f["filter"] for f in result["gateway"]["findings"]] == ["blocklist"]


def test_the_path_without_v1_answers_too(gateway: GatewayProcess) -> None:
    key = team_key(gateway, "mod-default")
    response = httpx.post(
        f"{gateway.root_url}/moderations", json={"input": TOXIC}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200
    assert problems(MODERATION, response.json()) == [] and response.json()["results"][0]["flagged"] is True


@pytest.mark.parametrize(
    ("text", "extra", "param", "code"),
    [
        ("hi", {"temperature": 0}, "temperature", "unknown_parameter"),
        ("hi", {"api_base": "http://attacker.example"}, "api_base", "unknown_parameter"),
        ([{"type": "text", "text": "hi"}, IMAGE], {}, "input[1]", "invalid_value"),
        ([{"type": "text", "text": "hi", "detail": "x"}], {}, "input[0].detail", "unknown_parameter"),
        (["hi", {"type": "text", "text": "mixed"}], {}, "input[1]", "invalid_type"),
        ([], {}, "input", "invalid_value"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client: OpenAI, text: str | list[Any], extra: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.moderations.create(input=text, extra_body=extra)
    assert (raised.value.param, raised.value.code) == (param, code)
    assert problems(ERROR_RESPONSE, raised.value.response.json()) == []


def test_an_image_part_is_refused_with_the_reason(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.moderations.create(input=[IMAGE])
    assert "image inputs are not supported" in raised.value.message


def test_a_body_over_the_size_limit_is_a_413(client: OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as raised:
        client.moderations.create(input="word " * MAX_REQUEST_BYTES)
    assert raised.value.status_code == 413 and raised.value.code == "request_too_large"


def test_a_request_without_a_key_is_a_401(gateway: GatewayProcess) -> None:
    response = httpx.post(f"{gateway.base_url}/moderations", json={"input": "hello"})
    assert response.status_code == 401
    assert problems(ERROR_RESPONSE, response.json()) == []
    assert response.json()["error"]["code"] == "missing_api_key"


def test_a_wrong_key_is_refused_through_the_sdk(gateway: GatewayProcess) -> None:
    stranger = OpenAI(base_url=gateway.base_url, api_key="sk-gw-not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.moderations.create(input="hello")


def test_each_call_writes_one_ledger_row_with_its_tokens_and_no_cost(client: OpenAI, ledger: Ledger) -> None:
    texts = ["the first text to check", "and a second one"]
    _, headers = moderate(client, texts)
    row = ledger.row(headers["x-request-id"])
    encoding = tiktoken.get_encoding("cl100k_base")
    assert (row.endpoint, row.team_name, row.status_code) == ("moderations", "mod-default", 200)
    assert row.prompt_tokens == sum(len(encoding.encode(text)) for text in texts) and row.usage_counted
    assert (row.completion_tokens, row.cost_nanos) == (0, 0)


def test_a_refused_call_writes_its_ledger_row_too(client: OpenAI, ledger: Ledger) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.moderations.create(input="hi", extra_body={"stream": True})
    row = ledger.row(raised.value.response.headers["x-request-id"])
    assert (row.endpoint, row.status_code, row.error_code) == ("moderations", 400, "unknown_parameter")


def test_the_teams_rate_limit_binds_moderations(gateway: GatewayProcess) -> None:
    team = "mod-limited"
    key = team_key(gateway, team)
    limited = httpx.post(f"{gateway.root_url}/admin/api/rate-limits", json={"team": team, "rpm": 2}, headers=ADMIN)
    assert limited.status_code == 201, limited.text
    client = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)
    allowed = [client.moderations.with_raw_response.create(input="tick") for _ in range(2)]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in allowed] == ["1", "0"]
    with pytest.raises(openai.RateLimitError) as raised:
        client.moderations.create(input="tick")
    assert raised.value.code == "rate_limit_exceeded"


def test_a_spent_budget_does_not_refuse_a_moderation_which_costs_nothing(gateway: GatewayProcess) -> None:
    team = "mod-spent"
    key = team_key(gateway, team)
    budget = {"team": team, "amount_usd": "0.00002", "period": "total"}
    assert httpx.post(f"{gateway.root_url}/admin/api/budgets", json=budget, headers=ADMIN).status_code == 201
    client = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(10):  # an answer's settlement may still be on its way
            client.chat.completions.create(
                model="gpt-test", messages=[{"role": "user", "content": "a b"}], max_tokens=5
            )
    assert refused.value.code == "insufficient_quota"
    assert client.moderations.create(input="still allowed").results[0].flagged is False
