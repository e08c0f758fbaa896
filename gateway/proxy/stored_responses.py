"""Responses kept for `previous_response_id` and `GET /v1/responses/{id}`: each response's own turn
(the caller's input and the answer) and the response object, encrypted at rest with the review
items' keys (sealed: AES-GCM, the cheapest of the cipher's formats, as it is written on every
request), read only by the team that made them.

A continued response links to the one it continues, and its conversation is read back along the
links, first turn first: each response stores its own turn only, so a conversation of n turns
costs n turns of storage, not the n²/2 a copy of the whole conversation per response would.
The links share the id of their first response (`root_id`), and a conversation is forgotten as a
whole once its last response is past `answer_retention_days`: an older turn is kept as long as a
response that continues it, and a response past its own retention is no longer read by id.

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson
from sqlalchemy import Column, DateTime, Index, LargeBinary, delete, exists, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col

from filters.review_crypto import AnswerCipher, UndecryptableAnswer
from gateway.core.errors import GatewayError, NotFound
from gateway.core.models import utcnow
from gateway.core.types import Principal
from gateway.ledger.tables import LedgerTable
from gateway.ledger.writer import LedgerWriter


class StoredResponse(SQLModel, table=True):
    __tablename__ = "stored_responses"
    # Forgetting probes a conversation for a response still alive (forget_expired_responses).
    __table_args__ = (Index("ix_stored_responses_root_expiry", "root_id", "expires_at"),)

    id: str = Field(primary_key=True, max_length=64)
    team_id: int
    key_id: int
    previous_id: str | None = Field(default=None, max_length=64)  # the response this one continues
    root_id: str = Field(max_length=64)  # the conversation's first response (this one's id if none)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    conversation: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # this turn's chat messages, encrypted
    response: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the response object, encrypted


STORED_RESPONSES_TABLE = LedgerTable("responses", StoredResponse.__table__, "id")  # type: ignore[attr-defined]
log = logging.getLogger(__name__)
RECENT_RESPONSES = 2_000  # remembered per process, longer than their batch takes to land (see above)
BATCH_LANDING_SECONDS = 0.5  # longer than a writer's linger (0.2 s) and its insert
_Found = TypeVar("_Found")  # what a read answers: one response, or a conversation's by id


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
    previous_id: str | None
    root_id: str
    conversation: bytes
    response: bytes

    @classmethod
    def of(cls, row: Any) -> _Kept:
        return cls(row.team_id, _utc(row.expires_at), row.previous_id, row.root_id, row.conversation, row.response)


@dataclass(frozen=True, slots=True)
class History:
    """The conversation a new response continues: its chat messages, first turn first, and the
    ids the new response links to."""

    previous_id: str
    root_id: str
    messages: list[dict[str, Any]]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


class ResponseStore:
    def __init__(self, engine: Engine, writer: LedgerWriter, cipher: AnswerCipher, retention: timedelta) -> None:
        self._engine = engine
        self._writer = writer
        self._cipher = cipher
        self._retention = retention
        self._recent: OrderedDict[str, _Kept] = OrderedDict()

    def save(
        self, principal: Principal, response: dict[str, Any], turn: list[dict[str, Any]], history: History | None
    ) -> None:
        """Keep `response` with its own `turn` of the conversation, linked to the `history` it
        continues."""
        now = utcnow()
        kept = _Kept(
            principal.team_id,
            now + self._retention,
            history.previous_id if history else None,
            history.root_id if history else response["id"],
            self._cipher.seal(orjson.dumps(turn)),
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
                "previous_id": kept.previous_id,
                "root_id": kept.root_id,
                "created_at": now,
                "expires_at": kept.expires_at,
                "conversation": kept.conversation,
                "response": kept.response,
            }
        )

    def _read(self, response_id: str) -> _Kept | None:
        with Session(self._engine) as session:
            stored = session.get(StoredResponse, response_id)
        return None if stored is None else _Kept.of(stored)

    def _read_links(self, response_id: str) -> dict[str, _Kept]:
        """`response_id` and every response it continues, in one query."""
        table = StoredResponse.__table__  # type: ignore[attr-defined]
        chain = select(table).where(table.c.id == response_id).cte("chain", recursive=True)
        chain = chain.union_all(select(table).join(chain, table.c.id == chain.c.previous_id))
        with Session(self._engine) as session:
            return {row.id: _Kept.of(row) for row in session.execute(select(chain))}

    async def _read_landed(self, read: Callable[[str], _Found], response_id: str) -> _Found:
        """`read(response_id)`, and once more after a batch had time to land if it found nothing:
        the response may have been made a moment ago by another process."""
        found = await asyncio.to_thread(read, response_id)
        if not found:
            await asyncio.sleep(BATCH_LANDING_SECONDS)
            found = await asyncio.to_thread(read, response_id)
        return found

    async def _find(self, principal: Principal, response_id: str, param: str | None) -> _Kept:
        kept = self._recent.get(response_id) or await self._read_landed(self._read, response_id)
        return _readable(principal, response_id, kept, param)

    async def _links(self, principal: Principal, response_id: str) -> list[_Kept]:
        """The response and those it continues, newest first: from this process's memory as far
        as it remembers them, the rest from the database in one query."""
        stored: dict[str, _Kept] = {}
        head = self._recent.get(response_id)
        if head is None:
            stored = await self._read_landed(self._read_links, response_id)
            head = stored.get(response_id)
        links = [_readable(principal, response_id, head, "previous_response_id")]
        while (previous := links[-1].previous_id) is not None:
            kept = self._recent.get(previous) or stored.get(previous)
            if kept is None:
                stored = await asyncio.to_thread(self._read_links, previous)
                kept = stored.get(previous)
            # Its conversation is kept while it lives (see above), and is all one team's.
            if kept is None or kept.team_id != principal.team_id:
                log.error("stored response %s continues %s, which is missing", response_id, previous)
                raise _not_found(response_id, "previous_response_id")
            links.append(kept)
        return links

    def _open(self, response_id: str, sealed: bytes) -> Any:
        try:
            return orjson.loads(self._cipher.decrypt(sealed))
        except UndecryptableAnswer:
            log.error("stored response %s cannot be decrypted: every process needs the same review keys", response_id)
            raise GatewayError(
                "The stored response cannot be read by this gateway.", code="response_unreadable"
            ) from None

    async def history(self, principal: Principal, response_id: str) -> History:
        """The conversation up to and including `response_id`, for a response that continues it."""
        links = await self._links(principal, response_id)
        messages = [message for kept in reversed(links) for message in self._open(response_id, kept.conversation)]
        return History(response_id, links[-1].root_id, messages)

    async def response(self, principal: Principal, response_id: str) -> dict[str, Any]:
        response: dict[str, Any] = self._open(response_id, (await self._find(principal, response_id, None)).response)
        return response


def _readable(principal: Principal, response_id: str, kept: _Kept | None, param: str | None) -> _Kept:
    """`kept` if the principal's team may read it now, else its not-found error."""
    if kept is None or kept.team_id != principal.team_id or kept.expires_at <= utcnow():
        raise _not_found(response_id, param)
    return kept


def _not_found(response_id: str, param: str | None) -> NotFound:
    # Another team's response is reported as missing, not forbidden: ids must not be probed.
    return NotFound(f"Response with id '{response_id}' not found.", param=param, code="response_not_found")


def forget_expired_responses(engine: Engine, now: datetime) -> int:
    """Delete the conversations whose every response is past its retention (each was already
    unreadable by id); answers how many responses were deleted."""
    alive = aliased(StoredResponse)
    still_continued = exists().where(col(alive.root_id) == col(StoredResponse.root_id), col(alive.expires_at) > now)
    expired_roots = select(col(StoredResponse.root_id)).where(col(StoredResponse.expires_at) <= now)
    with engine.begin() as connection:
        result = connection.execute(
            delete(StoredResponse).where(col(StoredResponse.root_id).in_(expired_roots), ~still_continued)
        )
        return int(result.rowcount)
