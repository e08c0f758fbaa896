"""The Redis client: short timeouts so the gateway never hangs on an unreachable Redis."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 256


def create_redis(url: str, *, timeout_seconds: float = 1.0) -> Redis:
    # A blocking pool: past MAX_CONNECTIONS a command waits (up to the timeout) for a connection.
    # The default pool raised "Too many connections" at once under load, which the limits read as
    # an outage and answered with their fail mode.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=15,
        decode_responses=False,
    )
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes the connections
