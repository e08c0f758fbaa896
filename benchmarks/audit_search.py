"""Server time of the audit log's search, page jumps and CSV export with 200,000 audit entries.

    python -m benchmarks.audit_search [--entries 200000] [--runs 5]
                                      [--postgres postgresql://postgres@127.0.0.1:5432/test]

Seeds a throwaway database (a SQLite file, or a PostgreSQL database created next to the given one
and dropped after) at the newest migration with entries spread over 90 days (60 people, 20 teams,
12 actions), starts the app in process, signs in as an admin and times each request: the median of
`runs` after one warm-up, measured around the ASGI call (no network). A CSV is timed whole, to its
last byte.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from benchmarks.admin_pages import PASSWORD, database, sign_in
from gateway.app import create_app
from gateway.config import load_config
from gateway.core.audit import AuditEntry
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database

LAST = datetime(2031, 6, 1, tzinfo=UTC)  # the newest entry; the others reach back 90 days
ACTIONS = [
    "review.approve",
    "review.reject",
    "review.reject_and_blocklist",
    "review.escalate",
    "review.created.block",
    "review.created.flag",
    "policy.block",
    "policy.flag",
    "key.create",
    "key.revoke",
    "blocklist.change",
    "user.change",
]


def seed(engine: Engine, entries: int) -> None:
    rng = random.Random(11)
    # Entries are appended as things happen: ids and the table's order follow time.
    moments = sorted(LAST - timedelta(seconds=rng.randint(0, 90 * 86400)) for _ in range(entries))
    rows = []
    for n, at in enumerate(moments):
        rows.append(
            {
                "uid": uuid.uuid4().hex,
                "at": at,
                "actor": f"user:person-{rng.randrange(60):02d}" if n % 4 else f"key:sk-gw-{rng.randrange(200):04d}",
                "action": rng.choice(ACTIONS),
                "team": f"team-{rng.randrange(20):02d}",
                "target": f"rev_{n:024x}",
                "details": {"note": "benchmark entry", "n": n},
            }
        )
    with engine.begin() as connection:
        for start in range(0, entries, 20_000):
            connection.execute(insert(AuditEntry.__table__), rows[start : start + 20_000])  # type: ignore[attr-defined]
    create_user(engine, PasswordHashing(), name="bench", role="admin", password=PASSWORD, min_password_length=12)


def median_ms(client: TestClient, path: str, runs: int) -> tuple[float, int, int]:
    """Median milliseconds, status and body size of GET `path`."""
    warm = client.get(path)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), warm.status_code, len(warm.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="an existing database URL; a throwaway database is made next to it")
    args = parser.parse_args()
    last_page = -(-args.entries // 50)
    one_day = {"from": "2031-05-20", "to": "2031-05-20"}
    searches = {
        "newest page": {},
        "last page": {"page": str(last_page)},
        "middle page": {"page": str(last_page // 2)},
        "one day": one_day,
        "one person": {"actor": "person-07"},
        "one person, last page": {"actor": "person-07", "page": "50"},
        "action prefix and team": {"action": "review.", "team": "team-03"},
        "one object": {"object": f"rev_{args.entries // 3:024x}"},
        "one week, one person": {"from": "2031-05-01", "to": "2031-05-07", "actor": "person-07"},
    }
    exports = {"CSV, everything": {}, "CSV, one day": one_day, "CSV, one person": {"actor": "person-07"}}
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as workdir:
        upgrade_database(url)
        engine = create_database_engine(url)
        started = time.perf_counter()
        seed(engine, args.entries)
        print(f"seeded {args.entries} audit entries in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")
        config_path = Path(workdir) / "gateway.yaml"
        config_path.write_text(yaml.safe_dump({"database_url": url, "state_dir": workdir}))
        app = create_app(load_config(config_path, environ={}))
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            sign_in(client)
            print(f"{'request':<28} {'page ms':>8} {'api ms':>8}")
            for name, params in searches.items():
                query = urlencode(params)
                page_ms, page_status, _ = median_ms(client, f"/admin/audit?{query}", args.runs)
                api_ms, api_status, _ = median_ms(client, f"/admin/api/audit?{query}", args.runs)
                assert page_status == api_status == 200, (name, page_status, api_status)
                print(f"{name:<28} {page_ms:>8.0f} {api_ms:>8.0f}")
            for name, params in exports.items():
                took, status, size = median_ms(client, f"/admin/audit.csv?{urlencode(params)}", args.runs)
                assert status == 200
                print(f"{name:<28} {took:>8.0f} ms  {size / 1e6:.1f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
