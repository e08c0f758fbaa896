"""Creating, listing and changing accounts; every change is audited and bumps the credential version."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from admin.accounts.errors import InvalidAccount, UnknownUser, UserExists
from admin.accounts.models import User, UserSession
from admin.accounts.passwords import PasswordHashing
from admin.accounts.throttle import forgive_user
from admin.context import Role
from gateway.core.audit import add_audit_entry
from gateway.core.db import session_scope
from gateway.core.models import utcnow

NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
ROLES = tuple(role.value for role in Role)


@dataclass(frozen=True)
class UserChange:
    """What an admin changes on an account; None leaves a field as it is."""

    role: str | None = None
    team: str | None = None
    disabled: bool | None = None
    password: str | None = None


def check_password(password: str, min_length: int) -> None:
    """Raise InvalidAccount when a password is too short to be accepted."""
    if len(password) < min_length:
        raise InvalidAccount(f"The password must have at least {min_length} characters.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidAccount(f"The role must be one of {', '.join(ROLES)}.")


def create_user(
    engine: Engine,
    hashing: PasswordHashing,
    *,
    name: str,
    role: str,
    password: str,
    min_password_length: int,
    team: str | None = None,
    actor: str = "cli",
) -> User:
    """A new enabled account; raises InvalidAccount or UserExists."""
    if not NAME.match(name):
        raise InvalidAccount("A user name is 1 to 64 letters, digits, '.', '_', '@' or '-'.")
    _check_role(role)
    check_password(password, min_password_length)
    user = User(name=name, role=role, team=team or None, password_hash=hashing.hash(password))
    try:
        with session_scope(engine) as session:
            session.add(user)
            session.flush()
            add_audit_entry(session, actor=actor, action="user.create", target=f"user:{name}", details={"role": role})
    except IntegrityError:
        raise UserExists(f"A user named {name!r} already exists.") from None
    return user


def list_users(engine: Engine) -> list[User]:
    with session_scope(engine) as session:
        return list(session.exec(select(User).order_by(col(User.name))))


def missing_accounts(engine: Engine, names: Collection[str]) -> list[str]:
    """The names, among those given, that no account has."""
    with session_scope(engine) as session:
        found = set(session.exec(select(User.name).where(col(User.name).in_(list(names)))))
    return [name for name in names if name not in found]


def find_user(engine: Engine, name: str) -> User:
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise UnknownUser(f"There is no user named {name!r}.")
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Delete every session of a user (within the caller's transaction)."""
    session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))


def change_user(
    engine: Engine, hashing: PasswordHashing, name: str, change: UserChange, *, actor: str, min_password_length: int
) -> User:
    """Apply an admin's change; a new role, status or password ends the user's sessions at once."""
    if change.role is not None:
        _check_role(change.role)
    if change.password is not None:
        check_password(change.password, min_password_length)
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name).with_for_update()).first()
        if user is None:
            raise UnknownUser(f"There is no user named {name!r}.")
        details: dict[str, object] = {}
        if change.role is not None and change.role != user.role:
            details["role"] = [user.role, change.role]
            user.role = change.role
        if change.disabled is not None and change.disabled != user.disabled:
            details["disabled"] = change.disabled
            user.disabled = change.disabled
        if change.password is not None:
            details["password"] = "changed"
            user.password_hash = hashing.hash(change.password)
            forgive_user(session, name)  # an admin's reset lifts a lock on the name
        if change.team is not None and (change.team or None) != user.team:
            details["team"] = change.team or None
            user.team = change.team or None
        if details.keys() & {"role", "disabled", "password"}:
            user.credential_version += 1
            assert user.id is not None
            end_sessions(session, user.id)
        if details:
            user.updated_at = utcnow()
            session.add(user)
            add_audit_entry(session, actor=actor, action="user.change", target=f"user:{name}", details=details)
        return user
