"""Server time of the review queue's pages with 50,000 review items: the first page, searches by
words, request id and key prefix, and jumps to a page in the middle and to the last.

    python benchmarks/review_queue.py [--reviews 50000] [--runs 7]
                                      [--postgres postgresql://postgres@127.0.0.1:5432/test]

Seeds a throwaway database (a SQLite file, or a PostgreSQL database created next to the given one
and dropped after) with items built by the request path's own row builder (answers and prompts
encrypted, the blind word index computed), starts the app in process, signs in as a reviewer and
times each page: the median of `runs` requests after one warm-up, around the ASGI call.
`seed_review_queue` is the seeding helper other benchmarks call.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from benchmarks.admin_pages import database, timed
from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_record
from filters.review_store import PAGE_SIZE, NewReview, review_row
from gateway.app import create_app
from gateway.config import load_config
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.core.models import utcnow
from gateway.ledger.tables import REVIEW_TABLE

PASSWORD = "benchmark password 123"
VOCABULARY = 3000  # distinct words the answers and prompts are drawn from
TEAMS = 20
BATCH = 1000


@dataclass(frozen=True)
class ReviewQueueSeed:
    """What a benchmark can look for in the seeded queue."""

    count: int
    pending: int
    request_id: str  # of one item
    key_prefix: str  # of about 1/200 of the items
    rare_word: str  # in about ten items
    common_words: str  # two words that many items share
    review_id: str  # one pending item


def _text(rng: random.Random, words: list[str], low: int, high: int) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(low, high))).capitalize() + "."


def seed_review_queue(engine: Engine, cipher: AnswerCipher, count: int, seed: int = 7) -> ReviewQueueSeed:
    """`count` review items (two thirds pending) over 30 days, 20 teams and 200 keys, written as
    the request path writes them (review_store.review_row), in batches of 1,000."""
    rng = random.Random(seed)
    # A Zipf-like vocabulary: low indexes are common words, high ones rare.
    words = [f"w{n}" for n in range(VOCABULARY)]
    weights = [1 / (n + 1) for n in range(VOCABULARY)]
    now = utcnow()
    pending = 0
    first_pending = ""
    batch: list[dict[str, object]] = []
    for n in range(count):
        answer_words = rng.choices(words, weights, k=rng.randint(40, 120))
        if n % 5000 == 17:
            answer_words.append("zanzibar")  # the rare word: in count / 5000 items
        status = "pending" if n % 3 else rng.choice(["approved", "rejected", "escalated"])
        new = NewReview(
            request_id=f"req-{n:08d}",
            team_id=n % TEAMS + 1,
            team=f"team-{n % TEAMS:02d}",
            key_id=n % 200 + 1,
            key_prefix=f"sk-gw-key{n % 200:04d}",
            model="gpt-4o-mini",
            action=rng.choice(["block", "flag"]),
            filters=[rng.choice(["pii", "toxicity", "blocklist"])],
            findings=[{"filter": "toxicity", "type": "profanity", "start": 0, "end": 10, "score": 0.9}],
            original=json.dumps(
                {
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": " ".join(answer_words)}}],
                }
            ),
            delivered="",
            prompt=prompt_record([{"role": "user", "content": _text(rng, words, 10, 40)}]),
        )
        row = review_row(cipher, new, timedelta(hours=24))
        created = now - timedelta(seconds=rng.randint(0, 30 * 86400))
        row.update(created_at=created, sla_due_at=created + timedelta(hours=24), status=status)
        pending += status == "pending"
        first_pending = first_pending or (new.id if status == "pending" else "")
        batch.append(row)
        if len(batch) >= BATCH:
            REVIEW_TABLE.insert(engine, batch)
            batch = []
    REVIEW_TABLE.insert(engine, batch)
    return ReviewQueueSeed(
        count=count,
        pending=pending,
        request_id=f"req-{count // 2:08d}",
        key_prefix="sk-gw-key0042",
        rare_word="zanzibar",
        common_words="w3 w11",
        review_id=first_pending,
    )


def sign_in(client: TestClient, name: str) -> None:
    page = client.get("/admin/login").text
    token = page.split('name="login_token" value="')[1].split('"')[0]
    response = client.post("/admin/login", data={"name": name, "password": PASSWORD, "login_token": token})
    assert response.status_code == 303, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", help="an existing database URL; a throwaway database is made next to it")
    args = parser.parse_args()
    with database(args.postgres) as url, tempfile.TemporaryDirectory() as workdir:
        upgrade_database(url)
        engine = create_database_engine(url)
        cipher_key = AnswerCipher.new_key()
        started = time.perf_counter()
        seeded = seed_review_queue(engine, AnswerCipher([cipher_key]), args.reviews)
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a table after a bulk load: statistics, and the visibility map
            # that lets the queue's index-only walks skip the table.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE review_items")
        create_user(engine, PasswordHashing(), name="bench", role="reviewer", password=PASSWORD, min_password_length=12)
        print(f"seeded {seeded.count} review items ({seeded.pending} pending) in {time.perf_counter() - started:.1f} s")
        config_path = Path(workdir) / "gateway.yaml"
        config_path.write_text(yaml.safe_dump({"database_url": url, "review_keys": [cipher_key], "state_dir": workdir}))
        last = -(-seeded.pending // PAGE_SIZE)
        pages = [
            "/admin/review",
            f"/admin/review?q={seeded.rare_word}",
            f"/admin/review?q={seeded.common_words.replace(' ', '+')}",
            f"/admin/review?q={seeded.request_id}",
            f"/admin/review?q={seeded.key_prefix}",
            f"/admin/review?q={seeded.common_words.split()[0]}&page=9999",
            f"/admin/review?page={last // 2}",
            f"/admin/review?page={last}",
            "/admin/review?status=all&team=team-07&page=9999",
            f"/admin/review/{seeded.review_id}",
        ]
        with TestClient(create_app(load_config(config_path, environ={})), follow_redirects=False) as client:
            sign_in(client, "bench")
            print(f"{'page':<60} {'status':>6} {'items':>6} {'median ms':>10}")
            for path in pages:
                median, status = timed(client, path, args.runs)
                found = re.search(r"(\d+) items? ,|(\d+) items?,", client.get(path).text)
                items = next((group for group in found.groups() if group), "-") if found else "-"
                print(f"{path:<60} {status:>6} {items:>6} {median:>10.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
