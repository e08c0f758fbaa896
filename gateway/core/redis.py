"""The Redis client: short timeouts so the gateway never hangs on an unreachable Redis."""

from __future__ import annotations

from redis.asyncio import Redis


def create_redis(url: str, *, timeout_seconds: float = 0.25) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=15,
        decode_responses=False,
    )
