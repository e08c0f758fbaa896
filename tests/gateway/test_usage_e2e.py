"""End to end: the usage ledger of `gateway serve`, read back from its database.

Every request, allowed or refused, leaves one row with the right tokens and cost; the finance API
reads the same numbers on SQLite and PostgreSQL; a database outage and a SIGTERM lose nothing.
Prices are the test deployments' own (`INPUT_NANOS`, `OUTPUT_NANOS` per token), so cost is exact.
The mock upstream reports one token per word: "alpha beta gamma" is 3 prompt tokens and its answer
"Mock answer: alpha beta gamma" 5 completion tokens.
"""

from __future__ import annotations

import csv
import io
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from tests.helpers.gateway_api import (
    ADMIN,
    FINANCE,
    Ledger,
    TeamKey,
    ask,
    chat,
    expected_cost,
    new_team_key,
    priced_config,
    start_together,
    stop_all,
)
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import POSTGRES_ADMIN_URL, create_database, drop_database
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.waiting import wait_until


@dataclass
class Served:
    """A gateway with a reader of its own ledger."""

    gateway: GatewayProcess
    ledger: Ledger
    database: str
    proxy: TcpProxy | None = None  # between the gateway and its database, to stage an outage


@pytest.fixture(scope="module")
def module_gateways(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[tuple[Served, Served]]:
    """A gateway on its own PostgreSQL database (the outage test blocks it) and one on SQLite that
    the SIGTERM test stops; both started at once."""
    name, url = create_database()
    proxy = TcpProxy("127.0.0.1", int(POSTGRES_ADMIN_URL.rsplit(":", 1)[1].split("/", 1)[0]))
    proxy.restore()
    postgres_dir = tmp_path_factory.mktemp("usage-postgres")
    # Keys and limits are cached long enough to serve requests while the database is away.
    postgres = GatewayProcess(
        postgres_dir,
        priced_config(
            mock_upstream.url, proxy.url_for(url), key_cache_seconds=300, limits={"catalog_refresh_seconds": 300}
        ),
    )
    sigterm_dir = tmp_path_factory.mktemp("usage-sigterm")
    sqlite_url = f"sqlite:///{sigterm_dir}/gateway.db"
    sigterm = GatewayProcess(sigterm_dir, priced_config(mock_upstream.url, sqlite_url))
    postgres.cli("db", "upgrade")
    sigterm.cli("db", "upgrade")
    start_together(postgres, sigterm)
    served = (Served(postgres, Ledger(url), name, proxy), Served(sigterm, Ledger(sqlite_url), sqlite_url))
    yield served
    stop_all((postgres, sigterm))
    for item in served:
        item.ledger.close()
    proxy.cut()
    drop_database(name)


@pytest.fixture(scope="module")
def postgres_served(module_gateways: tuple[Served, Served]) -> Served:
    return module_gateways[0]


@pytest.fixture()
def served(request: pytest.FixtureRequest, gateway: GatewayProcess, ledger: Ledger) -> Served:
    """The finance API against the SQLite gateway and against the PostgreSQL one."""
    if request.param == "sqlite":
        return Served(gateway, ledger, "sqlite")
    postgres: Served = request.getfixturevalue("postgres_served")
    return postgres


@pytest.fixture()
def member(gateway: GatewayProcess) -> TeamKey:
    return new_team_key(gateway, "ledger", models=["gpt-test", "broken", "slow-stream", "embed-test"])


def request_id(response: httpx.Response) -> str:
    value = response.headers["x-request-id"]
    assert value.startswith("req_")
    return value


# --- one row per request ---------------------------------------------------------------------


def test_plain_request_is_recorded_with_the_providers_tokens_and_the_configured_price(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey
) -> None:
    response = chat(gateway, member, ask("alpha beta gamma"))
    assert response.status_code == 200
    row = ledger.row(request_id(response))
    assert (row.team_name, row.key_prefix, row.requested_model) == (member.team, member.prefix, "gpt-test")
    assert row.deployment == "gpt-test#0"
    assert (row.prompt_tokens, row.completion_tokens, row.total_tokens) == (3, 5, 8)
    assert not row.usage_counted
    assert row.cost_nanos == expected_cost(3, 5) == 13_000
    assert row.status_code == 200 and row.error_code is None
    assert row.latency_ms is not None and not row.streamed and not row.disconnected


def test_end_user_comes_from_the_user_field_or_else_the_header(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey
) -> None:
    by_field = chat(gateway, member, ask("who", user="alice@example.com"), **{"x-gateway-end-user": "bob"})
    by_header = chat(gateway, member, ask("who"), **{"x-gateway-end-user": "bob"})
    rows = ledger.rows([request_id(by_field), request_id(by_header)])
    assert rows[request_id(by_field)].end_user == "alice@example.com"
    assert rows[request_id(by_header)].end_user == "bob"


def test_streamed_request_is_charged_from_usage_asked_of_the_provider_and_hidden_from_the_client(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey, mock_upstream: RunningMockUpstream
) -> None:
    client = member.client(gateway)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "alpha beta gamma streamed"}], stream=True
    )
    chunks = list(raw.parse())
    assert all(chunk.usage is None for chunk in chunks)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Mock answer: alpha beta gamma streamed"
    sent = next(r for r in reversed(mock_upstream.mock.state.requests) if "streamed" in str(r.body.get("messages")))
    assert sent.body["stream_options"] == {"include_usage": True}
    row = ledger.row(raw.headers["x-request-id"])
    assert row.streamed and not row.disconnected
    assert (row.prompt_tokens, row.completion_tokens) == (4, 6)
    assert row.cost_nanos == expected_cost(4, 6)
    assert row.ttft_ms is not None and row.latency_ms is not None and row.ttft_ms <= row.latency_ms


