"""The budget and rate-limit fields shared by the team and key forms, parsed and applied."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Engine
from starlette.requests import Request

from admin.web.guard import form_text
from gateway.limits.admin import set_budget, set_rate_limit
from gateway.limits.models import Period

PERIODS = tuple(p.value for p in Period)


class InvalidLimitsForm(ValueError):
    """A field of the budget or limits form cannot be used; the message names it."""


@dataclass(frozen=True)
class LimitsForm:
    budget_usd: Decimal | None
    period: str
    soft_threshold: float | None
    rpm: int | None
    tpm: int | None

    @property
    def empty(self) -> bool:
        return self.budget_usd is None and self.rpm is None and self.tpm is None


def positive_int(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise InvalidLimitsForm(f"{field} must be a whole number above 0, or empty for no limit.")
    return int(value)


async def read_limits_form(request: Request) -> LimitsForm:
    """The budget (USD, period, soft threshold in %) and RPM/TPM fields; empty fields mean no limit."""
    budget_text = await form_text(request, "budget_usd")
    try:
        budget = Decimal(budget_text) if budget_text else None
    except InvalidOperation:
        raise InvalidLimitsForm("The budget must be an amount in USD, like 250 or 99.50.") from None
    if budget is not None and (budget < 0 or not budget.is_finite()):
        raise InvalidLimitsForm("The budget must be 0 or more.")
    period = await form_text(request, "period") or "month"
    if period not in PERIODS:
        raise InvalidLimitsForm(f"The period must be one of {', '.join(PERIODS)}.")
    threshold = positive_int(await form_text(request, "soft_threshold"), "The soft threshold")
    if threshold is not None and threshold > 100:
        raise InvalidLimitsForm("The soft threshold is a percentage from 1 to 100.")
    return LimitsForm(
        budget_usd=budget,
        period=period,
        soft_threshold=threshold / 100 if threshold is not None else 0.8,
        rpm=positive_int(await form_text(request, "rpm"), "Requests per minute"),
        tpm=positive_int(await form_text(request, "tpm"), "Tokens per minute"),
    )


def apply_limits(engine: Engine, scope: str, scope_id: int, form: LimitsForm) -> None:
    """Store the budget and the rate limits of one team or key (nothing for empty fields)."""
    if form.budget_usd is not None:
        set_budget(engine, scope, scope_id, form.budget_usd, form.period, soft_threshold=form.soft_threshold)
    if form.rpm is not None or form.tpm is not None:
        set_rate_limit(engine, scope, scope_id, rpm=form.rpm, tpm=form.tpm)
