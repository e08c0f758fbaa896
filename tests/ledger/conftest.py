"""Fixtures of the usage ledger's tests: real SQLite files and a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.core.models import ApiKey, Team
from gateway.ledger.records import UsageRecord
from gateway.limits.models import Budget, RateLimit
from gateway.offline import apply_offline_defaults

apply_offline_defaults()
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
TABLES = [SQLModel.metadata.tables[t.__tablename__] for t in (Team, ApiKey, UsageRecord, Budget, RateLimit)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sqlite_engine(tmp_path: object) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{tmp_path}/ledger.db")
    SQLModel.metadata.create_all(engine, tables=TABLES)
    yield engine
    engine.dispose()


class ThrowawayPostgres:
    """A database created for one test and dropped after it; can be made unreachable and back."""

    def __init__(self) -> None:
        self.name = "usage_" + uuid.uuid4().hex[:12]
        self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"
        self._admin("CREATE DATABASE {}")

    def _admin(self, statement: str) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(statement.format(self.name))  # the name is ours, made of hex digits

    def go_down(self) -> None:
        """Refuse new connections and end the open ones: a real outage, as the app sees it."""
        self._admin("ALTER DATABASE {} ALLOW_CONNECTIONS false")
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,)
            )

    def come_back(self) -> None:
        self._admin("ALTER DATABASE {} ALLOW_CONNECTIONS true")

    def drop(self) -> None:
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    database = ThrowawayPostgres()
    yield database
    database.drop()


@pytest.fixture
def postgres_engine(postgres: ThrowawayPostgres) -> Iterator[Engine]:
    engine = create_database_engine(postgres.url)
    SQLModel.metadata.create_all(engine, tables=TABLES)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test against SQLite and PostgreSQL."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(name)
