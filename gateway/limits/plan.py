"""Turns the rules in force and one request into the counters a check must touch."""

from __future__ import annotations

import math
from datetime import datetime

from gateway.limits.periods import window_of
from gateway.limits.rules import AppliedLimits, BudgetSlot, LimitRequest, RateSlot

# A budget counter outlives its period by a day, so a request settled just after midnight still
# finds the counter it reserved on.
COUNTER_GRACE_SECONDS = 86_400


def budget_slots(prefix: str, limits: AppliedLimits, now: datetime) -> list[BudgetSlot]:
    slots = []
    for rule in limits.budgets:
        window = window_of(rule.period, now)
        left = window.seconds_left(now)
        ttl = 0 if left is None else math.ceil(left) + COUNTER_GRACE_SECONDS
        key = f"{prefix}budget:{rule.scope}:{rule.scope_id}:{rule.period}:{window.label}"
        slots.append(BudgetSlot(rule, key, window.label, ttl))
    return slots


def rate_slots(prefix: str, limits: AppliedLimits, request: LimitRequest) -> list[RateSlot]:
    slots = []
    for rule in limits.rates:
        base = f"{prefix}rate:{rule.scope}:{rule.scope_id}"
        if rule.rpm:
            slots.append(RateSlot(rule.scope, rule.scope_id, "requests", rule.rpm, 1, base + ":rpm"))
        if rule.tpm:
            slots.append(RateSlot(rule.scope, rule.scope_id, "tokens", rule.tpm, request.tokens, base + ":tpm"))
    return slots
