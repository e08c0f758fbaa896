"""Resolves a request's virtual key to a Principal without a database query on every request.

Verified keys are trusted for `key_cache_seconds` and then checked again. A revocation or an edit
of a key or its team does not wait for that: the admin change announces it (gateway.core.notices)
and every process `forget`s the key before the admin call returns. Expiry is checked on every
request from the cached record. Concurrent first requests with one key share one database lookup.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from gateway.core.db import session_scope
from gateway.core.errors import AuthenticationFailed
from gateway.core.keys import hash_key
from gateway.core.models import ApiKey, Team, utcnow
from gateway.core.outages import UNREACHABLE, DatabaseOutages
from gateway.core.types import Principal

log = logging.getLogger(__name__)
MAX_CACHED_KEYS = 100_000
UNKNOWN_KEY_SECONDS = 1.0  # short, so a key created a moment ago is not refused for long
# Without Redis no notice reaches a sibling process (`--workers N`), so a revocation made through
# one of them binds the others only at their next re-check: keep that short.
UNNOTIFIED_KEY_SECONDS = 1.0


def key_check_seconds(configured: float, *, notices_shared: bool) -> float:
    """How long a verified key is trusted: as configured while change notices reach every process."""
    return configured if notices_shared else min(configured, UNNOTIFIED_KEY_SECONDS)


@dataclass(frozen=True, slots=True)
class _CachedKey:
    principal: Principal | None
    expires_at: datetime | None
    checked_until: float


def bearer_token(authorization: str | None, api_key_header: str | None) -> str:
    """The key from `Authorization: Bearer …` or Azure's `api-key` header."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    if api_key_header:
        return api_key_header.strip()
    raise AuthenticationFailed(
        "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.", code="missing_api_key"
    )


class KeyAuthenticator:
    def __init__(self, engine: Engine, cache_seconds: float, outages: DatabaseOutages) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._outages = outages
        self._cache: dict[str, _CachedKey] = {}
        self._pending: dict[str, asyncio.Future[_CachedKey]] = {}
        # Moves on at every `forget`: a lookup that started before it may have read the old row,
        # so its answer serves the requests that waited for it but is not kept.
        self._generation = 0

    def forget(self, subject: str) -> None:
        """Drop cached answers: one key (`key:<prefix>`), a team's keys (`team:<id>`), or all ('')."""
        kind, _, value = subject.partition(":")
        self._generation += 1
        if kind == "key":
            self._drop(lambda principal: principal.key_prefix == value)
        elif kind == "team" and value.isdigit():
            self._drop(lambda principal: principal.team_id == int(value))
        else:
            self._cache.clear()

    def _drop(self, matches: Callable[[Principal], bool]) -> None:
        stale = [
            digest for digest, entry in self._cache.items() if entry.principal is not None and matches(entry.principal)
        ]
        for digest in stale:
            del self._cache[digest]

    async def forget_announced(self, subject: str) -> None:
        """`forget`, as a handler of gateway.core.notices."""
        self.forget(subject)

    async def authenticate(self, key: str) -> Principal:
        digest = hash_key(key)
        entry = self._cache.get(digest)
        if entry is None:
            entry = await self._lookup_once(digest)
        elif entry.checked_until < time.monotonic() and digest not in self._pending:
            # Re-check in the background; until it answers, the last answer stands (a revocation
            # takes effect within cache_seconds plus one lookup, and no request waits for it).
            task = asyncio.get_running_loop().create_task(self._lookup_once(digest))
            task.add_done_callback(self._log_failure)
        if entry.principal is None:
            raise AuthenticationFailed("Incorrect API key provided.")
        if entry.expires_at is not None and entry.expires_at <= utcnow():
            raise AuthenticationFailed("The API key has expired.", code="expired_api_key")
        return entry.principal

    def _log_failure(self, task: asyncio.Task[_CachedKey]) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, UNREACHABLE):
            self._outages.seen(error)  # the cached answer stands meanwhile
        elif error is not None:
            log.warning("background key re-check failed: %s", type(error).__name__)

    async def _lookup_once(self, digest: str) -> _CachedKey:
        pending = self._pending.get(digest)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_CachedKey] = asyncio.get_running_loop().create_future()
        self._pending[digest] = future
        generation = self._generation
        try:
            entry = await asyncio.to_thread(self._lookup, digest)
            future.set_result(entry)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it themselves
            raise
        finally:
            del self._pending[digest]
        if generation != self._generation:
            return entry
        if len(self._cache) >= MAX_CACHED_KEYS:
            self._cache.clear()
        self._cache[digest] = entry
        return entry

    def _lookup(self, digest: str) -> _CachedKey:
        now = time.monotonic()
        with session_scope(self._engine) as session:
            row = session.exec(
                select(ApiKey, Team)
                .join(Team, col(Team.id) == col(ApiKey.team_id))
                .where(col(ApiKey.key_hash) == digest)
            ).first()
        if row is None or row[0].revoked_at is not None:
            return _CachedKey(None, None, now + min(UNKNOWN_KEY_SECONDS, self._cache_seconds))
        key, team = row
        assert key.id is not None and team.id is not None
        principal = Principal(
            team_id=team.id,
            team_name=team.name,
            key_id=key.id,
            key_prefix=key.prefix,
            allowed_models=frozenset(team.models) if team.models is not None else None,
            policy=team.policy,
        )
        expires_at = key.expires_at
        if expires_at is not None and expires_at.tzinfo is None:  # SQLite drops the zone
            expires_at = expires_at.replace(tzinfo=utcnow().tzinfo)
        return _CachedKey(principal, expires_at, now + self._cache_seconds)
