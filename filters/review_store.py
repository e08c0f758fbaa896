"""The rejection pipeline's storage: review items for blocked or flagged answers, and decisions.

The original answer, what the client received and the prompt that produced it are stored encrypted
(see review_crypto), with a keyed blind index of their words for search (see review_search); the
findings keep types, spans and scores but never the matched text. Every decision writes an audit
entry in the same transaction; a blocklisting decision adds its blocklist entry there too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Text,
    and_,
    cast,
    func,
    literal_column,
    or_,
    text,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from filters.answer import answer_slots
from filters.blocklist_store import ensure_blocklisted
from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_messages
from filters.review_search import SearchIndex
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


ERASED = b""  # the answer and delivered columns of an item whose texts the retention erased


class ReviewNotFound(Exception):
    pass


class ReviewAlreadyDecided(Exception):
    pass


class PhraseRequired(Exception):
    pass


class ReviewItem(SQLModel, table=True):
    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_status_created", "status", "created_at"),
        # The queue's order within a status: a page, a jump to the last page and "the next item"
        # walk this index instead of sorting the status's rows.
        Index("ix_review_items_status_due", "status", "sla_due_at", "id"),
        # Word search on PostgreSQL: the blind index's tags as an array, in a GIN index.
        Index(
            "ix_review_items_search_tags",
            text("string_to_array(btrim(search_terms), ' ')"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: str = Field(primary_key=True, max_length=40)
    request_id: str = Field(index=True, max_length=64)
    team_id: int = Field(index=True)
    team: str = Field(max_length=128, index=True)
    key_id: int = Field(index=True)
    key_prefix: str = Field(max_length=32, index=True)
    model: str = Field(max_length=128)
    action: str = Field(max_length=16, description="block or flag")
    # ",pii,toxicity," so one portable LIKE finds items by filter on SQLite and PostgreSQL alike.
    filters: str = Field(max_length=256)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    original: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    delivered: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    streamed: bool = False
    prompt_ref: str | None = Field(default=None, max_length=200)
    # The request's messages (review_prompt's form), encrypted; None for items made before it was kept.
    prompt: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # The blind index of the answer's and the prompt's words (review_search); '' when it has none.
    search_terms: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
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

    @property
    def erased(self) -> bool:
        """Its texts were erased after the retention period (an encrypted token is never empty)."""
        return self.original == ERASED


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
    prompt: str | None = None  # review_prompt.prompt_record of the request's messages
    id: str = field(default_factory=lambda: "rev_" + secrets.token_hex(12))


def review_row(cipher: AnswerCipher, new: NewReview, sla: timedelta) -> dict[str, Any]:
    """The review item's column values (answers encrypted), for a batched writer."""
    return review_item(cipher, new, sla).model_dump()


def answer_text(stored: str) -> str:
    """The texts of a stored chat completion (choices' content, tool calls' arguments) as one text."""
    try:
        body = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return stored
    if not isinstance(body, dict):
        return stored
    return "\n\n".join(slot.text for slot in answer_slots(body)) or stored


def review_item(cipher: AnswerCipher, new: NewReview, sla: timedelta) -> ReviewItem:
    prompt_texts = [message.text for message in prompt_messages(new.prompt)] if new.prompt else []
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
        prompt=cipher.encrypt(new.prompt) if new.prompt is not None else None,
        search_terms=SearchIndex.from_cipher(cipher).terms([answer_text(new.original), *reversed(prompt_texts)]),
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
    # A search: an item matches when its request id or key prefix is the search, or when it holds
    # every word (the stored forms of each word under every key: SearchIndex.query).
    search: str | None = None
    search_words: list[list[str]] = field(default_factory=list)
    page: int = 1
    page_size: int = PAGE_SIZE


def _word_condition(dialect: str, search_words: list[list[str]]) -> Any:
    """Items holding every word (under some key). PostgreSQL asks a GIN index of the tags as an
    array; elsewhere a LIKE per tag scans (tags are hex, so LIKE needs no escaping)."""
    terms = col(ReviewItem.search_terms)
    if dialect == "postgresql":
        # Spelled as the index's expression, so the planner matches it.
        tags = func.string_to_array(func.btrim(terms), literal_column("' '"), type_=postgresql.ARRAY(Text))
        return and_(
            *(
                tags.op("&&")(cast(postgresql.array([form.strip() for form in forms]), postgresql.ARRAY(Text)))
                for forms in search_words
            )
        )
    return and_(*(or_(*(terms.contains(form) for form in forms)) for forms in search_words))