def test_embeddings_request_is_recorded_with_its_input_tokens(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/embeddings", json={"model": "embed-test", "input": "vector me"}, headers=member.headers
    )
    assert response.status_code == 200
    row = ledger.row(request_id(response))
    assert (row.endpoint, row.requested_model, row.team_name) == ("embeddings", "embed-test", member.team)
    assert (row.prompt_tokens, row.completion_tokens) == (3, 0)  # as the provider reported
    assert row.cost_nanos == expected_cost(3, 0)


def test_request_without_a_valid_key_is_recorded_with_no_team_and_no_key(
    gateway: GatewayProcess, ledger: Ledger
) -> None:
    """A refused key names no team to charge, and storing what was sent would keep a secret."""
    response = httpx.post(
        f"{gateway.base_url}/chat/completions",
        json=ask("hello"),
        headers={"Authorization": "Bearer sk-gw-notakey000000000000"},
    )
    assert response.status_code == 401
    row = ledger.row(request_id(response))
    assert (row.team_id, row.team_name, row.key_id, row.key_prefix) == (None, None, None, None)
    assert (row.status_code, row.error_code) == (401, "invalid_api_key")
    assert row.cost_nanos == 0 and row.total_tokens == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(ask("hello", model="claude-test"), 403, None, id="model-not-allowed-403"),
        pytest.param(ask("hello", model="no-such-model"), 404, "model_not_found", id="unknown-model-404"),
        pytest.param({"model": "gpt-test"}, 400, None, id="no-messages-400"),
        pytest.param(ask("hi", logit_bias={"1": 5}), 400, "content_filter", id="policy-block-400"),
    ],
)
def test_refused_request_is_recorded_against_its_team_with_no_cost(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey, body: dict[str, object], status: int, code: str | None
) -> None:
    response = chat(gateway, member, body)
    assert response.status_code == status, response.text
    row = ledger.row(request_id(response))
    assert (row.team_name, row.key_prefix) == (member.team, member.prefix)
    assert row.status_code == status
    assert row.error_code == response.json()["error"]["code"]
    if code is not None:
        assert row.error_code == code
    assert row.total_tokens == 0 and row.cost_nanos == 0


