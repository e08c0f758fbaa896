"""Fixtures of the admin UI tests: the app in process for route checks, a real gateway for the browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, sync_playwright
from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from filters.review_crypto import AnswerCipher
from gateway.app import create_app
from gateway.config import load_config
from gateway.core import keys
from gateway.core.db import create_database_engine
from tests.admin.day_two_seed import DayTwo, seed_day_two
from tests.admin.queue_seed import QueueSeed, seed_queue
from tests.admin.seed import UIGateway, seed_ui_data
from tests.admin.support import ADMIN_KEY, REGISTRY_PEOPLE, ROLE_NAMES, add_user, migrated_database, sqlite_url
from tests.helpers.clients import client_factory
from tests.helpers.gateway_api import priced_config
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import gateway_config


@pytest.fixture(scope="module")
def review_key() -> str:
    return AnswerCipher.new_key()


@pytest.fixture(scope="module")
def ui_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """A SQLite database with every table and one user per role (named after the role)."""
    url = sqlite_url(tmp_path_factory.mktemp("admin-ui"))
    engine = migrated_database(url)
    hashing = PasswordHashing()
    for role in ROLE_NAMES:
        add_user(engine, hashing, role, role, team="support" if role in {"reviewer", "admin"} else None)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def ui_app(
    ui_database: tuple[str, Engine], review_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The gateway app in process (lifespan run) with the admin UI installed."""
    url, _ = ui_database
    workdir = tmp_path_factory.mktemp("state")
    config = {"database_url": url, "admin_key": ADMIN_KEY, "review_keys": [review_key], "state_dir": str(workdir)}
    (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
    app = create_app(load_config(workdir / "gateway.yaml", environ={}))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client


@pytest.fixture()
def make_client(ui_app: TestClient) -> Iterator[object]:
    """A factory of fresh clients (own cookie jars) on the same app."""
    with client_factory(ui_app) as factory:
        yield factory


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def ui_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, review_key: str
) -> Iterator[UIGateway]:
    """`gateway serve` as a real process on a SQLite database with every table, users and sample data."""
    workdir = tmp_path_factory.mktemp("admin-ui-gateway")
    url = sqlite_url(workdir)
    # Tests add ledger rows to past days while it runs: its spend pages re-read the rollup each time.
    config = gateway_config(mock_upstream.url, url, review_keys=[review_key], use_cases={"rollup_refresh_seconds": 0})
    for entry in config["model_list"]:  # one priced model, for the warning about budgets below one answer
        if entry["model_name"] == "claude-test":
            entry["litellm_params"].update(input_cost_per_token=8e-7, output_cost_per_token=4e-6)
    process = GatewayProcess(workdir, config)
    process.cli("db", "upgrade")
    engine = create_database_engine(url)
    seeded = seed_ui_data(engine, review_key)
    process.start()
    try:
        yield UIGateway(process, engine, seeded)
    finally:
        process.stop()
        engine.dispose()


@pytest.fixture(scope="module")
def queue_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, review_key: str
) -> Iterator[tuple[GatewayProcess, Engine, QueueSeed]]:
    """`gateway serve` with a queue of a few pages of review items (tests.admin.queue_seed)."""
    workdir = tmp_path_factory.mktemp("queue-gateway")
    url = sqlite_url(workdir)
    process = GatewayProcess(workdir, gateway_config(mock_upstream.url, url, review_keys=[review_key]))
    process.cli("db", "upgrade")
    engine = create_database_engine(url)
    seeded = seed_queue(engine, review_key)
    process.start()
    try:
        yield process, engine, seeded
    finally:
        process.stop()
        engine.dispose()


@pytest.fixture()
def open_queue_browser(
    browser: Browser, queue_gateway: tuple[GatewayProcess, Engine, QueueSeed]
) -> Iterator[Callable[[bool], BrowserContext]]:
    """Fresh browser contexts on the queue's gateway; `False` turns the page's script off."""
    contexts: list[BrowserContext] = []

    def factory(javascript: bool = True) -> BrowserContext:
        context = browser.new_context(base_url=queue_gateway[0].root_url, java_script_enabled=javascript)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def registry_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[GatewayProcess]:
    """`gateway serve` for the use case lifecycle: team `support`, the people of REGISTRY_PEOPLE,
    and erin on the ethics board."""
    workdir = tmp_path_factory.mktemp("registry-gateway")
    url = sqlite_url(workdir)
    config = gateway_config(mock_upstream.url, url, use_cases={"boards": {"ethics_board": ["erin"]}})
    process = GatewayProcess(workdir, config)
    process.cli("db", "upgrade")
    engine = create_database_engine(url)
    hashing = PasswordHashing()
    for name, role in REGISTRY_PEOPLE.items():
        add_user(engine, hashing, name, role)
    keys.create_team(engine, "support")
    engine.dispose()
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def open_browser(browser: Browser, ui_gateway: UIGateway) -> Iterator[Callable[[], BrowserContext]]:
    """A factory of fresh browser contexts (own cookies) pointed at the gateway; closed after the test."""
    contexts: list[BrowserContext] = []

    def factory() -> BrowserContext:
        context = browser.new_context(base_url=ui_gateway.process.root_url, accept_downloads=True)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def priced_app(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[tuple[TestClient, Engine]]:
    """The gateway app in process with priced models (for budget warnings) and one user per role,
    and an engine on its database (to read the audit log)."""
    workdir = tmp_path_factory.mktemp("priced-admin")
    url = sqlite_url(workdir)
    engine = migrated_database(url)
    hashing = PasswordHashing()
    for role in ROLE_NAMES:
        add_user(engine, hashing, role, role)
    config = priced_config(mock_upstream.url, url, state_dir=str(workdir))
    del config["redis_url"]  # one process: its own notices suffice
    (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
    app = create_app(load_config(workdir / "gateway.yaml", environ={}))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client, engine
    engine.dispose()


@pytest.fixture()
def make_priced_client(priced_app: tuple[TestClient, Engine]) -> Iterator[object]:
    """A factory of fresh clients (own cookie jars) on the priced app."""
    with client_factory(priced_app[0]) as factory:
        yield factory


@pytest.fixture(scope="module")
def day_two_gateway(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, review_key: str
) -> Iterator[tuple[GatewayProcess, DayTwo]]:
    """`gateway serve` on SQLite with spend at fixed instants around 2026-03-18 (tests/admin/day_two_seed.py),
    seeded before the process starts, so its first rollup sees every row."""
    workdir = tmp_path_factory.mktemp("day-two-gateway")
    url = sqlite_url(workdir)
    process = GatewayProcess(workdir, gateway_config(mock_upstream.url, url, review_keys=[review_key]))
    process.cli("db", "upgrade")
    engine = create_database_engine(url)
    seeded = seed_day_two(engine, review_key)
    engine.dispose()
    process.start()
    yield process, seeded
    process.stop()


@pytest.fixture()
def open_day_two(
    browser: Browser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts (options such as `viewport` passed on) pointed at the day-two
    gateway; closed after the test."""
    contexts: list[BrowserContext] = []

    def factory(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=day_two_gateway[0].root_url, accept_downloads=True, **options)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()
