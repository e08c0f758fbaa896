"""Teams and virtual keys: creation, listing, edits and revocation (used by the CLI and the admin API).

A key is shown once, at creation; the database holds only its SHA-256 and a short prefix that
identifies it in lists, logs and usage records. Keys carry 256 random bits, so a fast hash is
enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gateway.core.db import Bind, session_scope
from gateway.core.models import ApiKey, Team, utcnow

KEY_SCHEME = "sk-gw-"
TEAM_EDITABLE = frozenset({"models", "policy"})
KEY_EDITABLE = frozenset({"name", "expires_at"})
PREFIX_LENGTH = len(KEY_SCHEME) + 8


class TeamExists(Exception):
    pass


class UnknownTeam(Exception):
    pass


class UnknownKey(Exception):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> str:
    return KEY_SCHEME + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewKey:
    """A freshly created key: the only moment the secret exists outside the caller's hands."""

    secret: str
    record: ApiKey


def create_team(engine: Engine, name: str, *, models: list[str] | None = None, policy: str | None = None) -> Team:
    team = Team(name=name, models=models, policy=policy)
    try:
        with session_scope(engine) as session:
            session.add(team)
            session.flush()
            session.refresh(team)
    except IntegrityError:
        raise TeamExists(f"a team named {name!r} already exists") from None
    return team


def list_teams(engine: Engine) -> list[Team]:
    with session_scope(engine) as session:
        return list(session.exec(select(Team).order_by(Team.name)))


def find_team(engine: Bind, name: str) -> Team:
    with session_scope(engine) as session:
        team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        raise UnknownTeam(f"no team named {name!r}")
    return team


def create_key(engine: Engine, team_name: str, *, name: str = "", expires_at: datetime | None = None) -> NewKey:
    team = find_team(engine, team_name)
    assert team.id is not None
    secret = generate_key()
    record = ApiKey(
        team_id=team.id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_key(secret),
        expires_at=expires_at,
    )
    with session_scope(engine) as session:
        session.add(record)
        session.flush()
        session.refresh(record)
    return NewKey(secret=secret, record=record)


def list_keys(engine: Engine, team_name: str | None = None) -> list[tuple[ApiKey, Team]]:
    with session_scope(engine) as session:
        query = select(ApiKey, Team).join(Team, col(Team.id) == col(ApiKey.team_id)).order_by(col(ApiKey.id))
        if team_name is not None:
            query = query.where(Team.name == team_name)
        return [(key, team) for key, team in session.exec(query)]


def find_key(engine: Engine, prefix: str) -> ApiKey:
    with session_scope(engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise UnknownKey(f"no key with prefix {prefix!r}")
    return key


def find_key_and_team(engine: Bind, prefix: str) -> tuple[ApiKey, Team]:
    with session_scope(engine) as session:
        row = session.exec(
            select(ApiKey, Team).join(Team, col(Team.id) == col(ApiKey.team_id)).where(ApiKey.prefix == prefix)
        ).first()
    if row is None:
        raise UnknownKey(f"no key with prefix {prefix!r}")
    return row[0], row[1]


def revoke_key(engine: Bind, prefix: str) -> ApiKey:
    with session_scope(engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None:
            raise UnknownKey(f"no key with prefix {prefix!r}")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.add(key)
        return key


def update_team(engine: Bind, name: str, **fields: Any) -> tuple[Team, Team]:
    """Change a team's `models` and/or `policy`; (before, after)."""
    unknown = set(fields) - TEAM_EDITABLE
    if unknown:
        raise ValueError(f"a team's {sorted(unknown)} cannot be edited")
    with session_scope(engine) as session:
        team = session.exec(select(Team).where(Team.name == name)).first()
        if team is None:
            raise UnknownTeam(f"no team named {name!r}")
        before = team.model_copy()
        for field, value in fields.items():
            setattr(team, field, value)
        session.add(team)
        session.flush()
        session.refresh(team)
        return before, team


def update_key(engine: Bind, prefix: str, **fields: Any) -> tuple[ApiKey, ApiKey]:
    """Change a key's `name` and/or `expires_at`; (before, after)."""
    unknown = set(fields) - KEY_EDITABLE
    if unknown:
        raise ValueError(f"a key's {sorted(unknown)} cannot be edited")
    with session_scope(engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None:
            raise UnknownKey(f"no key with prefix {prefix!r}")
        before = key.model_copy()
        for field, value in fields.items():
            setattr(key, field, value)
        session.add(key)
        session.flush()
        session.refresh(key)
        return before, key