def test_upstream_failure_is_recorded_with_its_retries_and_no_cost(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey
) -> None:
    response = chat(gateway, member, ask("explode", model="broken"))
    assert response.status_code >= 500
    row = ledger.row(request_id(response))
    assert row.status_code == response.status_code
    assert row.error_code == response.json()["error"]["code"]
    assert row.deployment is None or row.deployment.startswith("broken#")
    assert row.total_tokens == 0 and row.cost_nanos == 0


def test_upstream_failure_records_the_retries_it_took(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey, mock_upstream: RunningMockUpstream
) -> None:
    calls_before = mock_upstream.mock.state.calls["fail-500"]
    response = chat(gateway, member, ask("explode again", model="broken"))
    row = ledger.row(request_id(response))
    assert mock_upstream.mock.state.calls["fail-500"] - calls_before == 3  # num_retries: 2
    assert row.retries == 2
    assert row.deployment == "broken#0"


def test_client_that_leaves_mid_stream_is_charged_for_what_was_generated(
    gateway: GatewayProcess, ledger: Ledger, member: TeamKey, mock_upstream: RunningMockUpstream
) -> None:
    cancelled_before = mock_upstream.mock.state.streams_cancelled
    received = b""
    body = ask("tick tock", model="slow-stream", stream=True)
    with httpx.stream("POST", f"{gateway.base_url}/chat/completions", json=body, headers=member.headers) as response:
        identifier = request_id(response)
        for piece in response.iter_bytes():
            received += piece
            if received.count(b"tick") >= 5:
                break
    row = ledger.row(identifier)
    assert row.streamed and row.disconnected
    assert row.usage_counted  # the provider sends no usage for a stream cut short: counted with tiktoken
    assert row.prompt_tokens > 0
    assert row.completion_tokens >= received.count(b"tick")  # at least what reached the client
    assert row.cost_nanos == expected_cost(row.prompt_tokens, row.completion_tokens)
    wait_until(  # the provider stops too
        lambda: mock_upstream.mock.state.streams_cancelled > cancelled_before,
        timeout=10,
        interval=0.05,
        waiting_for="the upstream stream to be cancelled",
    )


# --- finance API on both databases -------------------------------------------------------------


def spend_of_new_team(target: Served) -> TeamKey:
    """A new team with two requests: 2+4 and 3+5 tokens, 10 000 + 13 000 nano-dollars."""
    member = new_team_key(target.gateway, "finance", models=["gpt-test"])
    ids = [request_id(chat(target.gateway, member, ask(text))) for text in ("one two", "one two three")]
    target.ledger.rows(ids)
    return member


