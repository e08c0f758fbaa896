"""Telling every gateway process that shared settings changed (budgets, rate limits, keys, the
blocklist), so each re-reads them before the change is confirmed to whoever made it, instead of at
its next refresh.

With Redis, a notice is published and `announce` waits (briefly) until every subscribed process has
acknowledged that it re-read; without Redis there is one process, and its own handlers run first.
A notice may name its subject (which key, which team), so a process drops only what changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)
Handler = Callable[[str], Awaitable[object]]  # called with the notice's subject ("" when it names none)
LIMITS_CHANGED = "limits"  # a budget or rate limit was set
KEYS_CHANGED = "keys"  # a key was revoked or edited (subject `key:<prefix>`), or its team (`team:<id>`)
BLOCKLIST_CHANGED = "blocklist"  # a blocklist entry was added, changed or deleted
ACK_WAIT_SECONDS = 2.0


class ChangeNotices:
    """One process's end of the notices: handlers per topic, a listener, and `announce`."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._channel = f"{prefix}changes".encode()
        self._prefix = prefix
        self._origin = secrets.token_hex(6)
        self._handlers: dict[str, list[Handler]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._pubsub: PubSub | None = None

    def on(self, topic: str, handler: Handler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    async def start(self) -> None:
        if self._redis is not None:
            self._pubsub = self._redis.pubsub()
            await self._pubsub.subscribe(self._channel)
            self._listener = asyncio.get_running_loop().create_task(self._listen(self._pubsub))

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            await self._pubsub.aclose()

    async def announce(self, topic: str, subject: str = "") -> None:
        """Run this process's handlers, then tell the others and wait until they have run theirs."""
        await self._run(topic, subject)
        if self._redis is None:
            return
        nonce = secrets.token_hex(8)
        try:
            receivers = await self._redis.publish(self._channel, f"{topic} {self._origin} {nonce} {subject}".encode())
            deadline = time.monotonic() + ACK_WAIT_SECONDS
            # Every subscriber acknowledges, this process too (it skips the work it already did).
            while int(await self._redis.get(self._ack_key(nonce)) or 0) < receivers:
                if time.monotonic() > deadline:
                    log.warning("a %s notice was not acknowledged by every process in time", topic)
                    return
                await asyncio.sleep(0.005)
        except Exception as error:  # Redis away: the others catch up at their next refresh
            log.warning("could not announce a %s change: %s", topic, type(error).__name__)

    def _ack_key(self, nonce: str) -> str:
        return f"{self._prefix}changes:ack:{nonce}"

    async def _run(self, topic: str, subject: str) -> None:
        for handler in self._handlers.get(topic, ()):
            await handler(subject)

    async def _listen(self, pubsub: PubSub) -> None:
        assert self._redis is not None
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                topic, origin, nonce, subject = bytes(message["data"]).decode().split(" ", 3)
                if origin != self._origin:
                    await self._run(topic, subject)
                key = self._ack_key(nonce)
                await self._redis.incr(key)
                await self._redis.expire(key, 60)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("change notices: %s; listening again", type(error).__name__)
                await asyncio.sleep(1.0)
