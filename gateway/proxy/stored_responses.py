"""Responses kept for `previous_response_id` and `GET /v1/responses/{id}`: the conversation so far
and the response object, encrypted at rest with the review items' keys (sealed: AES-GCM, the
cheapest of the cipher's formats, as it is written on every request), read only by the team
that made them, and forgotten after `answer_retention_days`.

They go to the database in the ledger writer's batches (durable: spilled to disk while the database
is away), as a write per response cost more CPU than the rest of the request. So that an id can be
continued at once, this process remembers the last responses it made, sealed as their rows are:
enough to outlast a batch's landing at any rate one process serves (2,000 are 0.6 s at 3,000
requests/s), and no more: remembering 10,000, as JSON beside the sealed rows, cost about 30 µs of
CPU per request at c=16 (benchmarks.proxy --apis responses). A lookup that misses the database
looks again once a batch of another process has had time to land. While the database is away,
only the remembered ones can be continued; the others are in the spill files, and can be once it
is back.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Column, DateTime, LargeBinary, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col

from filters.review_crypto import AnswerCipher, UndecryptableAnswer
from gateway.core.errors import GatewayError, NotFound
from gateway.core.models import utcnow
from gateway.core.types import Principal
from gateway.ledger.tables import LedgerTable
from gateway.ledger.writer import LedgerWriter


class StoredResponse(SQLModel, table=True):
    __tablename__ = "stored_responses"

    id: str = Field(primary_key=True, max_length=64)
    team_id: int = Field(index=True)
    key_id: int
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    conversation: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # chat messages, encrypted
    response: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the response object, encrypted


STORED_RESPONSES_TABLE = LedgerTable("responses", StoredResponse.__table__, "id")  # type: ignore[attr-defined]
log = logging.getLogger(__name__)
RECENT_RESPONSES = 2_000  # remembered per process, longer than their batch takes to land (see above)
BATCH_LANDING_SECONDS = 0.5  # longer than a writer's linger (0.2 s) and its insert


def new_response_id() -> str:
    """A response id that sorts by when it was made (the clock's nanoseconds, then 64 random bits):
    each stored row then lands at the end of the primary key's index instead of on a random page
    of it, which made every batch rewrite about one index page per row (an insert cost 28 µs of
    CPU per row at 20,000 rows stored, 17 µs so)."""
    return f"resp_{time.time_ns():016x}{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class _Kept:
    """A response as remembered: sealed, as its row is, so that remembering it allocates nothing
    more than writing it (and a lookup, rare next to writes, decrypts)."""

    team_id: int
    expires_at: datetime
    conversation: bytes
    response: bytes


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


class ResponseStore:
    def __init__(self, engine: Engine, writer: LedgerWriter, cipher: AnswerCipher, retention: timedelta) -> None:
        self._engine = engine
        self._writer = writer
        self._cipher = cipher
        self._retention = retention
        self._recent: OrderedDict[str, _Kept] = OrderedDict()

    def save(self, principal: Principal, response: dict[str, Any], conversation: list[dict[str, Any]]) -> None:
        now = utcnow()
        kept = _Kept(
            principal.team_id,
            now + self._retention,
            self._cipher.seal(orjson.dumps(conversation)),
            self._cipher.seal(orjson.dumps(response)),
        )
        self._recent[response["id"]] = kept
        if len(self._recent) > RECENT_RESPONSES:
            self._recent.popitem(last=False)
        self._writer.submit_row(
            {
                "id": response["id"],
                "team_id": principal.team_id,
                "key_id": principal.key_id,
                "created_at": now,
                "expires_at": kept.expires_at,
                "conversation": kept.conversation,
                "response": kept.response,
            }
        )

    def _read(self, response_id: str) -> _Kept | None:
        with Session(self._engine) as session:
            stored = session.get(StoredResponse, response_id)
        if stored is None:
            return None
        return _Kept(stored.team_id, _utc(stored.expires_at), stored.conversation, stored.response)

    async def _find(self, principal: Principal, response_id: str, param: str | None) -> _Kept:
        kept = self._recent.get(response_id)
        if kept is None:
            kept = await asyncio.to_thread(self._read, response_id)
        if kept is None:
            await asyncio.sleep(BATCH_LANDING_SECONDS)  # made a moment ago by another process?
            kept = await asyncio.to_thread(self._read, response_id)
        if kept is None or kept.team_id != principal.team_id or kept.expires_at <= utcnow():
            # Another team's response is reported as missing, not forbidden: ids must not be probed.
            raise NotFound(f"Response with id '{response_id}' not found.", param=param, code="response_not_found")
        return kept

    def _open(self, response_id: str, sealed: bytes) -> Any:
        try:
            return orjson.loads(self._cipher.decrypt(sealed))
        except UndecryptableAnswer:
            log.error("stored response %s cannot be decrypted: every process needs the same review keys", response_id)
            raise GatewayError(
                "The stored response cannot be read by this gateway.", code="response_unreadable"
            ) from None

    async def conversation(self, principal: Principal, response_id: str) -> list[dict[str, Any]]:
        conversation: list[dict[str, Any]] = self._open(
            response_id, (await self._find(principal, response_id, "previous_response_id")).conversation
        )
        return conversation

    async def response(self, principal: Principal, response_id: str) -> dict[str, Any]:
        response: dict[str, Any] = self._open(response_id, (await self._find(principal, response_id, None)).response)
        return response


def forget_expired_responses(engine: Engine, now: datetime) -> int:
    """Delete the stored responses past their retention (they were already unreadable); answers
    how many."""
    with engine.begin() as connection:
        result = connection.execute(delete(StoredResponse).where(col(StoredResponse.expires_at) <= now))
        return int(result.rowcount)
