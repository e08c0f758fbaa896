"""Turning a filter decision into a review item: encrypted, queued durably, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from filters.review_store import NewReview, review_row
from gateway.core.types import Action, Principal
from gateway.state import GatewayState


async def queue_review(
    state: GatewayState,
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
) -> str:
    """Store a review item for a blocked or flagged answer and return its id, readable at once."""
    filters = sorted({str(finding.get("filter")) for finding in findings if finding.get("filter")})
    new = NewReview(
        request_id=request_id,
        team_id=principal.team_id,
        team=principal.team_name,
        key_id=principal.key_id,
        key_prefix=principal.key_prefix,
        model=model,
        action=action.value,
        filters=filters,
        findings=findings,
        original=orjson.dumps(original).decode(),
        delivered=orjson.dumps(delivered).decode(),
        streamed=streamed,
        prompt_ref=prompt_ref,
    )
    await state.review_writer.write_now(review_row(state.cipher, new, timedelta(hours=state.settings.review_sla_hours)))
    state.audit.record(
        actor=f"key:{principal.key_prefix}",
        action=f"review.created.{action.value}",
        team=principal.team_name,
        target=new.id,
        details={"filters": filters, "request_id": request_id},
    )
    return new.id
