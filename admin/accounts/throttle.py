"""Failed-login throttling per user name and per client address, counted in the database; a
browser the person signed in from before (a device cookie, `devices`) is counted on its own instead.

The database, not process memory, because several gateway processes and replicas serve the UI
behind a load balancer: a guesser spreading attempts over them must meet one shared count. Redis
is optional in this project, the database is not; a failed login is rare enough to afford a row.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from admin.accounts.errors import LoginThrottled
from admin.accounts.models import LoginFailure
from admin.accounts.settings import AccountSettings
from gateway.core.db import session_scope
from gateway.core.models import utcnow


def _user_subject(name: str) -> str:
    return f"user:{name.casefold()}"


def _subjects(name: str, client_ip: str | None, device: str | None) -> list[tuple[str, str]]:
    if device is not None:
        return [("device", f"device:{device}")]
    subjects = [("user", _user_subject(name))]
    if client_ip:
        subjects.append(("ip", f"ip:{client_ip}"))
    return subjects


def check_not_throttled(
    engine: Engine, settings: AccountSettings, name: str, client_ip: str | None, device: str | None = None
) -> None:
    """Raise LoginThrottled when this name or address (or this trusted device) failed too often
    within the window."""
    now = utcnow()
    since = now - settings.failure_window
    with session_scope(engine) as session:
        for kind, subject in _subjects(name, client_ip, device):
            count, oldest = session.exec(
                select(func.count(), func.min(LoginFailure.at)).where(
                    LoginFailure.subject == subject, col(LoginFailure.at) >= since
                )
            ).one()
            limit = settings.failures_per_ip if kind == "ip" else settings.failures_per_user
            if count >= limit:
                retry = _retry_after(oldest, now, settings)
                raise LoginThrottled(
                    f"Too many failed logins for this {'address' if kind == 'ip' else 'account'}. "
                    f"Wait {math.ceil(retry / 60)} minute(s) and try again, or ask an admin to reset the password.",
                    retry_after=retry,
                )


def _retry_after(oldest: datetime | None, now: datetime, settings: AccountSettings) -> int:
    if oldest is None:
        return int(settings.failure_window.total_seconds())
    if oldest.tzinfo is None:  # SQLite returns naive datetimes from aggregates
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(1, int((oldest + settings.failure_window - now).total_seconds()))


def record_failure(engine: Engine, name: str, client_ip: str | None, device: str | None = None) -> None:
    """Count one failed login against the name and the address (or against the trusted device alone)."""
    with session_scope(engine) as session:
        for _, subject in _subjects(name, client_ip, device):
            session.add(LoginFailure(subject=subject))


def clear_failures(engine: Engine, settings: AccountSettings, name: str, device: str | None = None) -> None:
    """Forget a user's failures after a successful login, and everyone's failures older than the window."""
    with session_scope(engine) as session:
        forgive_user(session, name)
        if device is not None:
            session.exec(delete(LoginFailure).where(col(LoginFailure.subject) == f"device:{device}"))
        session.exec(delete(LoginFailure).where(col(LoginFailure.at) < utcnow() - settings.failure_window))


def forgive_user(session: Session, name: str) -> None:
    """Lift the per-name count (a successful login, or an admin's reset), within the caller's transaction."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.subject) == _user_subject(name)))
