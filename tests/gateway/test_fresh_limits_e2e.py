"""A budget or rate limit binds every process from the moment the admin API confirms it: the
processes here re-read their copies only every 300 s, so only the change notice can make them know."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.gateway_api import (
    ADMIN,
    Ledger,
    ask,
    burst,
    chat,
    new_team_key,
    priced_config,
    start_together,
    stop_all,
)
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[tuple[GatewayProcess, GatewayProcess, Ledger]]:
    database = f"sqlite:///{tmp_path_factory.mktemp('fresh-limits-db')}/gateway.db"
    config = priced_config(mock_upstream.url, database, limits={"catalog_refresh_seconds": 300})
    first = GatewayProcess(tmp_path_factory.mktemp("fresh-a"), config)
    second = GatewayProcess(tmp_path_factory.mktemp("fresh-b"), config)
    first.cli("db", "upgrade")
    start_together(first, second)
    ledger = Ledger(database)
    yield first, second, ledger
    ledger.close()
    stop_all((first, second))


def test_a_budget_set_through_one_process_binds_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess, Ledger],
) -> None:
    first, second, ledger = pair
    member = new_team_key(first, "fresh-budget", models=["gpt-test"])
    assert chat(second, member, ask("before any budget")).status_code == 200  # the old copy is loaded
    budget_nanos = 100_000
    created = httpx.post(
        f"{first.root_url}/admin/api/budgets",
        json={"team": member.team, "amount_usd": "0.0001", "period": "day"},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    responses = asyncio.run(burst(second, member, 50))
    statuses = [response.status_code for response in responses]
    assert 429 in statuses, statuses
    rows = ledger.rows([response.headers["x-request-id"] for response in responses])
    costs = [row.cost_nanos for row in rows.values() if row.status_code == 200]
    assert sum(costs) <= budget_nanos + max(costs, default=0)


def test_a_rate_limit_set_through_one_process_binds_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess, Ledger],
) -> None:
    first, second, _ = pair
    member = new_team_key(first, "fresh-rpm", models=["gpt-test"])
    assert chat(second, member, ask("before any limit")).status_code == 200
    created = httpx.post(
        f"{first.root_url}/admin/api/rate-limits", json={"key_prefix": member.prefix, "rpm": 2}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    statuses = [chat(second, member, ask("now")).status_code for _ in range(4)]
    assert statuses.count(429) >= 2, statuses
