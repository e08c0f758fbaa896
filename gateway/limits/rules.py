"""The plain values that flow through a limit check: rules in force, the request, the reservation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from gateway.ledger.records import nanos_to_usd

if TYPE_CHECKING:
    from gateway.limits.leases import LeasePlan

WINDOW_SECONDS = 60.0  # RPM and TPM are per minute


@dataclass(frozen=True, slots=True)
class BudgetRule:
    scope: str  # "team" | "key"
    scope_id: int
    amount_nanos: int
    period: str
    soft_threshold: float | None = None
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class RateRule:
    scope: str
    scope_id: int
    rpm: int | None = None
    tpm: int | None = None


@dataclass(frozen=True, slots=True)
class AppliedLimits:
    """Every budget and rate limit that applies to one (team, key)."""

    budgets: tuple[BudgetRule, ...] = ()
    rates: tuple[RateRule, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.budgets or self.rates)


class LimitRequest(NamedTuple):  # a tuple: one is built for every limited request, at a third of a dataclass's cost
    """What a request may use at most: tokens for TPM, and cost for budgets."""

    team_id: int
    key_id: int
    key_prefix: str = ""
    tokens: int = 0  # counted against TPM: prompt tokens plus the requested max_tokens
    max_cost_nanos: int = 0  # reserved against budgets: prompt + worst-case answer, priced


def soft_flag_key(counter_key: str) -> str:
    """Where Redis notes that a budget counter's soft threshold was reported this period."""
    return counter_key + ":soft"


@dataclass(frozen=True, slots=True)
class BudgetSlot:
    """A budget's counter for the current period."""

    rule: BudgetRule
    key: str
    label: str
    ttl_seconds: int  # 0: never expires (period "total")

    @property
    def soft_key(self) -> str:
        return soft_flag_key(self.key)

    @property
    def soft_nanos(self) -> int:
        threshold = self.rule.soft_threshold
        return int(self.rule.amount_nanos * threshold) if threshold else 0


@dataclass(frozen=True, slots=True)
class RateSlot:
    """One rate limit counter (a GCRA arrival time): requests or tokens of one scope."""

    scope: str
    scope_id: int
    kind: str  # "requests" | "tokens"
    limit: int
    cost: int
    key: str


class RateState(NamedTuple):  # a tuple: built for every request's headers, and cheaper than a dataclass
    """Where one rate limit stands after a check, for the x-ratelimit-* headers."""

    slot: RateSlot
    remaining: int
    reset_seconds: float


@dataclass(slots=True)
class Reservation:
    """What a check reserved; `settle` replaces it with the real cost and tokens."""

    budgets: list[BudgetSlot] = field(default_factory=list)
    rates: list[RateSlot] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    reserved_nanos: int = 0  # what the budgets hold for this request until it settles
    reserved_tokens: int = 0  # what the TPM limits hold
    degraded: bool = False  # the store was unreachable and this request went through unchecked
    settled: bool = False
    leased: LeasePlan | None = None  # spent from this process's leases, not in Redis
    waited: bool = False  # the leases fell short: it waited for Redis (a refill, or its own check)


@dataclass(frozen=True, slots=True)
class BudgetCrossing:
    """A budget's soft threshold was crossed (reported once per period)."""

    rule: BudgetRule
    period_label: str
    spent_nanos: int
    at: datetime

    @property
    def spent_usd(self) -> Decimal:
        return nanos_to_usd(self.spent_nanos)

    @property
    def amount_usd(self) -> Decimal:
        return nanos_to_usd(self.rule.amount_nanos)
