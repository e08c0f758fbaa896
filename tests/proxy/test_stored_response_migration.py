"""Migration r0005 makes `stored_responses` as the model declares it, on SQLite and PostgreSQL: a
response stored before it (its whole conversation in one row) is read back as a conversation of
its own, and stepping back keeps the responses that continue nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from filters.review_crypto import AnswerCipher
from gateway.core.db import create_database_engine
from gateway.core.migrate import alembic_config, upgrade_database
from gateway.core.models import utcnow
from gateway.core.types import Principal
from gateway.ledger.writer import LedgerWriter
from gateway.proxy.stored_responses import STORED_RESPONSES_TABLE, ResponseStore, StoredResponse

pytestmark = pytest.mark.anyio
CIPHER = AnswerCipher([AnswerCipher.new_key()])
WHOLE_CONVERSATION = [
    {"role": "user", "content": "my name is Ada"},
    {"role": "assistant", "content": "Hello Ada"},
    {"role": "user", "content": "what is my name?"},
    {"role": "assistant", "content": "Ada"},
]


def insert_as_before(url: str, response_id: str) -> None:
    """A row as the gateway wrote it at f0004: no links, the whole conversation."""
    engine = create_database_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO stored_responses (id, team_id, key_id, created_at, expires_at, conversation, response)"
                " VALUES (:id, 1, 1, :now, :expires, :conversation, :response)"
            ),
            {
                "id": response_id,
                "now": now,
                "expires": now + timedelta(days=1),
                "conversation": CIPHER.seal(orjson.dumps(WHOLE_CONVERSATION)),
                "response": CIPHER.seal(orjson.dumps({"id": response_id, "object": "response"})),
            },
        )
    engine.dispose()


async def test_a_response_stored_before_reads_as_its_own_conversation(any_database_url: str, tmp_path: Path) -> None:
    upgrade_database(any_database_url, "f0004")
    insert_as_before(any_database_url, "resp_before")
    upgrade_database(any_database_url)
    engine = create_database_engine(any_database_url)
    only_responses = MetaData()
    StoredResponse.__table__.to_metadata(only_responses)  # type: ignore[attr-defined]
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), only_responses)
    assert [d for d in differences if "stored_responses" in repr(d)] == []
    writer = LedgerWriter(engine, tmp_path / "spill", table=STORED_RESPONSES_TABLE, linger=0.0)
    await writer.start()
    store = ResponseStore(engine, writer, CIPHER, timedelta(days=30))
    team = Principal(team_id=1, team_name="support", key_id=1, key_prefix="sk-gw-a")
    history = await store.history(team, "resp_before")
    assert (history.messages, history.root_id) == (WHOLE_CONVERSATION, "resp_before")
    store.save(team, {"id": "resp_after", "object": "response"}, [{"role": "user", "content": "and?"}], history)
    await writer.close()
    command.downgrade(alembic_config(any_database_url), "f0004")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id FROM stored_responses")).scalars().all() == ["resp_before"]
    engine.dispose()
    upgrade_database(any_database_url)
