"""Fixtures for real servers: a mock upstream on loopback, PostgreSQL, Redis, gateway processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
