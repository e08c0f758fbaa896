"""Login sessions: opened by a correct password, checked on every request, ended at logout.

A session ends when it has been idle too long, when it is too old, when the user logs out, and
when the user is disabled or their role or password changes (the credential version moves on).
A session that merely timed out is remembered for a day as expired, so the UI can say so and keep
a form its person sent after the timeout (admin.accounts.kept_forms); the others are forgotten.
The cookie carries 256 random bits; the database keeps only their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from admin.accounts.devices import issue_device_token, trusted_device
from admin.accounts.errors import LoginFailed
from admin.accounts.models import User, UserSession
from admin.accounts.passwords import PasswordHashing
from admin.accounts.settings import AccountSettings
from admin.accounts.throttle import check_not_throttled, clear_failures, record_failure
from admin.context import Role
from gateway.core.audit import add_audit_entry
from gateway.core.db import session_scope
from gateway.core.models import utcnow

# last_seen is written at most this often: an idle timeout in minutes needs no write per request.
TOUCH_EVERY = timedelta(seconds=60)
# How long a timed-out session is still recognised as "expired" rather than unknown.
REMEMBER_EXPIRED = timedelta(days=1)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a valid session, as each request sees them."""

    user_id: int
    name: str
    role: Role
    team: str | None
    csrf_token: str
    session_id: int

    @property
    def actor(self) -> str:
        """The name written to the audit log and to reviews."""
        return f"user:{self.name}"


@dataclass(frozen=True)
class ExpiredSession:
    """A session that timed out: whose it was, and its CSRF token (which a form sent after the
    timeout must still carry to be kept for its person)."""

    user_id: int
    name: str
    csrf_token: str


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes into the cookie, and nowhere else
    signed_in: SignedIn
    expires_at: datetime
    device_token: str  # the device cookie of this person in this browser


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def log_in(
    engine: Engine,
    hashing: PasswordHashing,
    settings: AccountSettings,
    *,
    name: str,
    password: str,
    client_ip: str | None,
    device_token: str | None = None,
) -> OpenedSession:
    """Check the password and open a session; raises LoginThrottled or LoginFailed. A device token
    from an earlier sign-in of this person is throttled on its own (see `devices`)."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name)).first()
    device = trusted_device(user, device_token)
    check_not_throttled(engine, settings, name, client_ip, device)
    # Verify even for unknown or disabled users, so timing tells nothing about which names exist.
    valid = hashing.verify(user.password_hash if user else None, password)
    if user is None or user.disabled or not valid:
        record_failure(engine, name, client_ip, device)
        raise LoginFailed("The user name or password is wrong, or the account is disabled.")
    clear_failures(engine, settings, name, device)
    return _open(engine, hashing, settings, user, password, client_ip)


def _open(
    engine: Engine,
    hashing: PasswordHashing,
    settings: AccountSettings,
    user: User,
    password: str,
    client_ip: str | None,
) -> OpenedSession:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    assert user.id is not None
    row = UserSession(
        token_hash=hash_token(token),
        user_id=user.id,
        credential_version=user.credential_version,
        csrf_secret=secrets.token_urlsafe(32),
        client_ip=client_ip,
        created_at=now,
        last_seen_at=now,
        idle_expires_at=now + settings.idle,
        expires_at=now + settings.absolute,
    )
    with session_scope(engine) as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.last_login_at = now
        if hashing.needs_rehash(stored.password_hash):
            stored.password_hash = hashing.hash(password)
        device_token = issue_device_token(stored)
        session.add(stored)
        session.add(row)
        session.flush()
        add_audit_entry(session, actor=f"user:{user.name}", action="user.login", details={"ip": client_ip})
    assert row.id is not None
    signed_in = SignedIn(user.id, user.name, Role(user.role), user.team, row.csrf_secret, row.id)
    return OpenedSession(token, signed_in, row.expires_at, device_token)


def resolve_session(engine: Engine, settings: AccountSettings, token: str) -> SignedIn | ExpiredSession | None:
    """The signed-in user for a cookie value; ExpiredSession when it timed out (within a day);
    None when it is unknown, or ended by a change of the user (disabled, new role or password)."""
    if not token:
        return None
    now = utcnow()
    with session_scope(engine) as session:
        found = session.exec(
            select(UserSession, User)
            .join(User, col(User.id) == col(UserSession.user_id))
            .where(UserSession.token_hash == hash_token(token))
        ).first()
        if found is None:
            return None
        row, user = found
        ended = min(_aware(row.expires_at), _aware(row.idle_expires_at))
        if user.disabled or user.credential_version != row.credential_version or ended <= now - REMEMBER_EXPIRED:
            session.delete(row)
            return None
        if ended <= now:
            assert user.id is not None
            return ExpiredSession(user.id, user.name, row.csrf_secret)
        if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = now
            row.idle_expires_at = min(now + settings.idle, _aware(row.expires_at))
            session.add(row)
        assert row.id is not None and user.id is not None
        return SignedIn(user.id, user.name, Role(user.role), user.team, row.csrf_secret, row.id)


def log_out(engine: Engine, token: str) -> None:
    """End the session of this cookie value (nothing happens for an unknown one)."""
    with session_scope(engine) as session:
        session.exec(delete(UserSession).where(col(UserSession.token_hash) == hash_token(token)))


def purge_expired_sessions(engine: Engine) -> int:
    """Delete sessions that expired more than a day ago; returns how many went."""
    now = utcnow() - REMEMBER_EXPIRED
    with session_scope(engine) as session:
        result = session.exec(
            delete(UserSession).where((col(UserSession.expires_at) <= now) | (col(UserSession.idle_expires_at) <= now))
        )
        return int(result.rowcount or 0)
