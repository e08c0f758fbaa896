"""Shared pieces of the end-to-end tests of usage, limits, policies and the prompt library.

One pair of gateway processes (same SQLite database, same Redis prefix, same policy folder) serves
every test that can share it: each test makes its own team and key, so budgets, rate limits and
ledger rows never mix. Gateways are started in parallel: each start costs ~10-30 s.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from filters.review_crypto import AnswerCipher
from gateway.config import shipped_policies_dir
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from tests.helpers.gateway_api import Ledger, priced_config, start_together, stop_all
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.tls import LoopbackCertificates, make_certificates


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture()
def key_database(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database at the newest migration, for the key cache's tests."""
    url = f"sqlite:///{tmp_path}/gateway.db"
    upgrade_database(url)
    engine = create_database_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def policies_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared gateways' policy folder: the shipped default policy; test modules add their own files."""
    directory = tmp_path_factory.mktemp("policies")
    shutil.copy(shipped_policies_dir() / "default.yaml", directory / "default.yaml")
    return directory


@pytest.fixture(scope="session")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('shared-db')}/gateway.db"


@pytest.fixture(scope="session")
def gateway_pair(
    tmp_path_factory: pytest.TempPathFactory,
    mock_upstream: RunningMockUpstream,
    policies_dir: Path,
    shared_database: str,
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    """Two processes on one SQLite database and one Redis prefix (each has its own working folder)."""
    # One review key for both, as every process of a deployment must share (GATEWAY_REVIEW_KEYS).
    review_key = AnswerCipher.new_key()
    config = priced_config(mock_upstream.url, shared_database, policies_dir=str(policies_dir), review_keys=[review_key])
    first = GatewayProcess(tmp_path_factory.mktemp("gateway-a"), config)
    second = GatewayProcess(tmp_path_factory.mktemp("gateway-b"), config)
    first.cli("db", "upgrade")
    start_together(first, second)
    yield first, second
    stop_all((first, second))


@pytest.fixture(scope="session")
def gateway(gateway_pair: tuple[GatewayProcess, GatewayProcess]) -> GatewayProcess:
    return gateway_pair[0]


@pytest.fixture(scope="session")
def twin(gateway_pair: tuple[GatewayProcess, GatewayProcess]) -> GatewayProcess:
    return gateway_pair[1]


@pytest.fixture(scope="session")
def ledger(shared_database: str) -> Iterator[Ledger]:
    reader = Ledger(shared_database)
    yield reader
    reader.close()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificates:
    """A throwaway CA and a server certificate for 127.0.0.1 (what SSL_CERT_FILE would trust)."""
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_upstream(certificates: LoopbackCertificates) -> Iterator[RunningMockUpstream]:
    """The mock upstream over TLS, with the certificate of `certificates`."""
    with RunningMockUpstream(ssl_context=certificates.server_context()) as upstream:
        yield upstream
