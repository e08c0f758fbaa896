"""Blocklist entries in the database, and the poller that reloads them in every process."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import Column, DateTime, func
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from filters.blocklist import Blocklist, BlocklistEntry, VersionedBlocklist
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.core.outages import DatabaseOutages

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


def add_blocklist_entry(
    session: Session, *, value: str, kind: str, team: str | None, created_by: str, source_review_id: str | None = None
) -> StoredBlocklistEntry:
    # Compiling first refuses an empty term or an invalid regular expression before it is stored.
    Blocklist.from_entries([BlocklistEntry(value=value, kind="regex" if kind == "regex" else "term", team=team)])
    entry = StoredBlocklistEntry(
        value=value, kind=kind, team=team, created_by=created_by, source_review_id=source_review_id
    )
    session.add(entry)
    return entry


def load_blocklist(engine: Engine) -> tuple[str, list[BlocklistEntry]]:
    """The current entries and a version string that changes whenever an entry is added or removed."""
    with session_scope(engine) as session:
        rows = list(session.exec(select(StoredBlocklistEntry).order_by(col(StoredBlocklistEntry.id))))
    version = f"{len(rows)}:{rows[-1].id if rows else 0}"
    entries = [BlocklistEntry(value=r.value, kind="regex" if r.kind == "regex" else "term", team=r.team) for r in rows]
    return version, entries


def blocklist_version(engine: Engine) -> str:
    with session_scope(engine) as session:
        count, newest = session.exec(
            select(func.count(col(StoredBlocklistEntry.id)), func.max(col(StoredBlocklistEntry.id)))
        ).one()
    return f"{count}:{newest or 0}"


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
