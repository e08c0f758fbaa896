"""The usage ledger's table and the plain event the request path fills in.

Cost is stored as an integer number of nano-dollars (1e-9 USD): per-token prices go down to a few
hundredths of a micro-dollar, and an integer column sums exactly on SQLite and PostgreSQL alike,
where a float or SQLite's NUMERIC affinity would not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

from gateway.core.models import utcnow

NANOS_PER_USD = 1_000_000_000
ONE_NANO = Decimal("0.000000001")


def nanos_to_usd(nanos: int) -> Decimal:
    """An exact decimal amount of dollars from integer nano-dollars."""
    return (Decimal(nanos) / NANOS_PER_USD).quantize(ONE_NANO)


def usd_text(nanos: int) -> str:
    """Dollars as a plain decimal string with nine places ("0.000019800"), for JSON and CSV."""
    return f"{nanos_to_usd(nanos):f}"


def usd_to_nanos(amount: Decimal | float | int | str) -> int:
    """Integer nano-dollars from a dollar amount (floats go through their shortest repr, not binary)."""
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    return int((value * NANOS_PER_USD).to_integral_value())


class UsageRecord(SQLModel, table=True):
    """One request, allowed or refused: who, which model, tokens, cost, timing and verdicts."""

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_team_time", "team_id", "time"),
        Index("ix_usage_records_key_time", "key_id", "time"),
        Index("ix_usage_records_model_time", "requested_model", "time"),
        Index("ix_usage_records_use_case_time", "use_case", "time"),
        # The KPIs probe these for each stored pair (a person of a use case, a team of a prompt).
        Index("ix_usage_records_people", "use_case", "end_user", "time"),
        Index(
            "ix_usage_records_prompts",
            "prompt_name",
            "team_name",
            "time",
            postgresql_where=text("prompt_name IS NOT NULL"),
            sqlite_where=text("prompt_name IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    request_id: str = Field(max_length=64, unique=True)
    endpoint: str = Field(default="chat", max_length=32)
    team_id: int | None = Field(default=None)
    team_name: str | None = Field(default=None, max_length=128)
    key_id: int | None = Field(default=None)
    key_prefix: str | None = Field(default=None, max_length=32)
    end_user: str | None = Field(default=None, max_length=256)
    requested_model: str = Field(default="", max_length=256)
    deployment: str | None = Field(default=None, max_length=256)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    usage_counted: bool = Field(default=False, description="tokens counted by the gateway, not reported upstream")
    cost_nanos: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    latency_ms: int | None = None
    ttft_ms: int | None = None
    status_code: int = 200
    error_code: str | None = Field(default=None, max_length=64)
    retries: int = 0
    fallbacks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    verdicts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prompt_name: str | None = Field(default=None, max_length=256)
    prompt_version: str | None = Field(default=None, max_length=64)
    streamed: bool = False
    disconnected: bool = False
    use_case: str | None = Field(default=None, max_length=32)
    # An enforced verdict flagged or blocked the request or its answer (the KPIs' rates count these).
    flagged: bool = False
    blocked: bool = False

    @property
    def cost_usd(self) -> Decimal:
        return nanos_to_usd(self.cost_nanos)


@dataclass(slots=True)
class UsageEvent:
    """What the request path knows about one request; turned into a row off the request path."""

    request_id: str
    requested_model: str
    time: datetime = field(default_factory=utcnow)
    endpoint: str = "chat"
    team_id: int | None = None
    team_name: str | None = None
    key_id: int | None = None
    key_prefix: str | None = None
    end_user: str | None = None
    deployment: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usage_counted: bool = False
    cost_nanos: int = 0
    latency_ms: int | None = None
    ttft_ms: int | None = None
    status_code: int = 200
    error_code: str | None = None
    retries: int = 0
    fallbacks: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    prompt_name: str | None = None
    prompt_version: str | None = None
    streamed: bool = False
    disconnected: bool = False
    use_case: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The column values of this event's ledger row (time in UTC, so SQLite compares it right)."""
        # Shallow on purpose: asdict's deep copy cost ~10 % of the request path's CPU.
        row = {name: getattr(self, name) for name in _EVENT_FIELDS}
        row["time"] = self.time.astimezone(UTC) if self.time.tzinfo else self.time.replace(tzinfo=UTC)
        row["total_tokens"] = self.prompt_tokens + self.completion_tokens
        enforced = [verdict["action"] for verdict in self.verdicts if verdict["mode"] == "enforce"]
        row["flagged"] = "flag" in enforced
        row["blocked"] = "block" in enforced
        return row


_EVENT_FIELDS = tuple(f.name for f in fields(UsageEvent))
