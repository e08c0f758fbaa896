"""The rejection pipeline's storage: review items for blocked or flagged answers, and decisions.

The original answer and what the client received are stored encrypted (see review_crypto); the
findings keep types, spans and scores but never the matched text. Every decision writes an audit
entry in the same transaction; a blocklisting decision adds its blocklist entry there too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, func
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, col, select

from filters.blocklist_store import ensure_blocklisted
from filters.review_crypto import AnswerCipher
from gateway.core.audit import add_audit_entry
from gateway.core.db import session_scope
from gateway.core.models import utcnow

PAGE_SIZE = 50


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REJECT_AND_BLOCKLIST = "reject_and_blocklist"
    ESCALATE = "escalate"


OUTCOME = {
    ReviewDecision.APPROVE: ReviewStatus.APPROVED,
    ReviewDecision.REJECT: ReviewStatus.REJECTED,
    ReviewDecision.REJECT_AND_BLOCKLIST: ReviewStatus.REJECTED,
    ReviewDecision.ESCALATE: ReviewStatus.ESCALATED,
}
OPEN_STATUSES = (ReviewStatus.PENDING, ReviewStatus.ESCALATED)


class ReviewNotFound(Exception):
    pass


class ReviewAlreadyDecided(Exception):
    pass


class PhraseRequired(Exception):
    pass


class ReviewItem(SQLModel, table=True):
    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_created", "status", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    request_id: str = Field(index=True, max_length=64)
    team_id: int = Field(index=True)
    team: str = Field(max_length=128, index=True)
    key_id: int = Field(index=True)
    key_prefix: str = Field(max_length=32)
    model: str = Field(max_length=128)
    action: str = Field(max_length=16, description="block or flag")
    # ",pii,toxicity," so one portable LIKE finds items by filter on SQLite and PostgreSQL alike.
    filters: str = Field(max_length=256)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    original: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    delivered: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    streamed: bool = False
    prompt_ref: str | None = Field(default=None, max_length=200)
    status: str = Field(default=ReviewStatus.PENDING.value, max_length=16)
    reviewer: str | None = Field(default=None, max_length=128)
    decision: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    sla_due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    use_case: str | None = Field(default=None, max_length=32, index=True)

    def filter_names(self) -> list[str]:
        return [name for name in self.filters.split(",") if name]


@dataclass
class NewReview:
    """What the request path knows about an answer that a filter blocked or flagged."""

    request_id: str
    team_id: int
    team: str
    key_id: int
    key_prefix: str
    model: str
    action: str
    filters: list[str]
    findings: list[dict[str, Any]]
    original: str
    delivered: str
    streamed: bool = False
    prompt_ref: str | None = None
    use_case: str | None = None
    id: str = field(default_factory=lambda: "rev_" + secrets.token_hex(12))


def review_row(cipher: AnswerCipher, new: NewReview, sla: timedelta) -> dict[str, Any]:
    """The review item's column values (answers encrypted), for a batched writer."""
    return review_item(cipher, new, sla).model_dump()


def review_item(cipher: AnswerCipher, new: NewReview, sla: timedelta) -> ReviewItem:
    return ReviewItem(
        id=new.id,
        request_id=new.request_id,
        team_id=new.team_id,
        team=new.team,
        key_id=new.key_id,
        key_prefix=new.key_prefix,
        model=new.model,
        action=new.action,
        filters="," + ",".join(sorted(set(new.filters))) + ",",
        findings=new.findings,
        original=cipher.encrypt(new.original),
        delivered=cipher.encrypt(new.delivered),
        streamed=new.streamed,
        prompt_ref=new.prompt_ref,
        sla_due_at=utcnow() + sla,
        use_case=new.use_case,
    )


def create_review_item(engine: Engine, cipher: AnswerCipher, new: NewReview, sla: timedelta) -> ReviewItem:
    """Store a review item now, with its audit entry, in one transaction."""
    item = review_item(cipher, new, sla)
    with session_scope(engine) as session:
        session.add(item)
        add_audit_entry(
            session,
            actor=f"key:{new.key_prefix}",
            action=f"review.created.{new.action}",
            team=new.team,
            target=item.id,
            details={"filters": sorted(set(new.filters)), "request_id": new.request_id},
            use_case=new.use_case,
        )
    return item


@dataclass
class ReviewQuery:
    status: str | None = None
    team: str | None = None
    filter_name: str | None = None
    older_than: timedelta | None = None
    page: int = 1
    page_size: int = PAGE_SIZE


def list_review_items(engine: Engine, query: ReviewQuery) -> tuple[list[ReviewItem], int]:
    """One page of items, oldest SLA due time first (the most overdue on top), and the total."""
    conditions = []
    if query.status:
        conditions.append(col(ReviewItem.status) == query.status)
    if query.team:
        conditions.append(col(ReviewItem.team) == query.team)
    if query.filter_name:
        conditions.append(col(ReviewItem.filters).contains(f",{query.filter_name},", autoescape=True))
    if query.older_than is not None:
        conditions.append(col(ReviewItem.created_at) <= utcnow() - query.older_than)
    with session_scope(engine) as session:
        total = session.exec(select(func.count()).select_from(ReviewItem).where(*conditions)).one()
        rows = session.exec(
            select(ReviewItem)
            .where(*conditions)
            .order_by(col(ReviewItem.sla_due_at), col(ReviewItem.id))
            .offset((max(query.page, 1) - 1) * query.page_size)
            .limit(query.page_size)
        )
        return list(rows), int(total)


def get_review_item(engine: Engine, review_id: str) -> ReviewItem:
    with session_scope(engine) as session:
        item = session.get(ReviewItem, review_id)
    if item is None:
        raise ReviewNotFound(f"no review item {review_id!r}")
    return item


def decide_review_item(
    engine: Engine,
    review_id: str,
    decision: ReviewDecision,
    *,
    reviewer: str,
    note: str | None = None,
    phrase: str | None = None,
    phrase_kind: str = "term",
    blocklist_team: str | None = None,
) -> ReviewItem:
    """Record a decision; pending and escalated items may be decided, decided ones may not."""
    if decision is ReviewDecision.REJECT_AND_BLOCKLIST and not (phrase and phrase.strip()):
        raise PhraseRequired("reject_and_blocklist needs the phrase to blocklist")
    with session_scope(engine) as session:
        item = session.get(ReviewItem, review_id, with_for_update=True)
        if item is None:
            raise ReviewNotFound(f"no review item {review_id!r}")
        if item.status not in OPEN_STATUSES:
            raise ReviewAlreadyDecided(f"review item {review_id} was already decided ({item.status})")
        item.status = OUTCOME[decision].value
        item.decision = decision.value
        item.reviewer = reviewer
        item.note = note
        item.decided_at = utcnow()
        session.add(item)
        details: dict[str, Any] = {"note": note} if note else {}
        if decision is ReviewDecision.REJECT_AND_BLOCKLIST and phrase:
            entry = ensure_blocklisted(
                session,
                value=phrase.strip(),
                kind=phrase_kind,
                team=blocklist_team,
                created_by=reviewer,
                source_review_id=item.id,
            )
            details.update(
                {
                    "phrase": phrase.strip(),
                    "kind": phrase_kind,
                    "scope": blocklist_team or "global",
                    "blocklist_entry": entry.id,
                }
            )
        add_audit_entry(
            session,
            actor=reviewer,
            action=f"review.{decision.value}",
            team=item.team,
            target=item.id,
            details=details,
            use_case=item.use_case,
        )
    return item
