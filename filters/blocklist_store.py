"""Blocklist entries in the database, the revision every change bumps, and the poller that
reloads the enabled entries in every process."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import Column, DateTime, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from filters.blocklist import Blocklist, BlocklistEntry, VersionedBlocklist
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.core.outages import DatabaseOutages
from gateway.core.text import normalise_term

log = logging.getLogger(__name__)


class StoredBlocklistEntry(SQLModel, table=True):
    __tablename__ = "blocklist_entries"

    id: int | None = Field(default=None, primary_key=True)
    team: str | None = Field(default=None, max_length=128, index=True, description="None: every team")
    kind: str = Field(default="term", max_length=8)
    value: str = Field(max_length=1000)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    source_review_id: str | None = Field(default=None, max_length=40)
    enabled: bool = Field(default=True, description="False: kept, but no filter matches it")


class BlocklistRevision(SQLModel, table=True):
    """One row counting the changes to the entries. Every change increments it in its own
    transaction, so the count only grows, whatever the order in which concurrent changes commit:
    a reloader that read it knows that any later change gives another number."""

    __tablename__ = "blocklist_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = Field(default=0)


class DuplicateBlocklistEntry(Exception):
    """The scope already has an entry that matches the same text (the same folded term or regex)."""

    def __init__(self, existing: StoredBlocklistEntry) -> None:
        scope = f"team {existing.team!r}" if existing.team else "every team"
        super().__init__(f"{existing.value!r} is already blocklisted for {scope} (entry {existing.id})")
        self.existing = existing


def bump_revision(session: Session) -> None:
    """Count one change to the entries, inside the caller's transaction."""
    bumped = session.connection().execute(
        update(BlocklistRevision).where(col(BlocklistRevision.id) == 1).values(revision=BlocklistRevision.revision + 1)
    )
    if bumped.rowcount == 0:  # a database made without the migrations, which seed the row
        session.add(BlocklistRevision(id=1, revision=1))


def matching_form(value: str, kind: str) -> str:
    """What an entry matches, for telling duplicates apart: a term folded, a regex as written."""
    return value if kind == "regex" else normalise_term(value)


def find_duplicate(
    session: Session, *, value: str, kind: str, team: str | None, other_than: int | None = None
) -> StoredBlocklistEntry | None:
    """The entry of `team`'s scope (None: every team) that matches the same text, if there is one."""
    scope = col(StoredBlocklistEntry.team).is_(None) if team is None else col(StoredBlocklistEntry.team) == team
    same_kind = select(StoredBlocklistEntry).where(scope, StoredBlocklistEntry.kind == kind)
    wanted = matching_form(value, kind)
    for entry in session.exec(same_kind):
        if entry.id != other_than and matching_form(entry.value, entry.kind) == wanted:
            return entry
    return None


def add_blocklist_entry(
    session: Session, *, value: str, kind: str, team: str | None, created_by: str, source_review_id: str | None = None
) -> StoredBlocklistEntry:
    """Add an entry within the caller's transaction; raises InvalidBlocklistEntry for an empty term
    or a bad regex, DuplicateBlocklistEntry when the scope already blocks the same text."""
    # Compiling first refuses an empty term or an invalid regular expression before it is stored.
    Blocklist.from_entries([BlocklistEntry(value=value, kind="regex" if kind == "regex" else "term", team=team)])
    existing = find_duplicate(session, value=value, kind=kind, team=team)
    if existing is not None:
        raise DuplicateBlocklistEntry(existing)
    entry = StoredBlocklistEntry(
        value=value, kind=kind, team=team, created_by=created_by, source_review_id=source_review_id
    )
    session.add(entry)
    bump_revision(session)
    session.flush()
    return entry


def ensure_blocklisted(
    session: Session, *, value: str, kind: str, team: str | None, created_by: str, source_review_id: str | None = None
) -> StoredBlocklistEntry:
    """The entry that blocks `value` in the scope: a new one, or the one already there, enabled
    again (a reviewer's "reject and blocklist" of a known phrase must not fail on the duplicate)."""
    try:
        return add_blocklist_entry(
            session, value=value, kind=kind, team=team, created_by=created_by, source_review_id=source_review_id
        )
    except DuplicateBlocklistEntry as duplicate:
        existing = duplicate.existing
        if not existing.enabled:
            existing.enabled = True
            session.add(existing)
            bump_revision(session)
        return existing


def _version(session: Session) -> str:
    # The count and newest id cover rows written by anything that does not bump the revision.
    revision = session.exec(select(func.max(col(BlocklistRevision.revision)))).one()
    count, newest = session.exec(
        select(func.count(col(StoredBlocklistEntry.id)), func.max(col(StoredBlocklistEntry.id)))
    ).one()
    return f"{revision or 0}:{count}:{newest or 0}"


def load_blocklist(engine: Engine) -> tuple[str, list[BlocklistEntry]]:
    """The enabled entries and a version string that changes with every change to the entries."""
    with session_scope(engine) as session:
        # The version is read first: the rows are then at least that new, and a change made in
        # between gives the next poll another version.
        version = _version(session)
        rows = list(
            session.exec(
                select(StoredBlocklistEntry)
                .where(col(StoredBlocklistEntry.enabled))
                .order_by(col(StoredBlocklistEntry.id))
            )
        )
    entries = [BlocklistEntry(value=r.value, kind="regex" if r.kind == "regex" else "term", team=r.team) for r in rows]
    return version, entries


def blocklist_version(engine: Engine) -> str:
    with session_scope(engine) as session:
        return _version(session)


class BlocklistReloader:
    """Polls the version every `interval` seconds and recompiles the blocklist when it changed."""

    def __init__(
        self, engine: Engine, target: VersionedBlocklist, interval: float = 2.0, outages: DatabaseOutages | None = None
    ) -> None:
        self._engine = engine
        self._outages = outages or DatabaseOutages()
        self._target = target
        self._interval = interval
        self._version = ""
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> bool:
        """Reload now if the stored entries changed; return True when a new version was loaded."""
        version = await asyncio.to_thread(blocklist_version, self._engine)
        if version == self._version:
            return False
        version, entries = await asyncio.to_thread(load_blocklist, self._engine)
        self._target.update(version, entries)
        self._version = version
        log.info("blocklist version %s loaded (%d entries)", version, len(entries))
        return True

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as error:  # a database hiccup must not stop reloading for good
                self._outages.report(error, f"blocklist reload (keeping version {self._version or '(none)'})")
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="blocklist-reloader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
