"""What a limit check answered, turned into a reservation with x-ratelimit-* headers, or a 429.

The headers follow OpenAI: the limit, what remains, and the time until the limit is whole again,
for requests and for tokens; where a team and a key both have a limit, the tighter one is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.core.errors import QuotaExceeded, RateLimited
from gateway.core.money import format_usd
from gateway.ledger.records import nanos_to_usd
from gateway.limits.rules import BudgetSlot, LimitRequest, RateSlot, RateState, Reservation

NEVER = -1.0
PERIOD_WORDS = {"day": "daily", "week": "weekly", "month": "monthly", "total": "total"}
HEADER_NAMES = {
    kind: (f"x-ratelimit-limit-{kind}", f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}")
    for kind in ("requests", "tokens")
}


@dataclass
class CheckReply:
    """The reserve step's answer, the same from Redis (parsed) and from the in-process backend."""

    status: str  # ok | missing | quota | rate
    missing: list[int] = field(default_factory=list)  # 0-based budget indexes without a counter
    quota_index: int = -1
    spent_nanos: int = 0
    retry_after: float = 0.0
    states: list[tuple[int, float]] = field(default_factory=list)  # (remaining, reset seconds) per rate slot
    grants: list[int] = field(default_factory=list)  # leases granted per budget and rate slot (Redis only)

    @classmethod
    def from_redis(cls, reply: list[bytes], slots: int) -> CheckReply:
        """Parse the reserve script's answer for a check of `slots` budgets and rate limits."""
        status, values = reply[0].decode(), [item.decode() for item in reply[1:]]
        if status == "missing":
            return cls(status, missing=[int(value) - 1 for value in values])
        if status == "quota":
            return cls(status, quota_index=int(values[0]) - 1, spent_nanos=int(float(values[1])))
        if status == "rate":
            retry, values = float(values[0]), values[1:]
            return cls(status, retry_after=retry, states=_pairs(values))
        return cls(status, states=_pairs(values[slots:]), grants=[int(value) for value in values[:slots]])


def _pairs(values: list[str]) -> list[tuple[int, float]]:
    return [(int(float(values[i])), float(values[i + 1])) for i in range(0, len(values), 2)]


def format_reset(seconds: float) -> str:
    """OpenAI's duration format: `20ms`, `1.5s`, `6m0s`."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{text}s" if minutes >= 1 else f"{text}s"


def rate_headers(states: Iterable[tuple[RateSlot, int, float]]) -> dict[str, str]:
    """The headers for rate limit states: (slot, remaining, reset seconds), as in a RateState."""
    headers: dict[str, str] = {}
    shown: dict[str, tuple[int, float]] = {}  # per kind, the tightest state so far
    for slot, remaining, reset in states:
        best = shown.get(slot.kind)
        if best is not None and (best[0] < remaining or (best[0] == remaining and best[1] >= reset)):
            continue
        shown[slot.kind] = (remaining, reset)
        limit_name, remaining_name, reset_name = HEADER_NAMES[slot.kind]
        headers[limit_name] = str(slot.limit)
        headers[remaining_name] = str(remaining)
        headers[reset_name] = format_reset(reset)
    return headers


def interpret(
    reply: CheckReply, request: LimitRequest, budgets: list[BudgetSlot], rates: list[RateSlot]
) -> Reservation:
    """A reservation for an `ok` reply; raise QuotaExceeded or RateLimited for a refusal."""
    if reply.status == "quota":
        raise _quota_error(budgets[reply.quota_index], reply.spent_nanos, request.max_cost_nanos)
    states = [RateState(slot, remaining, reset) for slot, (remaining, reset) in zip(rates, reply.states, strict=True)]
    headers = rate_headers(states)
    if reply.status == "rate":
        raise _rate_error(states, reply.retry_after, headers, request)
    if reply.status != "ok":
        raise RuntimeError(f"unexpected limit check reply {reply.status!r}")
    return Reservation(
        budgets=budgets,
        rates=rates,
        headers=headers,
        reserved_nanos=request.max_cost_nanos,
        reserved_tokens=request.tokens,
    )


def _quota_error(slot: BudgetSlot, spent_nanos: int, worst_case_nanos: int) -> QuotaExceeded:
    """The refusal says which of two things happened: the budget is spent, or there is money left
    but this request's worst case (its prompt and longest possible answer, priced) does not fit."""
    rule = slot.rule
    owner = "team" if rule.scope == "team" else "API key"
    budget = f"this {owner}'s {PERIOD_WORDS.get(rule.period, rule.period)} budget"
    amount = format_usd(nanos_to_usd(rule.amount_nanos))
    remaining = rule.amount_nanos - spent_nanos
    if remaining <= 0:
        return QuotaExceeded(
            f"You exceeded your current quota: {budget} of {amount} is used up "
            f"({format_usd(nanos_to_usd(spent_nanos))} spent or reserved). Ask your team lead to raise the budget."
        )
    return QuotaExceeded(
        f"This request's worst case of {format_usd(nanos_to_usd(worst_case_nanos))} would exceed the remaining "
        f"{format_usd(nanos_to_usd(remaining))} of {budget} of {amount}. Send a lower max_tokens "
        "(the worst case prices the longest answer the model may give), or ask your team lead to raise the budget."
    )


def _rate_error(
    states: list[RateState], retry_after: float, headers: dict[str, str], request: LimitRequest
) -> RateLimited:
    culprit = next((state for state in states if state.slot.cost > state.remaining), states[0])
    slot = culprit.slot
    unit = "requests per min (RPM)" if slot.kind == "requests" else "tokens per min (TPM)"
    owner = f"team {slot.scope_id}" if slot.scope == "team" else f"key {request.key_prefix or slot.scope_id}"
    if retry_after == NEVER:
        return RateLimited(
            f"Request too large for {unit} on {owner}: Limit {slot.limit}, Requested {slot.cost}. "
            "Send a shorter prompt or a lower max_tokens.",
            headers=headers,
        )
    used = slot.limit - culprit.remaining
    wait = max(retry_after, 0.001)
    return RateLimited(
        f"Rate limit reached for {unit} on {owner}: Limit {slot.limit}, Used {used}, Requested {slot.cost}. "
        f"Please try again in {format_reset(wait)}.",
        headers={**headers, "retry-after": str(max(1, math.ceil(wait))), "retry-after-ms": str(math.ceil(wait * 1000))},
    )
