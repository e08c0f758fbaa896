"""Talking to running gateways in end-to-end tests: teams and keys through the admin API, chat
requests, the ledger they write, and starting several processes at once."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from openai import OpenAI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.core.audit import AuditEntry
from gateway.core.db import create_database_engine
from gateway.ledger.records import UsageRecord
from policies.loader import policy_fingerprint
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.servers import REDIS_URL, gateway_config
from tests.helpers.waiting import wait_until

ADMIN = {"Authorization": "Bearer admin-test-key"}
FINANCE = {"Authorization": "Bearer finance-test-key"}
# Prices of every test deployment, in nano-dollars per token ($0.000001 and $0.000002).
INPUT_NANOS = 1_000
OUTPUT_NANOS = 2_000


def expected_cost(prompt_tokens: int, completion_tokens: int) -> int:
    return prompt_tokens * INPUT_NANOS + completion_tokens * OUTPUT_NANOS


def priced_config(upstream_url: str, database_url: str, **extra: Any) -> dict[str, Any]:
    """The conftest's configuration with known prices, Redis under a fresh prefix and a finance key."""
    config = gateway_config(
        upstream_url,
        database_url,
        redis_url=REDIS_URL,
        redis_key_prefix=f"gw-e2e-{uuid.uuid4().hex[:10]}:",
        finance_key="finance-test-key",
        limits={"catalog_refresh_seconds": 0.2},
    )
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        if params["model"].startswith("openai/"):
            params["input_cost_per_token"] = INPUT_NANOS / 1e9
            params["output_cost_per_token"] = OUTPUT_NANOS / 1e9
    config.update(extra)
    return config


def start_together(*processes: GatewayProcess) -> None:
    """Start gateways in parallel (most of a start is imports and model loading)."""
    failures: list[BaseException] = []

    def start(process: GatewayProcess) -> None:
        try:
            process.start()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(process,)) for process in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        for process in processes:
            process.stop()
        raise failures[0]


def stop_all(processes: Iterable[GatewayProcess]) -> None:
    for process in processes:
        process.stop()


@dataclass(frozen=True)
class TeamKey:
    team: str
    key: str
    prefix: str

    def client(self, gateway: GatewayProcess, timeout: float = 30) -> OpenAI:
        return OpenAI(base_url=gateway.base_url, api_key=self.key, max_retries=0, timeout=timeout)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def new_team_key(
    gateway: GatewayProcess, name: str, *, models: list[str] | None = None, policy: str | None = None
) -> TeamKey:
    """A fresh team (unique name starting with `name`) and one key of it, through the admin API."""
    team = f"{name}-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{gateway.root_url}/admin/api/teams", json={"name": team, "models": models, "policy": policy}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    key = httpx.post(f"{gateway.root_url}/admin/api/keys", json={"team": team}, headers=ADMIN)
    assert key.status_code == 201, key.text
    return TeamKey(team, key.json()["key"], key.json()["prefix"])


def chat(gateway: GatewayProcess, key: TeamKey, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{gateway.base_url}/chat/completions", json=body, headers={**key.headers, **headers}, timeout=30)


async def burst(gateway: GatewayProcess, member: TeamKey, count: int) -> list[httpx.Response]:
    """`count` chat requests of one key, all at once."""
    async with httpx.AsyncClient(headers=member.headers, timeout=60) as client:
        requests = (
            client.post(f"{gateway.base_url}/chat/completions", json=ask(f"burst {n}", max_tokens=20))
            for n in range(count)
        )
        return list(await asyncio.gather(*requests))


def ask(text: str, model: str = "gpt-test", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


class Ledger:
    """Reads the usage ledger the gateway writes (off the request path, so reads wait for rows)."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_database_engine(database_url)

    def rows(self, request_ids: Iterable[str], timeout: float = 20) -> dict[str, UsageRecord]:
        wanted = set(request_ids)
        found: dict[str, UsageRecord] = {}

        def every_row() -> bool:
            with Session(self.engine) as session:
                statement = select(UsageRecord).where(col(UsageRecord.request_id).in_(wanted))
                found.update((row.request_id, row) for row in session.exec(statement))
            return len(found) == len(wanted)

        wait_until(every_row, timeout=timeout, waiting_for=f"{len(wanted)} usage records to reach the ledger")
        return found

    def row(self, request_id: str, timeout: float = 20) -> UsageRecord:
        return self.rows([request_id], timeout)[request_id]

    def team_rows(self, team: str) -> list[UsageRecord]:
        with Session(self.engine) as session:
            return list(session.exec(select(UsageRecord).where(UsageRecord.team_name == team)))

    def close(self) -> None:
        self.engine.dispose()


def wait_for_policies(gateways: Iterable[GatewayProcess], directory: Path, timeout: float = 15) -> float:
    """Seconds until every gateway serves the policy version of `directory`'s current files."""
    expected = policy_fingerprint(directory)
    started = time.monotonic()
    pending = list(gateways)

    def every_gateway_serves_it() -> bool:
        pending[:] = [
            gateway
            for gateway in pending
            if httpx.get(f"{gateway.root_url}/readyz", timeout=5).json()["policies"]["version"] != expected
        ]
        return not pending

    wait_until(every_gateway_serves_it, timeout=timeout, waiting_for="every gateway to serve the new policy version")
    return time.monotonic() - started


def audit_entries(ledger: Ledger, team: str, count: int, timeout: float = 15) -> list[AuditEntry]:
    """The team's audit entries once there are `count` of them (they are written off the request path)."""

    def entries() -> list[AuditEntry] | None:
        with Session(ledger.engine) as session:
            found = list(session.exec(select(AuditEntry).where(AuditEntry.team == team)))
        return found if len(found) >= count else None

    return wait_until(entries, timeout=timeout, waiting_for=f"{count} audit entries of team {team}")
