"""Managing the stored blocklist: list and search, add, change the scope, enable or disable,
delete. Each change commits with its audit entry and bumps the revision the reloaders watch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from filters.blocklist_store import (
    DuplicateBlocklistEntry,
    StoredBlocklistEntry,
    add_blocklist_entry,
    bump_revision,
    find_duplicate,
)
from gateway.core.audit import add_audit_entry
from gateway.core.db import session_scope

# `team` of a BlocklistChange left as it is (None means every team, so it cannot mean "unchanged").
UNCHANGED = object()


class BlocklistEntryNotFound(LookupError):
    """No entry has this id."""


@dataclass(frozen=True)
class BlocklistQuery:
    """Which entries to list: one team's (or, with `every_team`, those for every team), and a
    text that the phrase, the person who added it or its review contains."""

    team: str | None = None
    every_team: bool = False
    text: str = ""


@dataclass(frozen=True)
class BlocklistChange:
    """What to change of an entry: None leaves `enabled` as it is, UNCHANGED leaves `team`."""

    enabled: bool | None = None
    team: object = UNCHANGED  # a team's name, None (every team) or UNCHANGED


def _target(entry_id: int | None) -> str:
    return f"blocklist:{entry_id}"


def _scope(team: str | None) -> str:
    return team or "every team"


def list_blocklist(engine: Engine, query: BlocklistQuery) -> list[StoredBlocklistEntry]:
    """The matching entries, newest first."""
    statement = select(StoredBlocklistEntry).order_by(col(StoredBlocklistEntry.id).desc())
    if query.every_team:
        statement = statement.where(col(StoredBlocklistEntry.team).is_(None))
    elif query.team:
        statement = statement.where(StoredBlocklistEntry.team == query.team)
    if query.text:
        # autoescape: a % or _ in the search is that character, not a wildcard.
        statement = statement.where(
            or_(
                col(StoredBlocklistEntry.value).icontains(query.text, autoescape=True),
                col(StoredBlocklistEntry.created_by).icontains(query.text, autoescape=True),
                col(StoredBlocklistEntry.source_review_id).icontains(query.text, autoescape=True),
            )
        )
    with session_scope(engine) as session:
        return list(session.exec(statement))


def get_blocklist_entry(engine: Engine, entry_id: int) -> StoredBlocklistEntry:
    with session_scope(engine) as session:
        entry = session.get(StoredBlocklistEntry, entry_id)
    if entry is None:
        raise BlocklistEntryNotFound(f"no blocklist entry {entry_id}")
    return entry


def create_blocklist_entry(
    engine: Engine, *, value: str, kind: str, team: str | None, actor: str
) -> StoredBlocklistEntry:
    """Add an entry by hand (no review); raises InvalidBlocklistEntry or DuplicateBlocklistEntry."""
    with session_scope(engine) as session:
        entry = add_blocklist_entry(session, value=value, kind=kind, team=team, created_by=actor)
        add_audit_entry(
            session,
            actor=actor,
            action="blocklist.add",
            team=team,
            target=_target(entry.id),
            details={"phrase": value, "kind": kind, "scope": _scope(team)},
        )
    return entry


def _locked(session: Session, entry_id: int) -> StoredBlocklistEntry:
    entry = session.get(StoredBlocklistEntry, entry_id, with_for_update=True)
    if entry is None:
        raise BlocklistEntryNotFound(f"no blocklist entry {entry_id}")
    return entry


def change_blocklist_entry(
    engine: Engine, entry_id: int, change: BlocklistChange, *, actor: str
) -> StoredBlocklistEntry:
    """Enable, disable or re-scope an entry; raises BlocklistEntryNotFound, or DuplicateBlocklistEntry
    when the new scope already blocks the same text. A change to nothing writes nothing."""
    with session_scope(engine) as session:
        entry = _locked(session, entry_id)
        changed: dict[str, Any] = {}
        if change.enabled is not None and change.enabled != entry.enabled:
            changed["enabled"] = [entry.enabled, change.enabled]
            entry.enabled = change.enabled
        if change.team is not UNCHANGED and change.team != entry.team:
            team = change.team if isinstance(change.team, str) else None
            existing = find_duplicate(session, value=entry.value, kind=entry.kind, team=team, other_than=entry.id)
            if existing is not None:
                raise DuplicateBlocklistEntry(existing)
            changed["scope"] = [_scope(entry.team), _scope(team)]
            entry.team = team
        if changed:
            session.add(entry)
            bump_revision(session)
            add_audit_entry(
                session,
                actor=actor,
                action="blocklist.change",
                team=entry.team,
                target=_target(entry.id),
                details={"phrase": entry.value, **changed},
            )
    return entry


def delete_blocklist_entry(engine: Engine, entry_id: int, *, actor: str) -> StoredBlocklistEntry:
    """Remove an entry for good (its audit entry keeps what it was); raises BlocklistEntryNotFound."""
    with session_scope(engine) as session:
        entry = _locked(session, entry_id)
        session.delete(entry)
        bump_revision(session)
        add_audit_entry(
            session,
            actor=actor,
            action="blocklist.delete",
            team=entry.team,
            target=_target(entry.id),
            details={
                "phrase": entry.value,
                "kind": entry.kind,
                "scope": _scope(entry.team),
                "added_by": entry.created_by,
                "review": entry.source_review_id,
            },
        )
    return entry
