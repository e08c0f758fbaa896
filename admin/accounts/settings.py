"""How long sessions last and how many failed logins are tolerated: validated once, passed down."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class AccountSettings(BaseModel):
    """Session lifetimes and login throttling (defaults follow OWASP's session management advice)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idle_minutes: float = Field(default=30, gt=0, description="a session unused this long expires")
    absolute_hours: float = Field(default=12, gt=0, description="a session expires this long after login, used or not")
    failures_per_user: int = Field(default=5, ge=1, description="failed logins per user name within the window")
    failures_per_ip: int = Field(default=20, ge=1, description="failed logins per client address within the window")
    failure_window_minutes: float = Field(default=15, gt=0)
    min_password_length: int = Field(default=12, ge=8)

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.absolute_hours)

    @property
    def failure_window(self) -> timedelta:
        return timedelta(minutes=self.failure_window_minutes)