@pytest.mark.parametrize("served", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize(
    ("group_by", "shown"),
    [("team", "team_name"), ("key", "key_prefix"), ("model", "model"), ("day", "day")],
)
def test_finance_api_sums_spend_and_tokens_by_group(served: Served, group_by: str, shown: str) -> None:
    member = spend_of_new_team(served)
    response = httpx.get(
        f"{served.gateway.root_url}/admin/api/finance/spend",
        params={"group_by": group_by, "team": member.team},
        headers=FINANCE,
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["data"]
    label = {
        "team_name": member.team,
        "key_prefix": member.prefix,
        "model": "gpt-test",
        "day": datetime.now(UTC).date().isoformat(),
    }[shown]
    assert row[shown] == label
    assert (row["requests"], row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (2, 5, 9, 14)
    assert row["cost_usd"] == "0.000023000"


@pytest.mark.parametrize("served", ["sqlite", "postgres"], indirect=True)
def test_finance_csv_export_has_the_same_numbers(served: Served) -> None:
    member = spend_of_new_team(served)
    response = httpx.get(
        f"{served.gateway.root_url}/admin/api/finance/spend.csv",
        params={"group_by": "team", "team": member.team},
        headers=FINANCE,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["team_name"] == member.team
    assert (row["requests"], row["total_tokens"], row["cost_usd"]) == ("2", "14", "0.000023000")


@pytest.mark.parametrize("served", ["sqlite", "postgres"], indirect=True)
def test_finance_api_shows_a_budget_with_used_and_remaining(served: Served) -> None:
    member = spend_of_new_team(served)
    root = served.gateway.root_url
    created = httpx.post(
        f"{root}/admin/api/budgets", json={"team": member.team, "amount_usd": "1", "period": "month"}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    [budget] = httpx.get(f"{root}/admin/api/finance/budgets", params={"team": member.team}, headers=FINANCE).json()[
        "data"
    ]
    assert (budget["team_name"], budget["period"]) == (member.team, "month")
    assert (budget["amount_usd"], budget["used_usd"], budget["remaining_usd"]) == (
        "1.000000000",
        "0.000023000",
        "0.999977000",
    )


@pytest.mark.parametrize("served", ["sqlite", "postgres"], indirect=True)
def test_finance_key_reads_finance_and_nothing_else(served: Served) -> None:
    root = served.gateway.root_url
    assert httpx.get(f"{root}/admin/api/finance/spend", headers=FINANCE).status_code == 200
    assert httpx.get(f"{root}/admin/api/teams", headers=FINANCE).status_code == 403
    budget = {"team": "anyone", "amount_usd": "1"}
    assert httpx.post(f"{root}/admin/api/budgets", json=budget, headers=FINANCE).status_code == 403


# --- nothing lost --------------------------------------------------------------------------------


def outages_seen(gateway: GatewayProcess) -> float:
    metrics = httpx.get(f"{gateway.root_url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("gateway_ledger_database_outages_total") and 'table="usage"' in line
    )


def test_database_outage_loses_no_usage_record(postgres_served: Served) -> None:
    gateway = postgres_served.gateway
    member = new_team_key(gateway, "outage", models=["gpt-test"])
    warm = chat(gateway, member, ask("before the outage"))  # key and limits now cached in the gateway
    postgres_served.ledger.row(request_id(warm))
    outages_before = outages_seen(gateway)
    ids: list[str] = []
    assert postgres_served.proxy is not None
    postgres_served.proxy.cut()
    try:
        outage_ends = time.monotonic() + 10
        while time.monotonic() < outage_ends:
            response = chat(gateway, member, ask(f"during the outage {len(ids)}"))
            assert response.status_code == 200, response.text
            ids.append(request_id(response))
            time.sleep(0.25)  # spread the requests over the whole outage
    finally:
        postgres_served.proxy.restore()
    assert outages_seen(gateway) > outages_before  # the writer really found the database away
    rows = postgres_served.ledger.rows(ids, timeout=60)
    assert len(rows) == len(ids) >= 20
    assert all(row.team_name == member.team and row.cost_nanos > 0 for row in rows.values())


def test_sigterm_under_load_flushes_every_record(module_gateways: tuple[Served, Served]) -> None:
    target = module_gateways[1]
    gateway = target.gateway
    member = new_team_key(gateway, "sigterm", models=["gpt-test"])
    ids: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with httpx.Client(headers=member.headers, timeout=30) as client:
            number = 0
            while not stop.is_set():
                body = ask(f"load {worker} {number}", stream=number % 2 == 1)
                try:
                    response = client.post(f"{gateway.base_url}/chat/completions", json=body)
                except httpx.HTTPError:
                    return  # the server has closed its socket
                if "x-request-id" in response.headers:
                    with lock:
                        ids.append(response.headers["x-request-id"])
                number += 1

    workers = [threading.Thread(target=load, args=(number,)) for number in range(8)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: len(ids) >= 40, timeout=30, interval=0.05, waiting_for="40 answers under load")
        assert gateway.process is not None
        gateway.process.terminate()
        # uvicorn re-raises the signal once its graceful shutdown (the app's lifespan) has finished
        assert gateway.process.wait(60) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in gateway.log()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    rows = target.ledger.rows(ids, timeout=5)  # the process is gone: the rows are already there
    assert len(rows) == len(ids)
