"""Settings of budgets and rate limits (the app nests them as `limits:` in the gateway's config).

When the counter store (Redis) cannot be reached, budgets fail closed by default: a budget is a
promise to finance that spend stays under a number, and an unchecked request breaks it with no
way back. Rate limits fail open by default: they protect capacity and fairness, providers enforce
their own limits anyway, and refusing every request because a counter is away would turn a Redis
blip into a full outage. Both are configurable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FailMode = Literal["open", "closed"]


class LimitsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budgets_when_store_down: FailMode = "closed"
    rate_limits_when_store_down: FailMode = "open"
    store_retry_seconds: float = Field(
        default=1.0, gt=0, description="after a Redis failure, how long to skip it before trying again"
    )
    catalog_refresh_seconds: float = Field(
        default=5.0, ge=0, description="how long budgets and rate limits read from the database are trusted"
    )
    lease_seconds: float = Field(
        default=0.25,
        ge=0,
        description="how much of a shared budget or rate limit a process may hold ahead of need, in seconds of "
        "its own recent use; 0 asks Redis on every request",
    )
    default_max_output_tokens: int = Field(
        default=4096, gt=0, description="reserved for the answer when neither the request nor the price map caps it"
    )
