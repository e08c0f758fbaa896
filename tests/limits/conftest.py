"""Fixtures of the limits tests: real Redis (a private key prefix per test), SQLite, a movable clock."""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.core.models import ApiKey, Team
from gateway.core.redis import create_redis
from gateway.ledger.records import UsageRecord
from gateway.limits.backend import LimitsBackend
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.memory_backend import InProcessLimits
from gateway.limits.models import Budget, RateLimit
from gateway.limits.redis_backend import RedisLimits
from tests.helpers.gateway_process import free_port
from tests.helpers.servers import REDIS_URL
from tests.helpers.waiting import wait_until

TABLES = [SQLModel.metadata.tables[t.__tablename__] for t in (Team, ApiKey, UsageRecord, Budget, RateLimit)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/limits.db")
    SQLModel.metadata.create_all(engine, tables=TABLES)
    yield engine
    engine.dispose()


@pytest.fixture
def catalog(engine: Engine) -> LimitsCatalog:
    return LimitsCatalog(engine, refresh_seconds=0)


@pytest.fixture
def prefix() -> str:
    return f"test-limits-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def redis(prefix: str) -> AsyncIterator[Redis]:
    client = create_redis(REDIS_URL)
    yield client
    await delete_prefixed(client, prefix)
    await client.aclose()


class PrivateRedis:
    """A redis-server of our own, so a test may stop it, start it and empty its script cache."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A child process' readiness: nothing to await but its port.
        wait_until(self._listens, timeout=5, interval=0.02, waiting_for=f"redis-server on port {self.port}")

    def _listens(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)
            self._process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


BackendFactory = Callable[..., LimitsBackend]


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.redis)])
async def make_backend(
    request: pytest.FixtureRequest, catalog: LimitsCatalog, engine: Engine, clock: Clock, prefix: str
) -> AsyncIterator[BackendFactory]:
    """Builds the backend under test (in-process, or Redis-backed with its own client per instance)."""
    clients: list[Redis] = []

    def make(**options: Any) -> LimitsBackend:
        if request.param == "in_process":
            return InProcessLimits(catalog, ledger=engine, clock=clock, **options)
        clients.append(create_redis(REDIS_URL))
        return RedisLimits(clients[-1], catalog, prefix=prefix, ledger=engine, clock=clock, **options)

    yield make
    for client in clients:
        await delete_prefixed(client, prefix)
        await client.aclose()


async def delete_prefixed(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
