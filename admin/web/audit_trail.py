"""Audit entries for UI actions whose room does not write one itself (teams, keys, limits)."""

from __future__ import annotations

from typing import Any

from gateway.core.audit import add_audit_entry
from gateway.core.db import Bind, session_scope


def record(engine: Bind, *, actor: str, action: str, target: str, team: str | None = None, **details: Any) -> None:
    """Write one audit entry, in its own transaction or in the caller's session."""
    with session_scope(engine) as session:
        add_audit_entry(session, actor=actor, action=action, team=team, target=target, details=details)
