"""Audit entries at fixed instants for the audit search tests: 120 of them, one an hour from
2031-03-01 00:00 UTC; every third is carol's, the rest dave's; teams alternate; actions cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from gateway.core.audit import AuditEntry
from gateway.core.db import session_scope

FIRST = datetime(2031, 3, 1, tzinfo=UTC)
HOURS = 120
MARCH = {"from": "2031-03-01", "to": "2031-03-31"}
ACTIONS = ("review.approve", "review.reject", "key.revoke")
FORMULA_HOUR = 7  # this entry's note would be a formula in a spreadsheet


def seed_audit_hours(engine: Engine) -> None:
    with session_scope(engine) as session:
        for hour in range(HOURS):
            session.add(
                AuditEntry(
                    at=FIRST + timedelta(hours=hour),
                    actor="user:carol" if hour % 3 == 0 else "user:dave",
                    action=ACTIONS[hour % 3],
                    team="support" if hour % 2 == 0 else "research",
                    target=f"rev_{hour:04d}" if hour != FORMULA_HOUR else '=HYPERLINK("x")',
                    details={"hour": hour},
                )
            )
