"""Output filters end to end: redaction, withheld answers, the review lifecycle, the blocklist."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from openai import OpenAI

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import gateway_config
from tests.helpers.waiting import wait_until

ADMIN = {"Authorization": "Bearer admin-test-key"}
EMAIL = "jane.doe@example.com"


@pytest.fixture(scope="module")
def key(sqlite_gateway: GatewayProcess) -> str:
    return sqlite_gateway.create_key("filtered")


@pytest.fixture(scope="module")
def client(sqlite_gateway: GatewayProcess, key: str) -> OpenAI:
    return OpenAI(base_url=sqlite_gateway.base_url, api_key=key, max_retries=0, timeout=30)


def ask(client: OpenAI, text: str, **extra: Any) -> Any:
    return client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": text}], **extra
    )


def streamed_text(client: OpenAI, text: str) -> tuple[str, list[Any]]:
    chunks = list(
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": text}], stream=True)
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return content, chunks


def review(gateway: GatewayProcess, review_id: str) -> dict[str, Any]:
    """The review item, read once: it is stored before its id is handed to the client."""
    response = httpx.get(f"{gateway.root_url}/admin/api/review/{review_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_pii_in_a_plain_answer_is_redacted(client: OpenAI) -> None:
    answer = ask(client, f"write to {EMAIL} or call 212-555-0199").parse()
    content = answer.choices[0].message.content
    assert EMAIL not in content and "<EMAIL_ADDRESS>" in content
    assert "212-555-0199" not in content and "<PHONE_NUMBER>" in content


def test_streamed_answer_never_releases_unscanned_email(client: OpenAI) -> None:
    prompt = "padding " * 30 + f"reach me at {EMAIL} " + "more padding " * 20
    plain = ask(client, prompt).parse().choices[0].message.content
    streamed, _ = streamed_text(client, prompt)
    assert EMAIL not in streamed
    assert streamed == plain


@pytest.mark.parametrize("disguised", ["jane.doe\uff20example.com", "jane.d\u200boe@example.com"])
def test_a_disguised_email_is_redacted_plain_and_streamed(client: OpenAI, disguised: str) -> None:
    prompt = "padding " * 20 + f"reach me at {disguised} " + "more padding " * 10
    plain = ask(client, prompt).parse().choices[0].message.content
    streamed, _ = streamed_text(client, prompt)
    assert plain is not None and "<EMAIL_ADDRESS>" in plain and "example.com" not in plain
    assert streamed == plain


def test_a_short_safe_answer_streams_in_several_chunks_with_the_filters_on(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="paced", messages=[{"role": "user", "content": "one two three four"}], stream=True
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == "Mock answer: one two three four"
    assert len(pieces) >= 3  # a word behind the model, not the whole answer at the end


def test_every_choice_is_redacted(client: OpenAI) -> None:
    answer = ask(client, f"mail {EMAIL}", n=2).parse()
    assert [EMAIL in (choice.message.content or "") for choice in answer.choices] == [False, False]


def test_tool_call_arguments_are_redacted(client: OpenAI) -> None:
    tools: list[Any] = [{"type": "function", "function": {"name": "send", "parameters": {"type": "object"}}}]
    answer = ask(client, f"send it to {EMAIL}", tools=tools).parse()
    calls = answer.choices[0].message.tool_calls
    assert calls is not None and calls[0].type == "function"
    arguments = json.loads(calls[0].function.arguments)
    assert arguments == {"input": "send it to <EMAIL_ADDRESS>"}


def test_streamed_tool_call_arguments_are_redacted(client: OpenAI) -> None:
    tools: list[Any] = [{"type": "function", "function": {"name": "send", "parameters": {"type": "object"}}}]
    chunks = list(
        client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": f"send to {EMAIL}"}], tools=tools, stream=True
        )
    )
    arguments = "".join(
        call.function.arguments or ""
        for chunk in chunks
        if chunk.choices
        for call in chunk.choices[0].delta.tool_calls or []
        if call.function is not None
    )
    assert json.loads(arguments) == {"input": "send to <EMAIL_ADDRESS>"}


def test_toxic_answer_is_withheld_reviewed_approved_and_released(
    client: OpenAI, sqlite_gateway: GatewayProcess, key: str
) -> None:
    raw = ask(client, "you are a fucking idiot")
    answer = raw.parse()
    assert answer.choices[0].finish_reason == "content_filter"
    assert "idiot" not in (answer.choices[0].message.content or "")
    review_id = raw.headers["x-gateway-review-id"]
    item = review(sqlite_gateway, review_id)
    assert item["status"] == "pending" and item["action"] == "block" and "toxicity" in item["filters"]
    assert "idiot" in item["original"]  # the reviewer sees the real answer
    status = httpx.get(
        f"{sqlite_gateway.base_url}/gateway/reviews/{review_id}", headers={"Authorization": f"Bearer {key}"}
    )
    assert status.json()["status"] == "pending" and "released" not in status.json()
    decided = httpx.post(
        f"{sqlite_gateway.root_url}/admin/api/review/{review_id}/decision",
        json={"decision": "approve", "note": "a quote from the user, fine"},
        headers=ADMIN,
    )
    assert decided.status_code == 200, decided.text
    released = httpx.get(
        f"{sqlite_gateway.base_url}/gateway/reviews/{review_id}", headers={"Authorization": f"Bearer {key}"}
    )
    assert released.json()["status"] == "approved"
    assert released.json()["released"]["choices"][0]["message"]["content"] == "Mock answer: you are a fucking idiot"
    history = review(sqlite_gateway, review_id)["history"]
    assert [entry["action"] for entry in history] == ["review.created.block", "review.approve"]


def test_another_key_cannot_read_a_review(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    review_id = ask(client, "you stupid moron").headers["x-gateway-review-id"]
    review(sqlite_gateway, review_id)
    other = sqlite_gateway.create_key("someone-else")
    response = httpx.get(
        f"{sqlite_gateway.base_url}/gateway/reviews/{review_id}", headers={"Authorization": f"Bearer {other}"}
    )
    assert response.status_code == 404


def test_flagged_answer_is_delivered_and_queued(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    raw = ask(client, "this damn printer")
    assert raw.parse().choices[0].message.content == "Mock answer: this damn printer"
    item = review(sqlite_gateway, raw.headers["x-gateway-review-id"])
    assert item["action"] == "flag" and item["status"] == "pending"


def test_streamed_toxic_answer_ends_with_content_filter_and_a_review_id(
    client: OpenAI, sqlite_gateway: GatewayProcess
) -> None:
    content, chunks = streamed_text(client, "you are a fucking idiot")
    assert "idiot" not in content
    assert any(c.choices and c.choices[0].finish_reason == "content_filter" for c in chunks)
    review_ids = [(c.model_extra or {}).get("gateway_review_id") for c in chunks if not c.choices]
    review_id = next(r for r in review_ids if r)
    assert review(sqlite_gateway, review_id)["streamed"] is True


def test_review_queue_lists_and_filters(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    review(sqlite_gateway, ask(client, "you stupid moron").headers["x-gateway-review-id"])
    listed = httpx.get(
        f"{sqlite_gateway.root_url}/admin/api/review", params={"status": "pending", "filter": "toxicity"}, headers=ADMIN
    ).json()
    assert listed["total"] >= 1
    assert all(item["status"] == "pending" and "toxicity" in item["filters"] for item in listed["data"])
    none = httpx.get(f"{sqlite_gateway.root_url}/admin/api/review", params={"older_than": "30d"}, headers=ADMIN).json()
    assert none["total"] == 0


def test_originals_are_encrypted_at_rest(client: OpenAI, sqlite_gateway: GatewayProcess) -> None:
    review_id = ask(client, "you are a fucking idiot, secretword").headers["x-gateway-review-id"]
    review(sqlite_gateway, review_id)
    engine = sqlalchemy.create_engine(f"sqlite:///{sqlite_gateway.workdir}/gateway.db")
    with engine.connect() as connection:
        row = connection.execute(
            sqlalchemy.text("SELECT original, delivered FROM review_items WHERE id = :id"), {"id": review_id}
        ).one()
    engine.dispose()
    assert b"secretword" not in bytes(row[0]) and b"secretword" not in bytes(row[1])


@pytest.fixture()
def two_gateways(
    tmp_path: Path, mock_upstream: RunningMockUpstream, postgres_url: str
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    first = GatewayProcess(tmp_path / "a", gateway_config(mock_upstream.url, postgres_url))
    second = GatewayProcess(tmp_path / "b", gateway_config(mock_upstream.url, postgres_url))
    first.cli("db", "upgrade")
    try:
        yield first.start(), second.start()
    finally:
        first.stop()
        second.stop()


def test_blocklisting_a_phrase_blocks_it_in_every_process(two_gateways: tuple[GatewayProcess, GatewayProcess]) -> None:
    first, second = two_gateways
    key = first.create_key("blocklisters")
    one = OpenAI(base_url=first.base_url, api_key=key, max_retries=0)
    two = OpenAI(base_url=second.base_url, api_key=key, max_retries=0)
    raw = one.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "you stupid moron, try project bluebird"}]
    )
    review_id = raw.headers["x-gateway-review-id"]
    review(first, review_id)
    decided = httpx.post(
        f"{first.root_url}/admin/api/review/{review_id}/decision",
        json={"decision": "reject_and_blocklist", "phrase": "Project Bluebird", "note": "internal code name"},
        headers=ADMIN,
    )
    assert decided.json()["status"] == "rejected"
    blocked: set[str] = set()

    def blocked_by_both() -> bool:
        for name, client in (("first", one), ("second", two)):
            answer = client.chat.completions.create(
                model="gpt-test", messages=[{"role": "user", "content": "tell me about PROJECT  bluebird"}]
            )
            if answer.choices[0].finish_reason == "content_filter":
                blocked.add(name)
        return blocked == {"first", "second"}

    wait_until(blocked_by_both, timeout=10, interval=0.2, waiting_for="both processes to block the phrase")


def test_a_team_with_every_filter_off_gets_answers_untouched(sqlite_gateway: GatewayProcess) -> None:
    client = OpenAI(base_url=sqlite_gateway.base_url, api_key=sqlite_gateway.create_key("unfiltered"), max_retries=0)
    plain = ask(client, f"mail {EMAIL}, you stupid moron").parse()
    assert plain.choices[0].message.content == f"Mock answer: mail {EMAIL}, you stupid moron"
    streamed, _ = streamed_text(client, f"mail {EMAIL}")
    assert streamed == f"Mock answer: mail {EMAIL}"
