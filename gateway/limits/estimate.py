"""What a chat request may use at most, before it is sent: the input of a limit check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.core.types import Principal
from gateway.limits.rules import LimitRequest
from gateway.usage.cost import Price, requested_output_tokens, worst_case_output_tokens


def limit_request(
    request_id: str,
    principal: Principal,
    body: Mapping[str, Any],
    prompt_tokens: int,
    price: Price,
    *,
    default_max_output_tokens: int = 4096,
) -> LimitRequest:
    """TPM counts the prompt plus the requested max_tokens (as OpenAI does); a budget reserves the
    prompt plus the longest answer the model may give, priced."""
    asked = requested_output_tokens(body)
    worst = worst_case_output_tokens(body, asked, price, default_max_output_tokens)
    return LimitRequest(
        request_id=request_id,
        team_id=principal.team_id,
        key_id=principal.key_id,
        key_prefix=principal.key_prefix,
        tokens=prompt_tokens + (asked or 0),
        max_cost_nanos=price.max_cost_nanos(prompt_tokens, worst),
    )
