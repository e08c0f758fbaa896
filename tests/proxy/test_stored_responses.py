"""Stored responses keep their own turn and link to the one they continue: a conversation is read
back along the links, first turn first, from this process's memory or from the database, on
SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from filters.review_crypto import AnswerCipher
from gateway.core.errors import NotFound
from gateway.core.types import Principal
from gateway.ledger.writer import LedgerWriter
from gateway.proxy.stored_responses import (
    STORED_RESPONSES_TABLE,
    History,
    ResponseStore,
    StoredResponse,
    new_response_id,
)

pytestmark = pytest.mark.anyio
CIPHER = AnswerCipher([AnswerCipher.new_key()])
TEAM = Principal(team_id=1, team_name="support", key_id=1, key_prefix="sk-gw-a")
STRANGER = Principal(team_id=2, team_name="sales", key_id=2, key_prefix="sk-gw-b")


@pytest.fixture()
def engine(migrated_engine: Engine) -> Engine:
    return migrated_engine


@dataclass
class Stores:
    writer: LedgerWriter
    engine: Engine

    def new(self) -> ResponseStore:
        """A store as another process has it: the same database, nothing remembered."""
        return ResponseStore(self.engine, self.writer, CIPHER, timedelta(days=30))


@pytest.fixture
async def stores(engine: Engine, tmp_path: Path) -> AsyncIterator[Stores]:
    writer = LedgerWriter(engine, tmp_path / "spill", table=STORED_RESPONSES_TABLE, linger=0.0)
    await writer.start()
    yield Stores(writer, engine)
    await writer.close()


def turn(number: int) -> list[dict[str, Any]]:
    return [{"role": "user", "content": f"question {number}"}, {"role": "assistant", "content": f"answer {number}"}]


def answer(store: ResponseStore, number: int, history: History | None) -> str:
    response_id = new_response_id()
    store.save(TEAM, {"id": response_id, "object": "response", "n": number}, turn(number), history)
    return response_id


async def conversation_of(store: ResponseStore, turns: int) -> str:
    """`turns` responses, each continuing the one before; the last one's id."""
    response_id = answer(store, 1, None)
    for number in range(2, turns + 1):
        response_id = answer(store, number, await store.history(TEAM, response_id))
    return response_id


def sealed_turn(engine: Engine, response_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        row = session.get(StoredResponse, response_id)
    assert row is not None
    turn: list[dict[str, Any]] = orjson.loads(CIPHER.decrypt(row.conversation))
    return turn


async def test_a_conversation_is_read_back_first_turn_first_from_memory_and_from_the_database(stores: Stores) -> None:
    made_here = stores.new()
    last = await conversation_of(made_here, 4)
    expected = [message for number in range(1, 5) for message in turn(number)]
    assert (await made_here.history(TEAM, last)).messages == expected
    await stores.writer.drained()
    elsewhere = await stores.new().history(TEAM, last)
    assert elsewhere.messages == expected
    assert elsewhere.previous_id == last


@contextmanager
def counted_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])  # before_cursor_execute(conn, cursor, statement, ...)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_another_process_reads_a_whole_conversation_in_one_query(stores: Stores) -> None:
    last = await conversation_of(stores.new(), 5)
    await stores.writer.drained()
    elsewhere = stores.new()
    with counted_queries(stores.engine) as statements:
        history = await elsewhere.history(TEAM, last)
    assert len(history.messages) == 10
    assert len(statements) == 1, statements


async def test_each_response_stores_its_own_turn_and_the_conversations_first_id(stores: Stores) -> None:
    store = stores.new()
    first = answer(store, 1, None)
    second = answer(store, 2, await store.history(TEAM, first))
    third = answer(store, 3, await store.history(TEAM, second))
    await stores.writer.drained()
    assert sealed_turn(stores.engine, third) == turn(3)
    with Session(stores.engine) as session:
        links = {row.id: (row.previous_id, row.root_id) for row in session.exec(select(StoredResponse))}
    assert links == {first: (None, first), second: (first, first), third: (second, first)}
    assert (await stores.new().response(TEAM, second))["n"] == 2


async def test_a_branch_continues_from_its_own_response(stores: Stores) -> None:
    store = stores.new()
    first = answer(store, 1, None)
    answer(store, 2, await store.history(TEAM, first))
    branch = answer(store, 3, await store.history(TEAM, first))
    await stores.writer.drained()
    assert (await stores.new().history(TEAM, branch)).messages == turn(1) + turn(3)


async def test_another_team_reads_neither_the_conversation_nor_the_response(stores: Stores) -> None:
    last = await conversation_of(stores.new(), 2)
    await stores.writer.drained()
    with pytest.raises(NotFound) as missing:
        await stores.new().history(STRANGER, last)
    assert missing.value.param == "previous_response_id"
    with pytest.raises(NotFound):
        await stores.new().response(STRANGER, last)


async def test_a_long_conversation_stores_each_turn_once(stores: Stores) -> None:
    """Sixty turns hold sixty turns of text, not the 1,830 a copy of the conversation per
    response would."""
    last = await conversation_of(stores.new(), 60)
    await stores.writer.drained()
    with Session(stores.engine) as session:
        rows = session.exec(select(StoredResponse)).all()
    assert len(rows) == 60
    assert sum(len(orjson.loads(CIPHER.decrypt(row.conversation))) for row in rows) == 120
    assert len((await stores.new().history(TEAM, last)).messages) == 120
