"""The edit forms of a team and of a key, read into the changes admin.edits applies.

Every field is shown filled with what is in force, so an unchanged field changes nothing and an
emptied one removes that budget or limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from admin.edits import BudgetEdit, LimitEdits
from admin.web.guard import form_text
from admin.web.limits_form import PERIODS, InvalidLimitsForm, positive_int
from gateway.core.models import ApiKey
from gateway.ledger.records import nanos_to_usd
from gateway.limits.models import Budget, RateLimit


@dataclass(frozen=True)
class LimitsInForce:
    """A team's or key's budgets by period and its rate limit, as the edit form shows them."""

    budgets: dict[str, Budget]
    rate: RateLimit | None

    def amount(self, period: str) -> str:
        budget = self.budgets.get(period)
        return f"{nanos_to_usd(budget.amount_nanos).normalize():f}" if budget else ""

    def as_edits(self) -> LimitEdits:
        """The budgets in force as edits: what the small-budget warnings check."""
        return LimitEdits(
            {
                period: BudgetEdit(nanos_to_usd(b.amount_nanos), b.soft_threshold, b.webhook_url)
                for period, b in self.budgets.items()
            }
        )

    def threshold(self, period: str) -> str:
        budget = self.budgets.get(period)
        threshold = budget.soft_threshold if budget else 0.8
        return f"{round(threshold * 100)}" if threshold else ""


async def _budget(request: Request, period: str, current: Budget | None) -> tuple[bool, BudgetEdit | None]:
    """(named, edit) for one period's row of the form; an empty amount removes the budget."""
    text = await form_text(request, f"budget_{period}")
    if not text:
        return current is not None, None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidLimitsForm(f"The {period} budget must be an amount in USD, like 250 or 99.50.") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidLimitsForm(f"The {period} budget must be above 0 (empty it to remove the budget).")
    threshold = positive_int(await form_text(request, f"threshold_{period}"), f"The {period} warning threshold")
    if threshold is not None and threshold > 100:
        raise InvalidLimitsForm("A warning threshold is a percentage from 1 to 100.")
    webhook = current.webhook_url if current else None
    return True, BudgetEdit(amount, threshold / 100 if threshold else None, webhook)


async def read_limit_edits(request: Request, current: LimitsInForce) -> LimitEdits:
    budgets: dict[str, BudgetEdit | None] = {}
    for period in PERIODS:
        named, edit = await _budget(request, period, current.budgets.get(period))
        if named:
            budgets[period] = edit
    rates = {
        "rpm": positive_int(await form_text(request, "rpm"), "Requests per minute"),
        "tpm": positive_int(await form_text(request, "tpm"), "Tokens per minute"),
    }
    return LimitEdits(budgets, rates)


async def read_team_fields(request: Request) -> dict[str, Any]:
    """The team's models (comma-separated, empty for all) and policy (empty for the default)."""
    models = [m.strip() for m in (await form_text(request, "models")).split(",") if m.strip()] or None
    return {"models": models, "policy": await form_text(request, "policy") or None}


def _expiry(text: str) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidLimitsForm("The expiry is a date like 2027-01-31, or empty for no expiry.") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def read_key_fields(request: Request, key: ApiKey) -> dict[str, Any]:
    """The key's name, and its expiry date (the key stops working at 00:00 UTC that day; empty: never).
    An expiry whose date is unchanged keeps its time of day."""
    fields: dict[str, Any] = {"name": (await form_text(request, "name"))[:128]}
    shown = key.expires_at.date().isoformat() if key.expires_at else ""
    text = await form_text(request, "expires_on")
    if text != shown:
        fields["expires_at"] = _expiry(text)
    return fields
