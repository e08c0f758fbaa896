"""Slices of shared budgets and rate limits taken from Redis ahead of need, spent in this process.

A round trip to Redis per request costs a gateway process about a fifth of its throughput. So
when a check goes to Redis anyway, it may also take a lease: more units of each counter
(nano-dollars of a budget, requests or tokens of a rate limit), sized to what this process used
in the last `lease_seconds`. Later requests spend the lease here, with no round trip, until it
runs short; what a lease has left is given back once it has not been refilled for
`4 * lease_seconds`.

Nothing is promised twice: a lease is counted in Redis before any of it is spent, so budgets and
rate limits hold across processes exactly as without leases. Leases cost precision on the other
side: units one process holds are unavailable to the others until spent or given back. The Lua
script bounds that by granting at most a quarter of what is left, and nothing past a budget's
soft threshold, so near their end budgets and limits are checked one request at a time, and soft
thresholds are seen by settles that go through Redis.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from typing import NamedTuple

from gateway.limits.gcra import EPSILON
from gateway.limits.outcome import HEADER_NAMES, format_reset
from gateway.limits.rules import (
    WINDOW_SECONDS,
    AppliedLimits,
    BudgetSlot,
    LimitRequest,
    RateSlot,
    Reservation,
)

Slot = BudgetSlot | RateSlot


@dataclass(eq=False, slots=True)
class Lease:
    """Units of one counter held by this process: counted in Redis, not yet spent."""

    key: str
    limit: int  # the rule's amount or rate when leased: a changed rule starts a new lease
    unit: str  # "budget" (nano-dollars), "requests" or "tokens"
    refilled_at: float  # time.monotonic()
    available: int = 0
    used: int = 0  # spent since the last refill: sizes the next one
    refill: asyncio.Future[None] | None = None  # a check that may refill it is out: others wait for it
    tat: float = 0.0  # rate limits: the arrival time Redis holds, this lease included (limits clock)
    touched: bool = True  # spent from or refilled since the last look for expired leases
    returned: bool = False  # forgotten here: what requests spent from it settle through Redis


class Ask(NamedTuple):
    lease: Lease
    want: int  # units asked beyond the check's own cost
    back: int  # units the lease had left, given back with the check


# A lease's unit, as its position in the costs a take works out per request.
UNIT_INDEX = {"budget": 0, "requests": 1, "tokens": 2}


class HeaderSource(NamedTuple):
    """One rate limit's lease, with what its x-ratelimit-* headers need, worked out once per plan."""

    lease: Lease
    limit: int
    limit_text: str
    interval: float  # seconds per unit


