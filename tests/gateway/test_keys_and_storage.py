"""Virtual keys, teams and the admin API, against SQLite and the real PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import gateway_config
from tests.helpers.waiting import wait_until

ADMIN = {"Authorization": "Bearer admin-test-key"}


def test_cli_key_works_and_is_printed_alone_on_the_last_line(any_gateway: GatewayProcess) -> None:
    any_gateway.cli("teams", "create", "cli-team", check=False)
    output = any_gateway.cli("keys", "create", "--team", "cli-team").stdout.strip().splitlines()
    key = output[-1]
    assert key.startswith("sk-gw-") and " " not in key
    answer = OpenAI(base_url=any_gateway.base_url, api_key=key).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "stored"}]
    )
    assert answer.choices[0].message.content == "Mock answer: stored"


def test_revoked_key_is_refused_within_seconds(any_gateway: GatewayProcess) -> None:
    key = any_gateway.create_key("revokers")
    client = OpenAI(base_url=any_gateway.base_url, api_key=key, max_retries=0)
    client.models.list()
    prefix = key[: len("sk-gw-") + 8]
    assert "revoked" in any_gateway.cli("keys", "revoke", prefix).stdout

    def refused() -> bool:
        try:
            client.models.list()
        except openai.AuthenticationError:
            return True
        return False

    wait_until(refused, timeout=5, interval=0.2, waiting_for="the revoked key to be refused")


def test_admin_api_creates_team_and_key_shown_once(any_gateway: GatewayProcess) -> None:
    root = any_gateway.root_url
    created = httpx.post(f"{root}/admin/api/teams", json={"name": "api-team", "models": ["gpt-test"]}, headers=ADMIN)
    assert created.status_code == 201, created.text
    key = httpx.post(f"{root}/admin/api/keys", json={"team": "api-team", "name": "ci"}, headers=ADMIN).json()
    assert key["key"].startswith(key["prefix"])
    listed = httpx.get(f"{root}/admin/api/keys", params={"team": "api-team"}, headers=ADMIN).json()["data"]
    assert [entry["prefix"] for entry in listed] == [key["prefix"]]
    assert all("key" not in entry for entry in listed)
    revoked = httpx.post(f"{root}/admin/api/keys/{key['prefix']}/revoke", headers=ADMIN)
    assert revoked.json()["revoked_at"] is not None


def test_admin_api_refuses_without_the_admin_key(any_gateway: GatewayProcess) -> None:
    response = httpx.get(f"{any_gateway.root_url}/admin/api/teams", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_admin_api_reports_duplicate_team_as_400(any_gateway: GatewayProcess) -> None:
    httpx.post(f"{any_gateway.root_url}/admin/api/teams", json={"name": "twice"}, headers=ADMIN)
    again = httpx.post(f"{any_gateway.root_url}/admin/api/teams", json={"name": "twice"}, headers=ADMIN)
    assert again.status_code == 400 and again.json()["error"]["code"] == "team_exists"


def test_expired_key_is_refused(any_gateway: GatewayProcess) -> None:
    httpx.post(f"{any_gateway.root_url}/admin/api/teams", json={"name": "expiring"}, headers=ADMIN)
    key = httpx.post(
        f"{any_gateway.root_url}/admin/api/keys",
        json={"team": "expiring", "expires_at": "2020-01-01T00:00:00Z"},
        headers=ADMIN,
    ).json()["key"]
    with pytest.raises(openai.AuthenticationError) as error:
        OpenAI(base_url=any_gateway.base_url, api_key=key, max_retries=0).models.list()
    assert error.value.code == "expired_api_key"


def _served(metrics_text: str) -> float:
    """Chat requests counted by gateway_requests_total in a Prometheus text exposition."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics_text.splitlines()
        if line.startswith("gateway_requests_total{") and 'model="gpt-test"' in line
    )


def _served_per_worker(supervisor: int) -> dict[int, float]:
    """Each worker's own count, read from its file in the multiprocess folder (Linux /proc)."""
    workers = [int(pid) for pid in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()]
    counts: dict[int, float] = {}
    for pid in workers:
        environ = dict(
            item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item
        )
        own = Path(environ.get("PROMETHEUS_MULTIPROC_DIR", "/nonexistent")) / f"counter_{pid}.db"
        if not own.exists():
            continue  # not a worker that counted anything (multiprocessing's resource tracker, say)
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(own, alone)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=alone)
            counts[pid] = _served(generate_latest(registry).decode())
    return counts


def test_several_workers_serve_one_database_and_sum_their_metrics(
    tmp_path: Path, mock_upstream: RunningMockUpstream, session_postgres_url: str
) -> None:
    gateway = GatewayProcess(tmp_path, gateway_config(mock_upstream.url, session_postgres_url), workers=2)
    gateway.cli("db", "upgrade")
    key = gateway.create_key("workers")
    gateway.start()
    assert gateway.process is not None

    def ask() -> None:  # a client of its own: a new connection, which either worker may accept
        with OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0) as client:
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "w"}])

    try:
        sent = 0
        deadline = time.monotonic() + 30
        with ThreadPoolExecutor(8) as pool:
            # The kernel hands connections to whichever worker accepts first; on a quiet machine
            # one worker may take many batches in a row, so batches go on until both served.
            while time.monotonic() < deadline:
                list(pool.map(lambda _: ask(), range(8)))
                sent += 8
                per_worker = _served_per_worker(gateway.process.pid)
                if len(per_worker) == 2 and all(per_worker.values()):
                    break
        assert len(per_worker) == 2 and all(per_worker.values()), per_worker  # both workers served
        assert sum(per_worker.values()) == sent
        for _ in range(6):  # whichever worker answers /metrics, it reports the sum of both
            assert _served(httpx.get(f"{gateway.root_url}/metrics").text) == sent
    finally:
        gateway.stop()
