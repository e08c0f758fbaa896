"""What the answer path needs besides the filters themselves: somewhere to put review items (a
sink the gateway provides: durable, audited) and someone to count verdicts (its metrics)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from filters.pipeline import FilterPipeline
from filters.review_store import NewReview
from gateway.core.types import Action, Principal, Verdict


class ReviewSink(Protocol):
    async def submit(self, review: NewReview) -> None:
        """Store the item durably before returning: its id goes to the client next."""
        ...


@dataclass(frozen=True, slots=True)
class Screening:
    pipeline: FilterPipeline
    reviews: ReviewSink
    count_verdict: Callable[[Verdict], None]

    def counted(self, verdicts: list[Verdict]) -> list[Verdict]:
        for verdict in verdicts:
            self.count_verdict(verdict)
        return verdicts

    async def queue_review(
        self,
        principal: Principal,
        *,
        request_id: str,
        model: str,
        action: Action,
        findings: list[dict[str, Any]],
        original: dict[str, Any],
        delivered: dict[str, Any],
        streamed: bool,
        prompt_ref: str | None,
        prompt: str | None = None,
    ) -> str:
        """A review item for a blocked or flagged answer; returns its id, readable at once."""
        review = NewReview(
            request_id=request_id,
            team_id=principal.team_id,
            team=principal.team_name,
            key_id=principal.key_id,
            key_prefix=principal.key_prefix,
            model=model,
            action=action.value,
            filters=sorted({str(finding.get("filter")) for finding in findings if finding.get("filter")}),
            findings=findings,
            original=orjson.dumps(original).decode(),
            delivered=orjson.dumps(delivered).decode(),
            streamed=streamed,
            prompt_ref=prompt_ref,
            use_case=principal.use_case,
            prompt=prompt,
        )
        await self.reviews.submit(review)
        return review.id
