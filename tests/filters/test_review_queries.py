"""The review queue's queries on a migrated SQLite and PostgreSQL database alike: word search
(PostgreSQL through its GIN index of tags), named searches, pages past the last, the next item."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_record
from filters.review_search import SearchIndex
from filters.review_store import NewReview, ReviewQuery, create_review_item, list_review_items, next_review_item

CIPHER = AnswerCipher([AnswerCipher.new_key()])
INDEX = SearchIndex.from_cipher(CIPHER)


@pytest.fixture()
def engine(migrated_engine: Engine) -> Engine:
    return migrated_engine


def add(engine: Engine, answer: str, prompt: str, minutes: int, key_prefix: str = "sk-gw-a") -> str:
    body = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]}
    new = NewReview(
        request_id=f"req-{minutes}",
        team_id=1,
        team="support",
        key_id=1,
        key_prefix=key_prefix,
        model="m",
        action="flag",
        filters=["toxicity"],
        findings=[],
        original=json.dumps(body),
        delivered="",
        prompt=prompt_record([{"role": "user", "content": prompt}]),
    )
    return create_review_item(engine, CIPHER, new, timedelta(minutes=minutes)).id


def search(engine: Engine, text: str, page: int = 1) -> list[str]:
    query = ReviewQuery(search=text, search_words=INDEX.query(text), page=page)
    return [item.id for item in list_review_items(engine, query)[0]]


def test_words_of_the_answer_and_of_the_prompt_are_found_together(engine: Engine) -> None:
    both = add(engine, "The quartz fountain", "Where is the zebra?", 1)
    add(engine, "The quartz fountain", "Where is the lion?", 2)
    assert search(engine, "zebra QUARTZ") == [both]


def test_a_request_id_or_key_prefix_finds_its_items_and_not_word_matches(engine: Engine) -> None:
    named = add(engine, "plain", "plain", 3, key_prefix="sk-gw-named")
    add(engine, "mentions sk-gw-named in its text", "plain", 4)
    assert search(engine, "sk-gw-named") == [named]
    assert search(engine, "req-3") == [named]


def test_a_page_past_the_last_reads_as_the_last(engine: Engine) -> None:
    ids = [add(engine, f"answer {n}", "prompt", 10 + n) for n in range(3)]
    query = ReviewQuery(page=99, page_size=2)
    items, total = list_review_items(engine, query)
    assert (total, query.page, [item.id for item in items]) == (3, 2, ids[2:])


def test_the_next_item_follows_in_queue_order_and_wraps_to_the_first(engine: Engine) -> None:
    first, second = add(engine, "a", "p", 20), add(engine, "b", "p", 21)
    items, _ = list_review_items(engine, ReviewQuery())
    by_id = {item.id: item for item in items}
    assert next_review_item(engine, ReviewQuery(), by_id[first]) == second
    assert next_review_item(engine, ReviewQuery(), by_id[second]) == first
