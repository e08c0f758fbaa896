"""End to end: budgets and rate limits of `gateway serve` with the real Redis.

Budgets and limits are set through the admin API, which answers once every process re-read them
(the change notice), so each test sends its requests as soon as the limit is confirmed. Resets at
period boundaries are component tests (tests/limits/test_budgets.py drives a clock, which a running
process cannot).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from tests.helpers.gateway_api import (
    ADMIN,
    Ledger,
    TeamKey,
    ask,
    burst,
    chat,
    new_team_key,
    priced_config,
    start_together,
    stop_all,
)
from tests.helpers.gateway_process import GatewayProcess, free_port
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.waiting import wait_until

CATALOG_REFRESH_SECONDS = 0.2


def set_limit(gateway: GatewayProcess, path: str, **body: object) -> None:
    response = httpx.post(f"{gateway.root_url}/admin/api/{path}", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text


def error_of(response: httpx.Response) -> dict[str, str]:
    error: dict[str, str] = response.json()["error"]
    return error


# --- budgets -------------------------------------------------------------------------------------


def test_fifty_concurrent_requests_overspend_a_budget_by_at_most_one_request(
    gateway: GatewayProcess, ledger: Ledger
) -> None:
    member = new_team_key(gateway, "burst", models=["gpt-test"])
    budget_nanos = 100_000  # room for a handful of requests of ~12 000 nano-dollars each
    set_limit(gateway, "budgets", team=member.team, amount_usd="0.0001", period="day")
    responses = asyncio.run(burst(gateway, member, 50))
    statuses = [response.status_code for response in responses]
    assert 200 in statuses and 429 in statuses, statuses
    assert {error_of(r)["code"] for r in responses if r.status_code == 429} == {"insufficient_quota"}
    rows = ledger.rows([response.headers["x-request-id"] for response in responses])
    costs = [row.cost_nanos for row in rows.values() if row.status_code == 200]
    assert len(costs) == statuses.count(200)
    assert sum(costs) <= budget_nanos + max(costs)


def test_spent_budget_answers_429_insufficient_quota_as_openai_does(gateway: GatewayProcess, ledger: Ledger) -> None:
    member = new_team_key(gateway, "spent", models=["gpt-test"])
    set_limit(gateway, "budgets", key_prefix=member.prefix, amount_usd="0.00002", period="total")
    client = member.client(gateway)
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "a b"}], max_tokens=5)
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(5):  # the first answer's settlement may still be on its way
            client.chat.completions.create(
                model="gpt-test", messages=[{"role": "user", "content": "a b"}], max_tokens=5
            )
    assert refused.value.code == "insufficient_quota"
    assert refused.value.body["type"] == "insufficient_quota"  # type: ignore[index]
    row = ledger.row(refused.value.response.headers["x-request-id"])
    assert (row.team_name, row.status_code, row.error_code) == (member.team, 429, "insufficient_quota")
    assert row.cost_nanos == 0


def test_a_spent_budget_refuses_the_responses_and_messages_apis_too(gateway: GatewayProcess, ledger: Ledger) -> None:
    member = new_team_key(gateway, "spent-doors", models=["gpt-test"])
    set_limit(gateway, "budgets", key_prefix=member.prefix, amount_usd="0.00002", period="total")
    client = member.client(gateway)
    claude = anthropic.Anthropic(base_url=gateway.root_url, api_key=member.key, max_retries=0, timeout=30)
    client.responses.create(model="gpt-test", input="a b", max_output_tokens=5)
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(5):  # the first answer's settlement may still be on its way
            client.responses.create(model="gpt-test", input="a b", max_output_tokens=5)
    assert refused.value.code == "insufficient_quota"
    row = ledger.row(refused.value.response.headers["x-request-id"])
    assert (row.endpoint, row.status_code, row.error_code) == ("responses", 429, "insufficient_quota")
    with pytest.raises(anthropic.RateLimitError) as also_refused:
        claude.messages.create(model="gpt-test", max_tokens=5, messages=[{"role": "user", "content": "a b"}])
    assert also_refused.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    row = ledger.row(also_refused.value.response.headers["x-request-id"])
    assert (row.endpoint, row.status_code) == ("messages", 429)


# --- rate limits ---------------------------------------------------------------------------------


def test_rpm_limit_sends_openais_headers_then_a_429_with_retry_after(gateway: GatewayProcess, ledger: Ledger) -> None:
    member = new_team_key(gateway, "rpm", models=["gpt-test"])
    set_limit(gateway, "rate-limits", key_prefix=member.prefix, rpm=3)
    allowed = [chat(gateway, member, ask("tick")) for _ in range(3)]
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["x-ratelimit-limit-requests"] for r in allowed] == ["3", "3", "3"]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in allowed] == ["2", "1", "0"]
    assert all(r.headers["x-ratelimit-reset-requests"] for r in allowed)
    refused = chat(gateway, member, ask("tick"))
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "rate_limit_exceeded"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    row = ledger.row(refused.headers["x-request-id"])
    assert (row.team_name, row.status_code, row.error_code) == (member.team, 429, "rate_limit_exceeded")


def test_tpm_limit_counts_prompt_and_max_tokens_and_refuses_beyond(gateway: GatewayProcess) -> None:
    member = new_team_key(gateway, "tpm", models=["gpt-test"])
    set_limit(gateway, "rate-limits", key_prefix=member.prefix, tpm=100)
    forty_words = " ".join(["apple"] * 40)  # one token per word for tiktoken too
    first = chat(gateway, member, ask(forty_words, max_tokens=30))
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit-tokens"] == "100"
    remaining = int(first.headers["x-ratelimit-remaining-tokens"])
    assert 0 < remaining <= 100 - 40 - 30  # the prompt (at least its 40 words) plus max_tokens
    assert first.headers["x-ratelimit-reset-tokens"]
    # Reserved or settled (40 + 42 tokens used), too little is left for the same request again.
    refused = chat(gateway, member, ask(forty_words, max_tokens=30))
    assert refused.status_code == 429
    assert error_of(refused)["message"].startswith("Rate limit reached for tokens per min (TPM)")
    assert int(refused.headers["retry-after"]) >= 1
    too_large = chat(gateway, member, ask("count my tokens", max_tokens=200))
    assert too_large.status_code == 429
    assert error_of(too_large)["message"].startswith("Request too large for tokens per min (TPM)")


def test_team_rate_limit_binds_all_of_its_keys(gateway: GatewayProcess) -> None:
    member = new_team_key(gateway, "team-rpm", models=["gpt-test"])
    other = httpx.post(f"{gateway.root_url}/admin/api/keys", json={"team": member.team}, headers=ADMIN).json()
    colleague = TeamKey(member.team, other["key"], other["prefix"])
    set_limit(gateway, "rate-limits", team=member.team, rpm=2)
    assert chat(gateway, member, ask("one")).status_code == 200
    assert chat(gateway, colleague, ask("two")).status_code == 200
    assert chat(gateway, member, ask("three")).status_code == 429


def test_new_rate_limit_applies_to_the_next_request_of_an_idle_process(gateway: GatewayProcess) -> None:
    member = new_team_key(gateway, "idle-rpm", models=["gpt-test"])
    set_limit(gateway, "rate-limits", key_prefix=member.prefix, rpm=1)
    time.sleep(CATALOG_REFRESH_SECONDS * 5)  # no request in the meantime: the process is idle
    first = chat(gateway, member, ask("first after a quiet spell"))
    assert first.headers.get("x-ratelimit-limit-requests") == "1"


# --- two processes, one Redis ------------------------------------------------------------------


def test_two_processes_enforce_one_rate_limit(gateway: GatewayProcess, twin: GatewayProcess) -> None:
    member = new_team_key(gateway, "shared-rpm", models=["gpt-test"])
    set_limit(gateway, "rate-limits", key_prefix=member.prefix, rpm=4)
    statuses = [chat(process, member, ask("shared")).status_code for process in (gateway, twin) * 4]
    assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]


def test_two_processes_enforce_one_budget(gateway: GatewayProcess, twin: GatewayProcess, ledger: Ledger) -> None:
    member = new_team_key(gateway, "shared-budget", models=["gpt-test"])
    budget_nanos = 60_000
    set_limit(gateway, "budgets", team=member.team, amount_usd="0.00006", period="total")
    responses = [chat(process, member, ask("spend it", max_tokens=10)) for process in (gateway, twin) * 6]
    assert [r.status_code for r in responses[-2:]] == [429, 429]  # both processes now refuse
    rows = ledger.rows([r.headers["x-request-id"] for r in responses])
    costs = [row.cost_nanos for row in rows.values() if row.status_code == 200]
    assert {row.deployment for row in rows.values() if row.status_code == 200} == {"gpt-test#0"}
    assert sum(costs) <= budget_nanos + max(costs)  # one process alone would allow this much, not two


# --- Redis down ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_port() -> int:
    """Where the Redis-down gateways look for Redis: nothing listens there (until a test relays it)."""
    return free_port()


@pytest.fixture(scope="module")
def redis_down(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream, redis_port: int
) -> Iterator[dict[str, GatewayProcess]]:
    """Two gateways whose Redis is a closed port: one with the default fail modes (budgets closed,
    rate limits open), one with the opposite choices."""
    closed_redis = f"redis://127.0.0.1:{redis_port}/0"
    settings = {
        "defaults": {"catalog_refresh_seconds": CATALOG_REFRESH_SECONDS},
        "inverted": {
            "catalog_refresh_seconds": CATALOG_REFRESH_SECONDS,
            "budgets_when_store_down": "open",
            "rate_limits_when_store_down": "closed",
        },
    }
    processes = {}
    for name, limits in settings.items():
        workdir = tmp_path_factory.mktemp(f"redis-down-{name}")
        config = priced_config(mock_upstream.url, f"sqlite:///{workdir}/gateway.db", limits=limits)
        config["redis_url"] = closed_redis
        processes[name] = GatewayProcess(workdir, config)
        processes[name].cli("db", "upgrade")
    start_together(*processes.values())
    yield processes
    stop_all(processes.values())


def limited_member(gateway: GatewayProcess, mechanism: str) -> TeamKey:
    member = new_team_key(gateway, f"down-{mechanism}", models=["gpt-test"])
    if mechanism == "budget":
        set_limit(gateway, "budgets", team=member.team, amount_usd="10", period="month")
    else:
        set_limit(gateway, "rate-limits", team=member.team, rpm=1000)
    return member


def degraded(gateway: GatewayProcess, mechanism: str, outcome: str) -> float:
    text = httpx.get(f"{gateway.root_url}/metrics").text
    wanted = ("gateway_limits_degraded_total{", f'mechanism="{mechanism}"', f'outcome="{outcome}"')
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if all(part in line for part in wanted))


@pytest.mark.parametrize(
    ("setting", "mechanism", "expected"),
    [
        ("defaults", "budget", 503),
        ("defaults", "rate_limit", 200),
        ("inverted", "budget", 200),
        ("inverted", "rate_limit", 503),
    ],
)
def test_redis_down_follows_each_mechanisms_fail_mode_without_hanging(
    redis_down: dict[str, GatewayProcess], setting: str, mechanism: str, expected: int
) -> None:
    gateway = redis_down[setting]
    member = limited_member(gateway, mechanism)
    outcome = "refused" if expected == 503 else "allowed"
    before = degraded(gateway, mechanism, outcome)
    for _ in range(3):  # the first finds Redis away; later ones skip it for store_retry_seconds
        started = time.monotonic()
        response = chat(gateway, member, ask("is redis there?"))
        assert time.monotonic() - started < 3
        assert response.status_code == expected, response.text
    if expected == 503:
        assert error_of(response)["code"] == "limits_unavailable"
        assert response.headers["retry-after"] == "1"
    assert degraded(gateway, mechanism, outcome) - before == 3


@pytest.mark.parametrize("setting", ["defaults", "inverted"])
def test_redis_down_does_not_touch_teams_without_limits(redis_down: dict[str, GatewayProcess], setting: str) -> None:
    gateway = redis_down[setting]
    member = new_team_key(gateway, "unlimited", models=["gpt-test"])
    assert chat(gateway, member, ask("no limits here")).status_code == 200


class RedisRelay:
    """A TCP relay from a port to the real Redis, on its own event loop thread: Redis "comes back"
    on that port when the relay starts, and goes away again when it stops."""

    def __init__(self, port: int, target: tuple[str, int] = ("127.0.0.1", 6379)) -> None:
        self._port = port
        self._target = target
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self._port)

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def __enter__(self) -> RedisRelay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def test_gateway_uses_redis_again_by_itself_when_it_comes_back(
    redis_down: dict[str, GatewayProcess], redis_port: int
) -> None:
    gateway = redis_down["defaults"]
    member = limited_member(gateway, "budget")
    assert chat(gateway, member, ask("redis?")).status_code == 503
    with RedisRelay(redis_port):

        def served() -> httpx.Response | None:
            response = chat(gateway, member, ask("redis is back"))
            return None if response.status_code == 503 else response

        # The store is retried after `store_retry_seconds` (1 s).
        response = wait_until(served, timeout=10, waiting_for="the gateway to use Redis again")
        assert response.status_code == 200, response.text
    assert chat(gateway, member, ask("gone again")).status_code == 503
