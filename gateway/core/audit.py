"""The audit log: who did what, when, to which thing; written by every room, read by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from gateway.core.db import session_scope
from gateway.core.ids import time_ordered_hex
from gateway.core.models import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    # Pages are ordered by (at, id), newest first; a search by person walks that person's entries.
    __table_args__ = (
        Index("ix_audit_log_at_id", "at", "id"),
        Index("ix_audit_log_actor_at", "actor", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Written through a batched writer that may replay a batch after an outage: the uid makes it once.
    uid: str = Field(default_factory=time_ordered_hex, max_length=32, unique=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=128, description="e.g. admin-key, user:alice, key:sk-gw-AbCd1234")
    action: str = Field(max_length=64, index=True, description="e.g. review.approve, policy.block")
    team: str | None = Field(default=None, max_length=128, index=True)
    target: str | None = Field(default=None, max_length=128, index=True, description="e.g. a review id")
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    use_case: str | None = Field(default=None, max_length=32, index=True)


def add_audit_entry(
    session: Session,
    *,
    actor: str,
    action: str,
    team: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    use_case: str | None = None,
) -> AuditEntry:
    """Add an entry within the caller's transaction, so the action and its record commit together."""
    entry = AuditEntry(actor=actor, action=action, team=team, target=target, details=details or {}, use_case=use_case)
    session.add(entry)
    return entry


def list_audit_entries(
    engine: Engine, *, target: str | None = None, action_prefix: str | None = None, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    with session_scope(engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        if target is not None:
            query = query.where(AuditEntry.target == target)
        if action_prefix is not None:
            query = query.where(col(AuditEntry.action).startswith(action_prefix))
        return list(session.exec(query.offset(offset).limit(limit)))
