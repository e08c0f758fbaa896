"""The review queue's JSON API beyond one item: search by words, request id and key prefix, the
prompt of an item, and bulk decisions (roles, CSRF for sessions, one audit entry per item)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_record
from filters.review_store import NewReview, create_review_item, get_review_item
from gateway.core.audit import list_audit_entries
from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

ADMIN = {"authorization": f"Bearer {ADMIN_KEY}"}


def new_item(engine: Engine, review_key: str, answer: str, prompt: str, key_prefix: str = "sk-gw-api00000") -> str:
    item = create_review_item(
        engine,
        AnswerCipher([review_key]),
        NewReview(
            request_id="req-" + secrets.token_hex(6),
            team_id=1,
            team="support",
            key_id=1,
            key_prefix=key_prefix,
            model="gpt-test",
            action="flag",
            filters=["toxicity"],
            findings=[],
            original=answer,
            delivered=answer,
            prompt=prompt_record([{"role": "user", "content": prompt}]),
        ),
        timedelta(hours=2),
    )
    return item.id


def ids(response: object) -> list[str]:
    return [row["id"] for row in response.json()["data"]]  # type: ignore[attr-defined]


def test_search_finds_items_by_words_of_the_answer_or_the_prompt(
    ui_app: TestClient, ui_database: tuple[str, Engine], review_key: str
) -> None:
    word = "marmalade" + secrets.token_hex(3)
    in_answer = new_item(ui_database[1], review_key, f"The {word.upper()} is ready.", "What is ready?")
    in_prompt = new_item(ui_database[1], review_key, "It is ready.", f"Is the {word} ready?")
    new_item(ui_database[1], review_key, "Nothing here.", "Anything?")
    found = ui_app.get("/admin/api/review", params={"q": word}, headers=ADMIN)
    assert found.status_code == 200 and set(ids(found)) == {in_answer, in_prompt}


def test_search_finds_items_by_request_id_and_key_prefix(
    ui_app: TestClient, ui_database: tuple[str, Engine], review_key: str
) -> None:
    prefix = "sk-gw-" + secrets.token_hex(4)
    review_id = new_item(ui_database[1], review_key, "answer", "prompt", key_prefix=prefix)
    request_id = get_review_item(ui_database[1], review_id).request_id
    for search in (request_id, prefix):
        assert ids(ui_app.get("/admin/api/review", params={"q": search}, headers=ADMIN)) == [review_id]


def test_a_search_longer_than_200_characters_is_refused(ui_app: TestClient) -> None:
    response = ui_app.get("/admin/api/review", params={"q": "x" * 201}, headers=ADMIN)
    assert response.status_code == 400 and response.json()["error"]["param"] == "q"


def test_an_item_carries_its_prompt(ui_app: TestClient, ui_database: tuple[str, Engine], review_key: str) -> None:
    review_id = new_item(ui_database[1], review_key, "answer", "Which printer jammed?")
    item = ui_app.get(f"/admin/api/review/{review_id}", headers=ADMIN).json()
    assert item["prompt"] == [{"role": "user", "text": "Which printer jammed?"}]


def test_bulk_rejects_each_item_with_one_note_and_one_audit_entry_each(
    ui_app: TestClient, ui_database: tuple[str, Engine], review_key: str
) -> None:
    engine = ui_database[1]
    chosen = [new_item(engine, review_key, f"answer {i}", "prompt") for i in range(3)]
    response = ui_app.post(
        "/admin/api/review/bulk",
        json={"ids": [*chosen, "rev_missing"], "decision": "reject", "note": "one incident"},
        headers=ADMIN,
    )
    assert response.status_code == 200
    assert response.json() == {"decided": chosen, "skipped": ["rev_missing"]}
    for review_id in chosen:
        assert get_review_item(engine, review_id).status == "rejected"
        entries = [(e.action, e.details) for e in list_audit_entries(engine, target=review_id)]
        assert entries.count(("review.reject", {"note": "one incident"})) == 1


def test_bulk_needs_a_note(ui_app: TestClient) -> None:
    response = ui_app.post("/admin/api/review/bulk", json={"ids": ["rev_x"], "decision": "approve"}, headers=ADMIN)
    assert response.status_code == 400 and response.json()["error"]["param"] == "note"


def test_bulk_is_refused_to_a_viewer(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "viewer")
    response = client.post(
        "/admin/api/review/bulk",
        json={"ids": ["rev_x"], "decision": "approve", "note": "n"},
        headers={"x-csrf-token": csrf_token(client)},
    )
    assert response.status_code == 403


def test_bulk_with_a_session_needs_its_csrf_token(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine], review_key: str
) -> None:
    review_id = new_item(ui_database[1], review_key, "answer", "prompt")
    client = make_client()
    sign_in(client, "reviewer")
    body = {"ids": [review_id], "decision": "approve", "note": "fine"}
    refused = client.post("/admin/api/review/bulk", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    assert get_review_item(ui_database[1], review_id).status == "pending"
    accepted = client.post("/admin/api/review/bulk", json=body, headers={"x-csrf-token": csrf_token(client)})
    assert accepted.status_code == 200 and accepted.json()["decided"] == [review_id]