@dataclass(eq=False, slots=True)
class LeasePlan:
    """The counters of one team and key while its rules and the day stay the same, and their leases.

    A leased request spends from and settles into these leases; what that needs is sorted out
    once here, so that every leased request does so without looking at each slot's kind.
    """

    limits: AppliedLimits
    day_ends: float  # epoch seconds of the next UTC midnight, when budget periods may turn
    budgets: list[BudgetSlot]
    rates: list[RateSlot]
    leases: tuple[Lease, ...]  # budgets, then rates
    costed: tuple[tuple[Lease, int], ...] = field(init=False)  # each lease with its unit's index
    budget_leases: tuple[Lease, ...] = field(init=False)
    rate_leases: tuple[tuple[RateSlot, Lease], ...] = field(init=False)
    token_leases: tuple[Lease, ...] = field(init=False)
    # Per kind (requests, then tokens): the header names and the limits that may show in them.
    header_sources: tuple[tuple[tuple[str, str, str], tuple[HeaderSource, ...]], ...] = field(init=False)

    def __post_init__(self) -> None:
        self.costed = tuple((lease, UNIT_INDEX[lease.unit]) for lease in self.leases)
        self.budget_leases = self.leases[: len(self.budgets)]
        self.rate_leases = tuple(zip(self.rates, self.leases[len(self.budgets) :], strict=True))
        self.token_leases = tuple(lease for slot, lease in self.rate_leases if slot.kind == "tokens")
        self.header_sources = tuple(
            (
                names,
                tuple(
                    HeaderSource(lease, slot.limit, str(slot.limit), WINDOW_SECONDS / slot.limit)
                    for slot, lease in self.rate_leases
                    if slot.kind == kind
                ),
            )
            for kind, names in HEADER_NAMES.items()
            if any(slot.kind == kind for slot in self.rates)
        )

    def rate_headers(self, at: float) -> dict[str, str]:
        """The x-ratelimit-* headers as this process's requests see the limits: the arrival time
        Redis holds, less what is still leased; per kind, the tightest limit (as `rate_headers`
        in outcome.py picks it). Worked out inline, from what the plan worked out once: every
        leased request runs this, and under load all it touches starts cold (docs/usage.md)."""
        headers = {}
        for (limit_name, remaining_name, reset_name), sources in self.header_sources:
            shown_remaining, shown_ahead, shown_limit = -1, 0.0, ""
            for lease, limit, limit_text, interval in sources:
                # Rounded to the microseconds Redis keeps arrival times in: epoch seconds carry float
                # noise. (round(x * 1e6) takes half the time of round(x, 6), which formats the number.)
                ahead = round((lease.tat - lease.available * interval - at) * 1e6) / 1e6
                if ahead <= 0.0:
                    remaining, ahead = limit, 0.0
                else:
                    remaining = math.floor((WINDOW_SECONDS - ahead) / interval + EPSILON)
                    if remaining < 0:
                        remaining = 0
                if (
                    shown_remaining < 0
                    or remaining < shown_remaining
                    or (remaining == shown_remaining and ahead > shown_ahead)
                ):
                    shown_remaining, shown_ahead, shown_limit = remaining, ahead, limit_text
            headers[limit_name] = shown_limit
            headers[remaining_name] = str(shown_remaining)
            # format_reset's own first case, inline: a lease's reset is mostly under a second.
            headers[reset_name] = f"{math.ceil(shown_ahead * 1000)}ms" if shown_ahead < 1 else format_reset(shown_ahead)
        return headers

    def settle(self, cost_delta: int, token_delta: int) -> bool:
        """Give a leased request's unused reservation back to these leases if every one is still
        held here (True); else change nothing (False): the settle goes through Redis.

        The charge is `_charge`'s, inline: every leased request settles here, with cold caches
        (calling `_charge` measured 2-4 µs more per request in `benchmarks.limits_path`, cold).
        """
        for lease in self.leases:
            if lease.returned:
                return False
        overrun = cost_delta if cost_delta > 0 else 0
        for lease in self.budget_leases:
            lease.available -= cost_delta
            lease.used += overrun
        if token_delta:
            overrun = token_delta if token_delta > 0 else 0
            for lease in self.token_leases:
                lease.available -= token_delta
                lease.used += overrun
        return True


def _finish(lease: Lease) -> None:
    if lease.refill is not None:
        lease.refill.set_result(None)
        lease.refill = None


def _charge(lease: Lease, delta: int) -> None:
    """A settle's correction: what a request used beyond its reservation also sizes the next
    refill (a TPM reservation counts no completion tokens when a request sets no max_tokens)."""
    lease.available -= delta
    lease.used += max(delta, 0)


def _identity(slot: Slot) -> tuple[str, int]:
    return (slot.key, slot.rule.amount_nanos) if isinstance(slot, BudgetSlot) else (slot.key, slot.limit)


def _cost(slot: Slot, request: LimitRequest) -> int:
    return request.max_cost_nanos if isinstance(slot, BudgetSlot) else slot.cost


def _unit(slot: Slot) -> str:
    return "budget" if isinstance(slot, BudgetSlot) else slot.kind


