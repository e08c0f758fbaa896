"""What a chat request may use at most, before it is sent: the input of a limit check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.core.money import format_count, format_usd
from gateway.core.types import Principal
from gateway.ledger.cost import Price
from gateway.ledger.records import nanos_to_usd
from gateway.limits.outcome import PERIOD_WORDS
from gateway.limits.rules import LimitRequest


def limit_request(
    principal: Principal,
    body: Mapping[str, Any],
    prompt_tokens: int,
    price: Price,
    *,
    default_max_output_tokens: int = 4096,
) -> LimitRequest:
    """TPM counts the prompt plus the requested answer length (as OpenAI does); a budget reserves
    the prompt plus the longest answer the model may give, priced.

    The requested length is `max_completion_tokens`, else `max_tokens`, times `n`; the longest
    answer is that, capped by the model's output limit, or without a request the limit itself
    (`default_max_output_tokens` where the price map knows none). One function with no helpers:
    every limited request runs it, and under load all it runs starts with cold caches.
    """
    choices = body.get("n")
    if not isinstance(choices, int) or choices < 1:
        choices = 1
    asked = body.get("max_completion_tokens")
    if not isinstance(asked, int) or asked < 1:
        asked = body.get("max_tokens")
        if not isinstance(asked, int) or asked < 1:
            asked = 0
    model_limit = price.max_output_tokens
    if asked:
        asked *= choices
        worst = min(asked, model_limit * choices) if model_limit else asked
    else:
        worst = (model_limit or default_max_output_tokens) * choices
    return LimitRequest(
        principal.team_id,
        principal.key_id,
        principal.key_prefix,
        prompt_tokens + asked,
        price.max_cost_nanos(prompt_tokens, worst),
    )


@dataclass(frozen=True, slots=True)
class WorstAnswer:
    """The most one answer of a model group can cost when the request names no max_tokens:
    what a budget reserves for it before the call (the prompt comes on top)."""

    model: str
    output_tokens: int
    cost_nanos: int

    @classmethod
    def of(cls, model: str, prices: Iterable[Price], default_max_output_tokens: int) -> WorstAnswer:
        """The dearest of the group's deployments (a retry or fallback may pick any of them)."""
        answers = [
            cls(model, tokens, price.max_cost_nanos(0, tokens))
            for price in prices
            for tokens in (price.max_output_tokens or default_max_output_tokens,)
        ]
        return max(answers, key=lambda answer: answer.cost_nanos, default=cls(model, default_max_output_tokens, 0))


def budget_warnings(amount_nanos: int, period: str, answers: Iterable[WorstAnswer]) -> list[str]:
    """What a budget of `amount_nanos` cannot pay for: one sentence per model whose worst-case answer
    is larger, since a request to it without a lower max_tokens would be refused from the start."""
    budget = f"this {PERIOD_WORDS.get(period, period)} budget of {format_usd(nanos_to_usd(amount_nanos))}"
    return [
        f"A request to {answer.model} without max_tokens reserves up to "
        f"{format_usd(nanos_to_usd(answer.cost_nanos))} ({format_count(answer.output_tokens)} output tokens at "
        f"its price), more than {budget}: such requests will be refused unless they ask for fewer tokens."
        for answer in answers
        if answer.cost_nanos > amount_nanos
    ]
