"""Tables of budgets and rate limits.

Budgets and rate limits are separate tables because a scope has at most one RPM/TPM pair but may
have several budgets at once (say a daily and a monthly one); neither touches the core's team and
key tables. Amounts are integer nano-dollars, like the ledger's costs, so comparisons are exact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.core.models import utcnow
from gateway.ledger.records import nanos_to_usd


class Scope(StrEnum):
    TEAM = "team"
    KEY = "key"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


class Budget(SQLModel, table=True):
    """A spending limit in USD for a team or a key, per day, week, month or in total."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("scope", "scope_id", "period", name="uq_budgets_scope_period"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=8)
    scope_id: int
    amount_nanos: int = Field(sa_column=Column(BigInteger, nullable=False))
    period: str = Field(default=Period.MONTH.value, max_length=8)
    soft_threshold: float | None = Field(default=0.8, gt=0, le=1)
    webhook_url: str | None = Field(default=None, max_length=2048)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))

    @property
    def amount_usd(self) -> Decimal:
        return nanos_to_usd(self.amount_nanos)


class RateLimit(SQLModel, table=True):
    """Requests and tokens per minute for a team or a key; None means no limit of that kind."""

    __tablename__ = "rate_limits"
    __table_args__ = (UniqueConstraint("scope", "scope_id", name="uq_rate_limits_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=8)
    scope_id: int
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
