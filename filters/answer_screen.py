"""The post-call step of a plain answer: every choice and tool call through the team's filters,
redactions applied, a withheld or flagged answer queued for review. Only the answer's documented
fields go on (`gateway.core.chat_view`): what no filter read does not reach the client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from filters.answer import answer_slots, apply_decision
from filters.base import FilterContext
from filters.review_prompt import prompt_record
from filters.screening import Screening
from gateway.core.chat_view import relayed_completion
from gateway.core.types import Action, Principal, Verdict


@dataclass(slots=True)
class ScreenedAnswer:
    body: dict[str, Any]
    verdicts: list[Verdict]
    review_id: str | None = None


async def screen_answer(
    screening: Screening,
    principal: Principal,
    answer: dict[str, Any],
    *,
    request_id: str,
    model: str,
    prompt_ref: str | None,
    withhold_flags: bool = False,
    messages: Any = None,
) -> ScreenedAnswer:
    """`messages` are the request's, as the model received them: a review item keeps them as its prompt."""
    if not screening.pipeline.is_active(principal.team_name):
        return ScreenedAnswer(answer, [])
    answer = relayed_completion(answer)
    context = FilterContext(team=principal.team_name, model=model, request_id=request_id, withhold_flags=withhold_flags)
    decision = await screening.pipeline.check_answer(answer_slots(answer), context)
    verdicts = decision.verdicts()
    if decision.action is Action.ALLOW:
        return ScreenedAnswer(answer, verdicts)
    delivered = apply_decision(answer, decision)
    screening.counted(verdicts)
    if decision.action not in (Action.BLOCK, Action.FLAG):
        return ScreenedAnswer(delivered, verdicts)
    review_id = await screening.queue_review(
        principal,
        request_id=request_id,
        model=model,
        action=decision.action,
        findings=decision.findings() + decision.errors(),
        original=answer,
        delivered=delivered,
        streamed=False,
        prompt_ref=prompt_ref,
        prompt=prompt_record(messages),
    )
    return ScreenedAnswer(delivered, verdicts, review_id)
