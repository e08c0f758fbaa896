"""Fixtures for real servers: a mock upstream on loopback, PostgreSQL, Redis, gateway processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.offline import apply_offline_defaults
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import create_database, drop_database, gateway_config

apply_offline_defaults()


@pytest.fixture(scope="session")
def mock_upstream() -> Iterator[RunningMockUpstream]:
    with RunningMockUpstream() as running:
        yield running


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database on the real server, dropped afterwards."""
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the test's own, on SQLite or on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture()
def migrated_engine(any_database_url: str) -> Iterator[Engine]:
    """An engine on `any_database_url`, upgraded to the newest migration."""
    upgrade_database(any_database_url)
    engine = create_database_engine(any_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_postgres_url() -> Iterator[str]:
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture(scope="session")
def sqlite_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("gateway-sqlite")
    process = GatewayProcess(workdir, gateway_config(mock_upstream.url, f"sqlite:///{workdir}/gateway.db"))
    process.cli("db", "upgrade")
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def postgres_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, session_postgres_url: str
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("gateway-postgres")
    process = GatewayProcess(workdir, gateway_config(mock_upstream.url, session_postgres_url))
    process.cli("db", "upgrade")
    process.start()
    yield process
    process.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def any_gateway(request: pytest.FixtureRequest) -> GatewayProcess:
    """The same tests against a gateway on SQLite and one on the real PostgreSQL."""
    fixture = "sqlite_gateway" if request.param == "sqlite" else "postgres_gateway"
    gateway: GatewayProcess = request.getfixturevalue(fixture)
    return gateway
