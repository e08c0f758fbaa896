"""Answers kept past `answer_retention_days`: a decided review item's texts are erased (its decision,
findings and times stay), an open one keeps everything, and stored responses past their expiry are
deleted; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_record
from filters.review_search import SearchIndex
from filters.review_store import (
    NewReview,
    ReviewDecision,
    ReviewQuery,
    create_review_item,
    decide_review_item,
    erase_decided_texts,
    get_review_item,
    list_review_items,
)
from gateway.core.models import utcnow
from gateway.proxy.stored_responses import StoredResponse, forget_expired_responses

CIPHER = AnswerCipher([AnswerCipher.new_key()])
INDEX = SearchIndex.from_cipher(CIPHER)


@pytest.fixture()
def engine(migrated_engine: Engine) -> Engine:
    return migrated_engine


def add(engine: Engine, answer: str) -> str:
    body = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}
    new = NewReview(
        request_id=f"req-{answer}",
        team_id=1,
        team="support",
        key_id=1,
        key_prefix="sk-gw-a",
        model="m",
        action="flag",
        filters=["toxicity"],
        findings=[{"filter": "toxicity", "type": "profanity", "score": 0.9}],
        original=json.dumps(body),
        delivered=json.dumps(body),
        prompt=prompt_record([{"role": "user", "content": f"asked about {answer}"}]),
    )
    return create_review_item(engine, CIPHER, new, timedelta(hours=24)).id


def decide(engine: Engine, review_id: str) -> None:
    decide_review_item(engine, review_id, ReviewDecision.REJECT, reviewer="user:rita", note="rude")


def found(engine: Engine, word: str) -> list[str]:
    return [item.id for item in list_review_items(engine, ReviewQuery(search=word, search_words=INDEX.query(word)))[0]]


def test_a_decided_items_texts_are_erased_and_its_decision_stays(engine: Engine) -> None:
    decided = add(engine, "walrus")
    decide(engine, decided)
    assert found(engine, "walrus") == [decided]

    assert erase_decided_texts(engine, utcnow() + timedelta(seconds=1)) == 1

    item = get_review_item(engine, decided)
    assert item.erased and item.prompt is None
    assert (item.status, item.decision, item.reviewer, item.note) == ("rejected", "reject", "user:rita", "rude")
    assert item.findings == [{"filter": "toxicity", "type": "profanity", "score": 0.9}]
    assert found(engine, "walrus") == []  # its word index went with the texts


def test_an_open_item_and_one_decided_after_the_cutoff_keep_their_texts(engine: Engine) -> None:
    pending = add(engine, "narwhal")
    recent = add(engine, "beluga")
    cutoff = utcnow()
    decide(engine, recent)

    assert erase_decided_texts(engine, cutoff) == 0
    assert erase_decided_texts(engine, utcnow() + timedelta(days=365)) == 1  # only the decided one, ever

    assert not get_review_item(engine, pending).erased
    assert CIPHER.decrypt(get_review_item(engine, pending).original)
    assert get_review_item(engine, recent).erased


def test_erasing_twice_erases_nothing_more(engine: Engine) -> None:
    decide(engine, add(engine, "orca"))
    later = utcnow() + timedelta(seconds=1)
    assert erase_decided_texts(engine, later) == 1
    assert erase_decided_texts(engine, later) == 0


def store(engine: Engine, response_id: str, root_id: str, expires: timedelta) -> None:
    now = utcnow()
    with Session(engine) as session:
        session.add(
            StoredResponse(
                id=response_id,
                team_id=1,
                key_id=1,
                previous_id=None if response_id == root_id else root_id,
                root_id=root_id,
                created_at=now - timedelta(days=30),
                expires_at=now + expires,
                conversation=CIPHER.seal(b"[]"),
                response=CIPHER.seal(b"{}"),
            )
        )
        session.commit()


def stored_ids(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(StoredResponse.id)))


def test_stored_responses_past_their_expiry_are_deleted(engine: Engine) -> None:
    store(engine, "resp_old", "resp_old", -timedelta(minutes=1))
    store(engine, "resp_new", "resp_new", timedelta(days=1))

    assert forget_expired_responses(engine, utcnow()) == 1
    assert stored_ids(engine) == {"resp_new"}


def test_a_conversation_is_forgotten_with_its_last_response(engine: Engine) -> None:
    """Its first turns are part of a response still kept (as a copy of them inside it would be)."""
    store(engine, "resp_first", "resp_first", -timedelta(minutes=2))
    store(engine, "resp_then", "resp_first", timedelta(minutes=1))

    assert forget_expired_responses(engine, utcnow()) == 0
    assert forget_expired_responses(engine, utcnow() + timedelta(minutes=2)) == 2
    assert stored_ids(engine) == set()
