"""What a chat request may use at most, before it is sent: the input of a limit check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.core.types import Principal
from gateway.ledger.cost import Price
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
