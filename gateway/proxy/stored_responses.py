"""Responses kept for `previous_response_id` and `GET /v1/responses/{id}`: the conversation so far
and the response object, encrypted at rest with the review items' cipher, written before the
response is handed out (queued durably while the database is away), read only by the team that
made them, and forgotten after `stored_response_days`."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Column, DateTime, LargeBinary
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from filters.review_crypto import AnswerCipher
from gateway.core.errors import NotFound
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


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


class ResponseStore:
    def __init__(self, engine: Engine, writer: LedgerWriter, cipher: AnswerCipher, retention: timedelta) -> None:
        self._engine = engine
        self._writer = writer
        self._cipher = cipher
        self._retention = retention

    async def save(self, principal: Principal, response: dict[str, Any], conversation: list[dict[str, Any]]) -> None:
        now = utcnow()
        row = {
            "id": response["id"],
            "team_id": principal.team_id,
            "key_id": principal.key_id,
            "created_at": now,
            "expires_at": now + self._retention,
            "conversation": self._cipher.encrypt(orjson.dumps(conversation).decode()),
            "response": self._cipher.encrypt(orjson.dumps(response).decode()),
        }
        await self._writer.write_now(row)

    def _read(self, response_id: str, team_id: int) -> StoredResponse | None:
        with Session(self._engine) as session:
            stored = session.get(StoredResponse, response_id)
        if stored is None or stored.team_id != team_id or _utc(stored.expires_at) <= utcnow():
            return None
        return stored

    async def _find(self, principal: Principal, response_id: str, param: str | None) -> StoredResponse:
        stored = await asyncio.to_thread(self._read, response_id, principal.team_id)
        if stored is None:
            # Another team's response is reported as missing, not forbidden: ids must not be probed.
            raise NotFound(f"Response with id '{response_id}' not found.", param=param, code="response_not_found")
        return stored

    async def conversation(self, principal: Principal, response_id: str) -> list[dict[str, Any]]:
        stored = await self._find(principal, response_id, "previous_response_id")
        messages: list[dict[str, Any]] = orjson.loads(self._cipher.decrypt(stored.conversation))
        return messages

    async def response(self, principal: Principal, response_id: str) -> dict[str, Any]:
        stored = await self._find(principal, response_id, None)
        response: dict[str, Any] = orjson.loads(self._cipher.decrypt(stored.response))
        return response
