"""A blocklist change made through the admin API on one gateway process changes what another
process's filter does within seconds: two processes share PostgreSQL and Redis, and answers come
through the official openai SDK."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.helpers.gateway_api import start_together
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import REDIS_URL, create_database, drop_database, gateway_config
from tests.helpers.waiting import wait_until

ADMIN = {"Authorization": "Bearer admin-test-key"}
PHRASE = "Project Kestrel"
PROMPT = "what is the status of project   KESTREL?"
PROPAGATION_SECONDS = 10


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[str]:
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture(scope="module")
def gateways(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, shared_postgres: str
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    """Two `gateway serve` processes on one PostgreSQL database and one Redis key prefix."""
    prefix = f"gw-blocklist-{uuid.uuid4().hex[:10]}:"
    workdir: Path = tmp_path_factory.mktemp("blocklist-propagation")
    config = gateway_config(mock_upstream.url, shared_postgres, redis_url=REDIS_URL, redis_key_prefix=prefix)
    first = GatewayProcess(workdir / "a", config)
    second = GatewayProcess(workdir / "b", config)
    first.cli("db", "upgrade")
    first.cli("teams", "create", "kestrel-watchers")
    first.cli("teams", "create", "elsewhere")
    try:
        start_together(first, second)
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture(scope="module")
def other_process_client(gateways: tuple[GatewayProcess, GatewayProcess]) -> OpenAI:
    """A client of the second process, for a team the entries below concern."""
    first, second = gateways
    key = first.cli("keys", "create", "--team", "kestrel-watchers").stdout.strip().splitlines()[-1]
    return OpenAI(base_url=second.base_url, api_key=key, max_retries=0, timeout=30)


def admin_call(gateway: GatewayProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{gateway.root_url}/admin/api/blocklist{path}", headers=ADMIN, timeout=30, **kwargs)


def withheld(client: OpenAI) -> bool:
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": PROMPT}])
    return answer.choices[0].finish_reason == "content_filter"


def eventually(client: OpenAI, blocked: bool, what: str) -> None:
    wait_until(lambda: withheld(client) is blocked, timeout=PROPAGATION_SECONDS, interval=0.2, waiting_for=what)


def test_the_answer_passes_before_anything_is_blocklisted(other_process_client: OpenAI) -> None:
    assert not withheld(other_process_client)


def test_added_disabled_enabled_rescoped_and_deleted_entries_reach_the_other_process(
    gateways: tuple[GatewayProcess, GatewayProcess], other_process_client: OpenAI
) -> None:
    first, _ = gateways
    added = admin_call(first, "POST", "", json={"phrase": PHRASE})
    assert added.status_code == 201, added.text
    entry_id = added.json()["id"]
    eventually(other_process_client, True, "the other process to withhold the added phrase")

    assert admin_call(first, "PATCH", f"/{entry_id}", json={"enabled": False}).status_code == 200
    eventually(other_process_client, False, "the other process to let the disabled phrase pass")

    assert admin_call(first, "PATCH", f"/{entry_id}", json={"enabled": True, "team": "elsewhere"}).status_code == 200
    eventually(other_process_client, False, "the phrase scoped to another team to pass for this one")

    assert admin_call(first, "PATCH", f"/{entry_id}", json={"team": "kestrel-watchers"}).status_code == 200
    eventually(other_process_client, True, "the phrase scoped to this team to be withheld again")

    assert admin_call(first, "DELETE", f"/{entry_id}").status_code == 200
    eventually(other_process_client, False, "the other process to let the deleted phrase pass")


def test_a_change_is_in_force_in_the_other_process_when_the_api_answers(
    gateways: tuple[GatewayProcess, GatewayProcess], other_process_client: OpenAI
) -> None:
    # With Redis, the API answers only after every process re-read the blocklist (a change notice).
    first, _ = gateways
    added = admin_call(first, "POST", "", json={"phrase": PHRASE, "team": "kestrel-watchers"})
    assert added.status_code == 201, added.text
    assert withheld(other_process_client)
    assert admin_call(first, "PATCH", f"/{added.json()['id']}", json={"enabled": False}).status_code == 200
    assert not withheld(other_process_client)
    assert admin_call(first, "DELETE", f"/{added.json()['id']}").status_code == 200
