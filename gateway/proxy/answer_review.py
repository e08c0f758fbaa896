"""The gateway's review sink: a review item encrypted, written before its id is handed out (or
queued durably while the database is away), and audited."""

from __future__ import annotations

from datetime import timedelta

from filters.review_crypto import AnswerCipher
from filters.review_store import NewReview, review_row
from gateway.ledger.audit import AuditSink
from gateway.ledger.writer import LedgerWriter


class ReviewQueue:
    def __init__(self, writer: LedgerWriter, cipher: AnswerCipher, sla: timedelta, audit: AuditSink) -> None:
        self._writer = writer
        self._cipher = cipher
        self._sla = sla
        self._audit = audit

    async def submit(self, review: NewReview) -> None:
        await self._writer.write_now(review_row(self._cipher, review, self._sla))
        self._audit.record(
            actor=f"key:{review.key_prefix}",
            action=f"review.created.{review.action}",
            team=review.team,
            target=review.id,
            details={"filters": review.filters, "request_id": review.request_id},
            use_case=review.use_case,
        )
