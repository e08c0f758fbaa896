"""Keeps every process's registry snapshot fresh: a cheap version query every few seconds, a full
read only when it changed, and an immediate reload when an admin change is announced."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from gateway.core.db import session_scope
from gateway.core.outages import DatabaseOutages
from use_cases.snapshot import CardView, LiveRegistry, RegistrySnapshot, UseCaseView
from use_cases.tables import KeyUseCase, ModelCard, UseCase

log = logging.getLogger(__name__)
REGISTRY_CHANGED = "use_cases"  # the gateway.core.notices topic an admin change announces


def registry_version(engine: Engine) -> str:
    with session_scope(engine) as session:
        cases = session.exec(select(func.count(col(UseCase.id)), func.sum(col(UseCase.revision)))).one()
        keys = session.exec(select(func.count(col(KeyUseCase.key_id)), func.max(col(KeyUseCase.key_id)))).one()
        cards = session.exec(select(func.count(col(ModelCard.model_name)), func.max(col(ModelCard.updated_at)))).one()
    return f"{cases[0]}:{cases[1] or 0}/{keys[0]}:{keys[1] or 0}/{cards[0]}:{cards[1] or ''}"


def load_snapshot(engine: Engine) -> RegistrySnapshot:
    version = registry_version(engine)
    with session_scope(engine) as session:
        use_cases = {row.id: UseCaseView.of(row) for row in session.exec(select(UseCase))}
        bound = {row.key_id: row.use_case_id for row in session.exec(select(KeyUseCase))}
        cards = {card.model_name: CardView.of(card) for card in session.exec(select(ModelCard))}
    return RegistrySnapshot(version, use_cases, bound, cards)


class RegistryReloader:
    def __init__(
        self, engine: Engine, target: LiveRegistry, interval: float, outages: DatabaseOutages | None = None
    ) -> None:
        self._engine = engine
        self._target = target
        self._interval = interval
        self._outages = outages or DatabaseOutages()
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """Reload if the stored registry changed."""
        version = await asyncio.to_thread(registry_version, self._engine)
        if version == self._target.current.version:
            return
        snapshot = await asyncio.to_thread(load_snapshot, self._engine)
        self._target.update(snapshot)
        log.info("use case registry version %s loaded (%d use cases)", snapshot.version, len(snapshot.use_cases))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.refresh()
            except Exception as error:  # a database hiccup keeps the last snapshot, and reloading goes on
                self._outages.report(error, "use case registry reload (keeping the last snapshot)")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="use-case-registry-reloader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
