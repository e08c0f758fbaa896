"""PostgreSQL goes away (a TCP proxy in front of the real server is cut): every route that needs the
database answers 503 with Retry-After, in its own format, with one log line for the outage and no
traceback; what memory can serve is served, and no usage record is lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.gateway_api import ADMIN, Ledger, TeamKey, ask, chat, new_team_key, priced_config
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import POSTGRES_ADMIN_URL, create_database, drop_database
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.postgres


@dataclass
class Outage:
    gateway: GatewayProcess
    proxy: TcpProxy
    ledger: Ledger


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream) -> Iterator[Outage]:
    name, url = create_database()
    host, port = "127.0.0.1", int(POSTGRES_ADMIN_URL.rsplit(":", 1)[1].split("/", 1)[0])
    with TcpProxy(host, port) as proxy:
        workdir: Path = tmp_path_factory.mktemp("outage")
        config = priced_config(mock_upstream.url, proxy.url_for(url), key_cache_seconds=300)
        gateway = GatewayProcess(workdir, config)
        gateway.cli("db", "upgrade")
        gateway.start()
        ledger = Ledger(url)  # straight to the server, around the proxy
        try:
            yield Outage(gateway, proxy, ledger)
        finally:
            gateway.stop()
            ledger.close()
    drop_database(name)


def _ledger_outages(gateway: GatewayProcess) -> float:
    metrics = httpx.get(f"{gateway.root_url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("gateway_ledger_database_outages_total")
    )


def test_with_the_database_away_every_route_answers_503_and_nothing_is_lost(outage: Outage) -> None:
    gateway = outage.gateway
    cached = new_team_key(gateway, "outage", models=["gpt-test"])
    uncached: TeamKey = new_team_key(gateway, "outage-cold", models=["gpt-test"])
    assert chat(gateway, cached, ask("warm the key cache")).status_code == 200
    log_before = gateway.log()
    outage.proxy.cut()
    try:
        served = [chat(gateway, cached, ask(f"during the outage {number}")) for number in range(5)]
        assert [response.status_code for response in served] == [200] * 5
        wait_until(lambda: _ledger_outages(gateway) > 0, timeout=20, waiting_for="the usage writer to meet the outage")
        refusals = {
            "uncached key": chat(gateway, uncached, ask("cold")),
            "bogus key": httpx.post(
                f"{gateway.base_url}/chat/completions",
                json=ask("x"),
                headers={"Authorization": "Bearer sk-gw-bogus-0000000000"},
                timeout=30,
            ),
            "admin api": httpx.get(f"{gateway.root_url}/admin/api/teams", headers=ADMIN, timeout=30),
            "review read": httpx.get(
                f"{gateway.base_url}/gateway/reviews/rev_missing", headers=uncached.headers, timeout=30
            ),
            "embeddings": httpx.post(
                f"{gateway.base_url}/embeddings",
                json={"model": "embed-test", "input": "x"},
                headers=uncached.headers,
                timeout=30,
            ),
        }
        for what, response in refusals.items():
            assert response.status_code == 503, (what, response.text)
            assert response.headers["retry-after"] == "5", what
            assert response.json()["error"]["code"] == "database_unavailable", what
        page = httpx.get(f"{gateway.root_url}/admin/login", timeout=30)
        assert page.status_code == 200  # the sign-in form needs no database
        signed = httpx.post(
            f"{gateway.root_url}/admin/login",
            data={"name": "x", "password": "y", "login_token": "t"},
            cookies={"gw_admin_login": "t"},
            timeout=30,
        )
        assert signed.status_code == 503 and "text/html" in signed.headers["content-type"]
    finally:
        outage.proxy.restore()
    log = gateway.log()[len(log_before) :]
    assert log.count("database unreachable") == 1, log
    assert "Traceback" not in log and str(outage.proxy.port) not in log
    wait_until(
        lambda: chat(gateway, uncached, ask("after")).status_code == 200,
        timeout=20,
        waiting_for="the uncached key to be served again",
    )
    rows = outage.ledger.rows([response.headers["x-request-id"] for response in served], timeout=60)
    assert len(rows) == 5