def _conditions(session: Session, query: ReviewQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.status:
        conditions.append(col(ReviewItem.status) == query.status)
    if query.team:
        conditions.append(col(ReviewItem.team) == query.team)
    if query.filter_name:
        conditions.append(col(ReviewItem.filters).contains(f",{query.filter_name},", autoescape=True))
    if query.older_than is not None:
        conditions.append(col(ReviewItem.created_at) <= utcnow() - query.older_than)
    if query.search:
        # A search that names items (a request id, a key prefix, an item id) finds those, through
        # their indexes; any other is a search for words.
        # One SELECT per index, united: an OR of the three let SQLite walk every row of the status.
        named = col(ReviewItem.id).in_(
            union(
                select(ReviewItem.id).where(col(ReviewItem.request_id) == query.search),
                select(ReviewItem.id).where(col(ReviewItem.key_prefix) == query.search),
                select(ReviewItem.id).where(col(ReviewItem.id) == query.search),
            )
        )
        if session.exec(select(ReviewItem.id).where(named).limit(1)).first() is not None or not query.search_words:
            conditions.append(named)
        else:
            conditions.append(_word_condition(session.get_bind().dialect.name, query.search_words))
    return conditions


def last_page(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def list_review_items(engine: Engine, query: ReviewQuery) -> tuple[list[ReviewItem], int]:
    """One page of items, oldest SLA due time first (the most overdue on top), and the total.
    A page past the last one reads as the last page (`query.page` is set to it)."""
    order = (col(ReviewItem.sla_due_at), col(ReviewItem.id))
    with session_scope(engine) as session:
        conditions = _conditions(session, query)
        total = int(session.exec(select(func.count()).select_from(ReviewItem).where(*conditions)).one())
        query.page = min(max(query.page, 1), last_page(total, query.page_size))
        # The page's ids first (an index-only walk past the skipped rows), then their rows: skipping
        # 30,000 whole rows to reach the last page read every one of them from the table.
        ids = (
            select(ReviewItem.id)
            .where(*conditions)
            .order_by(*order)
            .offset((query.page - 1) * query.page_size)
            .limit(query.page_size)
        )
        rows = session.exec(select(ReviewItem).where(col(ReviewItem.id).in_(ids.scalar_subquery())).order_by(*order))
        return list(rows), total


def next_review_item(engine: Engine, query: ReviewQuery, after: ReviewItem) -> str | None:
    """The id of the item that follows `after` in the queue `query` describes (the first one when
    `after` was the last), skipping `after` itself; None when the queue holds nothing else."""
    position = tuple_(col(ReviewItem.sla_due_at), col(ReviewItem.id)) > tuple_(after.sla_due_at, after.id)
    order = (col(ReviewItem.sla_due_at), col(ReviewItem.id))
    with session_scope(engine) as session:
        conditions = _conditions(session, query)
        for where in ([*conditions, position], [*conditions, col(ReviewItem.id) != after.id]):
            found = session.exec(select(ReviewItem.id).where(*where).order_by(*order).limit(1)).first()
            if found is not None:
                return str(found)
    return None


def erase_decided_texts(engine: Engine, decided_before: datetime) -> int:
    """Erase the answer, the delivered answer, the prompt and the word index of every item decided
    before `decided_before`; its decision, findings and times stay for the KPIs and the audit trail.
    Open items keep everything until someone decides them. Answers how many items it erased."""
    erase = (
        update(ReviewItem)
        .where(
            col(ReviewItem.status).not_in([status.value for status in OPEN_STATUSES]),
            col(ReviewItem.decided_at) < decided_before,
            col(ReviewItem.original) != ERASED,
        )
        .values(original=ERASED, delivered=ERASED, prompt=None, search_terms="")
    )
    with session_scope(engine) as session:
        return int(session.execute(erase).rowcount)  # type: ignore[attr-defined]


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