class LeaseBook:
    def __init__(self, lease_seconds: float) -> None:
        self._lease_seconds = lease_seconds
        self.hold_seconds = 4 * lease_seconds
        self._leases: dict[tuple[str, int], Lease] = {}
        self._plans: dict[tuple[int, int], LeasePlan] = {}

    @property
    def enabled(self) -> bool:
        return self._lease_seconds > 0

    def take(
        self,
        request: LimitRequest,
        limits: AppliedLimits,
        at: float,
        on_running_low: Callable[[LimitRequest, AppliedLimits], None] | None = None,
    ) -> Reservation | None:
        """Spend leases for the whole request if they cover every counter; else None (ask Redis).

        The counters come from the plan an earlier check of this team and key left, while the
        rules and the day are the same (`at`: epoch seconds). A leased reservation carries that
        check's slots. A take that leaves a lease running low calls `on_running_low`.
        """
        plan = self._plans.get((request.team_id, request.key_id))
        if plan is None or plan.limits is not limits or at >= plan.day_ends:
            return None
        # No plan in the book holds a lease given back: `expired` and `drain` drop such plans.
        costs = (request.max_cost_nanos, 1, request.tokens)  # in UNIT_INDEX order
        for lease, unit in plan.costed:
            if lease.available < costs[unit]:
                return None
        running_low = False
        for lease, unit in plan.costed:
            cost = costs[unit]
            lease.available -= cost
            lease.used += cost
            lease.touched = True
            # Less left than was spent since the last refill: time to top it up, before requests
            # run it dry and wait.
            running_low = running_low or (lease.available < lease.used and lease.refill is None)
        if running_low and on_running_low is not None:
            on_running_low(request, limits)
        return Reservation(
            budgets=plan.budgets,
            rates=plan.rates,
            headers=plan.rate_headers(at),
            reserved_nanos=request.max_cost_nanos,
            reserved_tokens=request.tokens,
            leased=plan,
        )

    def remember(
        self,
        request: LimitRequest,
        limits: AppliedLimits,
        now: datetime,
        budgets: list[BudgetSlot],
        rates: list[RateSlot],
    ) -> None:
        """After a check through Redis: the counters and leases later requests of this team and key use."""
        slots: list[Slot] = [*budgets, *rates]
        leases = [lease for slot in slots if (lease := self._leases.get(_identity(slot))) is not None]
        if len(leases) == len(slots):
            day_ends = datetime.combine(now.date() + timedelta(days=1), time_of_day.min, UTC).timestamp()
            self._plans[(request.team_id, request.key_id)] = LeasePlan(limits, day_ends, budgets, rates, tuple(leases))

    def refills(self, request: LimitRequest) -> list[asyncio.Future[None]]:
        """The refills on their way for this team and key: a request short of a lease waits for them."""
        plan = self._plans.get((request.team_id, request.key_id))
        leases = plan.leases if plan is not None else ()
        return [lease.refill for lease in leases if lease.refill is not None]

    def ask(self, request: LimitRequest, slots: Sequence[Slot]) -> list[Ask]:
        """For a check going to Redis: per slot, what to ask beyond its own cost and what to give back.

        Whatever a lease still holds goes back with the check, so nothing this process holds is
        refused to it. A counter seen for the first time gets no lease yet: there is no rate to
        size it by, and requests arriving together should not strand units in each other's leases.
        """
        if not self.enabled:
            return []
        asks = []
        now = time.monotonic()
        for slot in slots:
            identity = _identity(slot)
            lease = self._leases.get(identity)
            if lease is None:
                lease = self._leases[identity] = Lease(slot.key, identity[1], _unit(slot), now)
                want = 0
            elif lease.refill is not None:
                want = 0
            else:
                want = self._start_refill(lease, lease.used + _cost(slot, request), now)
            asks.append(Ask(lease, want, lease.available))
            lease.available = 0
        return asks

    def refilled(self, asks: list[Ask], grants: list[int], tats: list[float | None]) -> None:
        """Redis granted `grants` (aligned with `asks`); `tats` is a rate limit's arrival time after them."""
        now = time.monotonic()
        for ask, grant, tat in zip(asks, grants, tats, strict=True):
            lease = ask.lease
            if ask.want:
                _finish(lease)
                lease.refilled_at, lease.used = now, 0
            lease.available += grant
            lease.touched = True
            if tat is not None:
                lease.tat = tat

    def top_up(self, slots: Sequence[Slot]) -> list[Ask]:
        """For a check sent ahead of need: what to ask for each lease, sized like `ask`'s, with
        nothing given back, so that requests go on spending what the leases hold meanwhile."""
        leases = [lease for slot in slots if (lease := self._leases.get(_identity(slot))) is not None]
        if len(leases) < len(slots):
            return []  # forgotten meanwhile: the next check through Redis starts it again
        now = time.monotonic()
        return [
            Ask(lease, 0 if lease.refill is not None else self._start_refill(lease, lease.used, now), 0)
            for lease in leases
        ]

    def _start_refill(self, lease: Lease, used: int, now: float) -> int:
        """Units to ask for a lease that `used` this many since its last refill; if any, the refill
        is out from here on, and requests short of the lease wait for it."""
        # Units per second since the last refill, times lease_seconds; growing at most eightfold
        # per refill, so a burst does not take a long lease.
        elapsed = max(now - lease.refilled_at, self._lease_seconds / 8)
        want = math.ceil(used * self._lease_seconds / elapsed)
        if want:
            lease.refill = asyncio.get_running_loop().create_future()
        return want

    @staticmethod
    def abandoned(asks: list[Ask]) -> None:
        """The check was refused or failed: nothing was granted (what was given back stays given back)."""
        for ask in asks:
            if ask.want:
                _finish(ask.lease)

    def held(self, slot: BudgetSlot) -> int:
        """What this process's lease holds of a budget: counted in Redis, not spent."""
        lease = self._leases.get(_identity(slot))
        return max(lease.available, 0) if lease is not None else 0

    @staticmethod
    def credit(plan: LeasePlan, cost_delta: int, token_delta: int) -> tuple[list[BudgetSlot], list[RateSlot]]:
        """Give a leased request's unused reservation back to those of its leases still held here.

        Returns the budgets and token limits whose lease was given back: their correction must go
        to Redis.
        """
        budgets_left = []
        for slot, lease in zip(plan.budgets, plan.budget_leases, strict=True):
            if lease.returned:
                budgets_left.append(slot)
            else:
                _charge(lease, cost_delta)
        tokens_left = []
        for rate, lease in plan.rate_leases:
            if rate.kind != "tokens" or not token_delta:
                continue
            if lease.returned:
                tokens_left.append(rate)
            else:
                _charge(lease, token_delta)
        return budgets_left, tokens_left

    def expired(self) -> list[tuple[Lease, int]]:
        """What leases not refilled for `hold_seconds` still hold, to give back (they were too large).

        A lease nobody used since the last look is forgotten, with the plans that use it.
        """
        cutoff = time.monotonic() - self.hold_seconds
        back = []
        for identity, lease in list(self._leases.items()):
            if lease.refill is not None or lease.refilled_at >= cutoff:
                continue
            if lease.available:
                back.append((lease, lease.available))
                lease.available = 0
            if not lease.touched:
                del self._leases[identity]
                lease.returned = True
            lease.touched = False
        self._plans = {owner: plan for owner, plan in self._plans.items() if not any(x.returned for x in plan.leases)}
        return back

    def drain(self) -> list[tuple[Lease, int]]:
        """Everything every lease holds, for a process that stops."""
        leases, self._leases, self._plans = list(self._leases.values()), {}, {}
        for lease in leases:
            lease.returned = True
        return [(lease, lease.available) for lease in leases if lease.available]
