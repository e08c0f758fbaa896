"""Server time of each admin UI page with 100,000 usage records and 10,000 review items.

    python benchmarks/admin_pages.py [--usage 100000] [--reviews 10000] [--runs 7]
                                     [--postgres postgresql://postgres@127.0.0.1:5432/test]

Seeds a throwaway database (a SQLite file, or a PostgreSQL database created next to the given one
and dropped after), starts the app in process, signs in as an admin and times every page: the
median of `runs` requests after one warm-up, measured around the ASGI call (no network).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine, make_url

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from filters.review_crypto import AnswerCipher
from filters.review_store import ReviewItem
from gateway.app import create_app
from gateway.config import load_config
from gateway.core import keys
from gateway.core.audit import AuditEntry
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.core.models import utcnow
from gateway.ledger.records import UsageRecord
from gateway.limits.admin import set_budget

PASSWORD = "benchmark password 123"
TEAMS, KEYS_PER_TEAM, MODELS = 20, 10, ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "o3-mini", "llama-3-70b"]
FILTERS = ["pii", "toxicity", "blocklist"]


def seed(engine: Engine, cipher: AnswerCipher, usage: int, reviews: int) -> str:
    """Teams, keys, budgets, usage over 90 days, review items (with their audit entries), policy hits."""
    rng = random.Random(7)
    team_keys: list[tuple[int, str, int, str]] = []
    for t in range(TEAMS):
        team = keys.create_team(engine, f"team-{t:02d}")
        assert team.id is not None
        set_budget(engine, "team", team.id, "500", "month")
        for k in range(KEYS_PER_TEAM):
            record = keys.create_key(engine, team.name, name=f"k{k}").record
            assert record.id is not None
            team_keys.append((team.id, team.name, record.id, record.prefix))
    now = utcnow()
    rows = []
    for n in range(usage):
        team_id, team_name, key_id, prefix = rng.choice(team_keys)
        prompt, completion = rng.randint(50, 4000), rng.randint(10, 1500)
        rows.append(
            {
                "time": now - timedelta(seconds=rng.randint(0, 90 * 86400)),
                "request_id": f"req-{n}-{uuid.uuid4().hex[:8]}",
                "endpoint": "chat",
                "team_id": team_id,
                "team_name": team_name,
                "key_id": key_id,
                "key_prefix": prefix,
                "requested_model": rng.choice(MODELS),
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "usage_counted": False,
                "cost_nanos": prompt * 150 + completion * 600,
                "status_code": 200,
                "retries": 0,
                "fallbacks": [],
                "verdicts": [],
                "streamed": False,
                "disconnected": False,
            }
        )
    review_rows, audit_rows = [], []
    answer = cipher.encrypt("An answer that mentions jane.doe@example.com and some other text. " * 8)
    for n in range(reviews):
        team_id, team_name, key_id, prefix = rng.choice(team_keys)
        created = now - timedelta(seconds=rng.randint(0, 30 * 86400))
        chosen = sorted(set(rng.sample(FILTERS, rng.randint(1, 2))))
        review_id = f"rev_{n:024x}"
        review_rows.append(
            {
                "id": review_id,
                "request_id": f"req-r{n}",
                "team_id": team_id,
                "team": team_name,
                "key_id": key_id,
                "key_prefix": prefix,
                "model": rng.choice(MODELS),
                "action": rng.choice(["block", "flag"]),
                "filters": "," + ",".join(chosen) + ",",
                "findings": [{"filter": "pii", "type": "EMAIL_ADDRESS", "start": 22, "end": 42, "score": 1.0}],
                "original": answer,
                "delivered": answer,
                "streamed": False,
                "status": rng.choice(["pending"] * 6 + ["approved", "rejected", "escalated"]),
                "created_at": created,
                "sla_due_at": created + timedelta(hours=24),
            }
        )
        audit_rows.append(
            {
                "at": created,
                "actor": f"key:{prefix}",
                "action": "review.created.block",
                "team": team_name,
                "target": review_id,
                "details": {},
            }
        )
    for n in range(20_000):  # policy verdicts, for the policies page
        rule = rng.choice(["prompt_injection", "confidential_projects", "secrets_in_prompt", "request_parameters"])
        audit_rows.append(
            {
                "at": now - timedelta(seconds=rng.randint(0, 30 * 86400)),
                "actor": "key:sk-gw-bench",
                "action": rng.choice(["policy.block", "policy.flag"]),
                "team": f"team-{n % TEAMS:02d}",
                "target": f"policy:{rule}",
                "details": {"mode": rng.choice(["monitor", "enforce"]), "policy": "default", "reason": "bench"},
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(UsageRecord.__table__), rows)  # type: ignore[attr-defined]
        connection.execute(insert(ReviewItem.__table__), review_rows)  # type: ignore[attr-defined]
        connection.execute(insert(AuditEntry.__table__), audit_rows)  # type: ignore[attr-defined]
    create_user(
        engine, PasswordHashing(), name="bench", role="admin", password=PASSWORD, min_password_length=12, team="team-00"
    )
    return str(review_rows[reviews // 2]["id"])


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    name = "gw_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(postgres, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sign_in(client: TestClient) -> None:
    page = client.get("/admin/login").text
    token = page.split('name="login_token" value="')[1].split('"')[0]
    response = client.post("/admin/login", data={"name": "bench", "password": PASSWORD, "login_token": token})
    assert response.status_code == 303, response.text


def timed(client: TestClient, path: str, runs: int) -> tuple[float, int]:
    status = client.get(path).status_code  # warm-up: templates compiled, caches filled
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--usage", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", help="an existing database URL; a throwaway database is made next to it")
    args = parser.parse_args()
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as workdir:
        upgrade_database(url)
        engine = create_database_engine(url)
        cipher_key = AnswerCipher.new_key()
        started = time.perf_counter()
        review_id = seed(engine, AnswerCipher([cipher_key]), args.usage, args.reviews)
        took = time.perf_counter() - started
        print(f"seeded {args.usage} usage records and {args.reviews} review items in {took:.1f} s")
        config_path = Path(workdir) / "gateway.yaml"
        config_path.write_text(yaml.safe_dump({"database_url": url, "review_keys": [cipher_key], "state_dir": workdir}))
        pages = [
            "/admin",
            "/admin/review",
            "/admin/review?status=&team=team-03&filter=pii",
            "/admin/review?older_than=7d&page=20",
            f"/admin/review/{review_id}",
            "/admin/finance",
            "/admin/finance?start=" + (utcnow() - timedelta(days=89)).date().isoformat(),
            "/admin/finance?team=team-05",
            "/admin/finance/spend.csv?group_by=key",
            "/admin/teams",
            "/admin/audit",
            "/admin/audit?page=200",
            "/admin/policies?days=30",
            "/admin/prompts",
            "/admin/users",
        ]
        with TestClient(create_app(load_config(config_path, environ={})), follow_redirects=False) as client:
            sign_in(client)
            print(f"{'page':<60} {'status':>6} {'median ms':>10}")
            for path in pages:
                median, status = timed(client, path, args.runs)
                print(f"{path:<60} {status:>6} {median:>10.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
