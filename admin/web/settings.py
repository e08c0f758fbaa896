"""Settings of the admin web UI, read once at start-up from the environment.

GATEWAY_ADMIN_TRUSTED_PROXIES  comma-separated addresses or networks of reverse proxies whose
                               X-Forwarded-For / X-Forwarded-Proto headers are believed
GATEWAY_ADMIN_SESSION_IDLE_MINUTES, GATEWAY_ADMIN_SESSION_HOURS, GATEWAY_ADMIN_LOGIN_FAILURES_PER_USER,
GATEWAY_ADMIN_LOGIN_FAILURES_PER_IP, GATEWAY_ADMIN_LOGIN_WINDOW_MINUTES  see AccountSettings
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from admin.accounts.settings import AccountSettings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
ACCOUNT_VARIABLES = {
    "idle_minutes": "GATEWAY_ADMIN_SESSION_IDLE_MINUTES",
    "absolute_hours": "GATEWAY_ADMIN_SESSION_HOURS",
    "failures_per_user": "GATEWAY_ADMIN_LOGIN_FAILURES_PER_USER",
    "failures_per_ip": "GATEWAY_ADMIN_LOGIN_FAILURES_PER_IP",
    "failure_window_minutes": "GATEWAY_ADMIN_LOGIN_WINDOW_MINUTES",
}


class AdminUISettings(BaseModel):
    """Accounts and the proxies in front of the gateway."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    accounts: AccountSettings = Field(default_factory=AccountSettings)
    trusted_proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AdminUISettings:
        """Validate the UI's environment variables (ValueError names the variable at fault)."""
        accounts = {key: environ[name] for key, name in ACCOUNT_VARIABLES.items() if environ.get(name)}
        proxies = [p.strip() for p in environ.get("GATEWAY_ADMIN_TRUSTED_PROXIES", "").split(",") if p.strip()]
        try:
            networks = tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
        except ValueError as exc:
            raise ValueError(f"GATEWAY_ADMIN_TRUSTED_PROXIES: {exc}") from None
        return cls(accounts=AccountSettings.model_validate(accounts), trusted_proxies=networks)
