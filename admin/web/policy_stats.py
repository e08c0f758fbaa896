"""How often each policy rule fired, in monitor and in enforce mode, from the audit log.

The gateway writes one audit entry per policy verdict: action `policy.<action>`, target
`policy:<rule>`, details with `mode` and `policy` (gateway/proxy/governance.py); this groups them in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Engine

from gateway.core.audit import AuditEntry

AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RuleFiring:
    policy: str
    rule: str
    mode: str
    action: str
    count: int
    last: datetime | None

    @property
    def outcome(self) -> str:
        """What happened to the requests: a monitored rule only watched (it would have done `action`)."""
        return "monitor" if self.mode == "monitor" else self.action


def rule_firings(engine: Engine, since: datetime) -> list[RuleFiring]:
    """Counts per (policy, rule, mode, action) since a moment, most frequent first."""
    details = AUDIT.c.details
    policy = details["policy"].as_string()
    rule = AUDIT.c.target
    mode = details["mode"].as_string()
    statement = (
        select(policy, rule, mode, AUDIT.c.action, func.count(), func.max(AUDIT.c.at))
        .where(AUDIT.c.action.startswith("policy."), AUDIT.c.at >= since)
        .group_by(policy, rule, mode, AUDIT.c.action)
        .order_by(func.count().desc())
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [
        RuleFiring(
            p or "?", (r or "?").removeprefix("policy:"), m or "?", action.removeprefix("policy."), int(count), last
        )
        for p, r, m, action, count, last in rows
    ]
