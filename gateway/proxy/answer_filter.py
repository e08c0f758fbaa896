"""The post-call step of a plain answer: every choice and tool call through the team's filters,
redactions applied, a withheld or flagged answer queued for review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from filters.answer import answer_slots, apply_decision
from filters.base import FilterContext
from gateway.core.types import Action, Principal, Verdict
from gateway.proxy.answer_review import queue_review
from gateway.state import GatewayState

REVIEW_HEADER = "x-gateway-review-id"


@dataclass(slots=True)
class FilteredAnswer:
    body: dict[str, Any]
    verdicts: list[Verdict]
    review_id: str | None = None


async def filter_answer(
    state: GatewayState,
    principal: Principal,
    answer: dict[str, Any],
    *,
    request_id: str,
    model: str,
    prompt_ref: str | None,
) -> FilteredAnswer:
    if not state.filters.is_active(principal.team_name):
        return FilteredAnswer(answer, [])
    context = FilterContext(team=principal.team_name, model=model, request_id=request_id)
    decision = await state.filters.check_answer(answer_slots(answer), context)
    verdicts = decision.verdicts()
    if decision.action is Action.ALLOW:
        return FilteredAnswer(answer, verdicts)
    delivered = apply_decision(answer, decision)
    for verdict in verdicts:
        state.metrics.filter_verdicts.labels(verdict.source, verdict.action.value).inc()
    if decision.action not in (Action.BLOCK, Action.FLAG):
        return FilteredAnswer(delivered, verdicts)
    review_id = await queue_review(
        state,
        principal,
        request_id=request_id,
        model=model,
        action=decision.action,
        findings=decision.findings() + decision.errors(),
        original=answer,
        delivered=delivered,
        streamed=False,
        prompt_ref=prompt_ref,
    )
    return FilteredAnswer(delivered, verdicts, review_id)
