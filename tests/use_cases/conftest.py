"""The registry's API tests: the app in process on a migrated SQLite or PostgreSQL database, with
a team, people to own use cases, and an ethics board."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from gateway.app import create_app
from gateway.config import load_config
from gateway.core import keys
from tests.admin.support import ADMIN_KEY, add_user, migrated_database, sqlite_url
from tests.helpers.clients import client_factory
from tests.helpers.servers import create_database, drop_database
from tests.use_cases.helpers import MODELS, PEOPLE


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Engine]]:
    """The gateway app (lifespan run) with teams `support` and `research` and the people of PEOPLE,
    and an engine of its database for the tests to read what was stored."""
    workdir = tmp_path_factory.mktemp("use-cases")
    database_name = None
    if request.param == "sqlite":
        url = sqlite_url(workdir)
    else:
        database_name, url = create_database()
    engine = migrated_database(url)
    hashing = PasswordHashing()
    for name, role in PEOPLE.items():
        add_user(engine, hashing, name, role)
    for team in ("support", "research"):
        keys.create_team(engine, team)
    config = {
        "database_url": url,
        "admin_key": ADMIN_KEY,
        "state_dir": str(workdir),
        "model_list": [{"model_name": name, "litellm_params": {"model": f"gateway-mock/{name}"}} for name in MODELS],
        "use_cases": {"boards": {"ethics_board": ["erin"]}},
    }
    (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
    app = create_app(load_config(Path(workdir / "gateway.yaml"), environ={}))
    try:
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            yield client, engine
    finally:
        engine.dispose()
        if database_name is not None:
            drop_database(database_name)


@pytest.fixture(scope="module")
def registry_app(registry_env: tuple[TestClient, Engine]) -> TestClient:
    return registry_env[0]


@pytest.fixture(scope="module")
def registry_db(registry_env: tuple[TestClient, Engine]) -> Engine:
    return registry_env[1]


@pytest.fixture()
def make_clients(registry_app: TestClient) -> Iterator[Callable[[], TestClient]]:
    """A factory of fresh clients (own cookie jars, for signing in as different people) on the app."""
    with client_factory(registry_app) as factory:
        yield factory
