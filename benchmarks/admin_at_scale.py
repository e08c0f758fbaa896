"""Time of every admin page and CSV export in a browser, against a PostgreSQL database at scale.

    python -m benchmarks.admin_at_scale [--usage 1000000] [--reviews 50000] [--audit 200000]
                                        [--runs 5] [--postgres postgresql://postgres@127.0.0.1:5432/test]

Seeds a throwaway database next to the given one (dropped after) with COPY: 20 teams of 10 keys,
`--usage` ledger rows over 90 days (a third of them naming one of 500 people in `user`), `--reviews`
review items over 30 days (two thirds pending) and `--audit` audit entries (a tenth policy verdicts).
Starts `gateway serve` on it, signs in as an admin in headless Chromium (Playwright) and times each
page of PAGES (navigation to the load event) and each download of DOWNLOADS (the whole body):
the median of `runs` after one warm-up, whose time is printed too. The first page after signing in
builds the daily rollup of the ledger (its time is printed apart). The target is 500 ms for each.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
import psycopg
import yaml
from playwright.sync_api import Page, sync_playwright
from sqlalchemy.engine import Engine, make_url

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from benchmarks.admin_pages import database
from filters.review_crypto import AnswerCipher
from gateway.core import keys
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.core.models import utcnow
from gateway.limits.admin import set_budget
from tests.helpers.gateway_process import free_port

TARGET_MS = 500
PER_PAGE = 50  # review items per page of the queue

# The pages timed, one line each: (name, path); {review} and {last_review_page} are filled in.
PAGES: tuple[tuple[str, str], ...] = (
    ("home", "/admin"),
    ("reviews: queue", "/admin/review"),
    ("reviews: a search (team + filter)", "/admin/review?team=team-03&filter=pii"),
    ("reviews: last page", "/admin/review?page={last_review_page}"),
    ("reviews: one item", "/admin/review/{review}"),
    ("spend: last 30 days", "/admin/finance"),
    ("spend: today", "/admin/finance?preset=today"),
    ("spend: this week", "/admin/finance?preset=week"),
    ("spend: this month", "/admin/finance?preset=month"),
    ("spend: last month", "/admin/finance?preset=last_month"),
    ("spend: this quarter", "/admin/finance?preset=quarter"),
    ("spend: model by day", "/admin/finance?preset=month&breakdown=model"),
    ("spend: people (user field)", "/admin/finance?preset=month&breakdown=user"),
    ("spend: one team and model", "/admin/finance?preset=quarter&team=team-03&model=gpt-4o"),
    ("audit log", "/admin/audit"),
    ("audit log: policy verdicts", "/admin/audit?action=policy."),
    ("audit log: page 100", "/admin/audit?page=100"),
    ("teams and keys", "/admin/teams"),
    ("a team's page", "/admin/teams/team-03"),
    ("blocklist", "/admin/blocklist"),
    ("policies", "/admin/policies"),
    ("prompt library", "/admin/prompts"),
    ("use cases", "/admin/use-cases"),
    ("use case KPIs", "/admin/kpis"),
    ("models", "/admin/models"),
    ("people", "/admin/users"),
)
# The downloads timed, one line each: (name, path).
DOWNLOADS: tuple[tuple[str, str], ...] = (
    *(
        (f"CSV: spend per {group}, this quarter", f"/admin/finance/spend.csv?preset=quarter&group_by={group}")
        for group in ("day", "team", "key", "model", "team_day", "model_day", "user")
    ),
    ("CSV: the whole audit log", "/admin/audit.csv"),
)

PASSWORD = "benchmark password 123"
TEAMS, KEYS_PER_TEAM, PEOPLE = 20, 10, 500
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "o3-mini", "llama-3-70b"]
FILTERS = ["pii", "toxicity", "blocklist"]
USAGE_COLUMNS = (
    "time", "request_id", "endpoint", "team_id", "team_name", "key_id", "key_prefix", "end_user",
    "requested_model", "prompt_tokens", "completion_tokens", "total_tokens", "usage_counted", "cost_nanos",
    "status_code", "retries", "fallbacks", "verdicts", "streamed", "disconnected", "flagged", "blocked",
)  # fmt: skip
REVIEW_COLUMNS = (
    "id", "request_id", "team_id", "team", "key_id", "key_prefix", "model", "action", "filters", "findings",
    "original", "delivered", "streamed", "status", "created_at", "sla_due_at",
)  # fmt: skip
AUDIT_COLUMNS = ("uid", "at", "actor", "action", "team", "target", "details")
Key = tuple[int, str, int, str]  # team id, team name, key id, key prefix


def seed_accounts(engine: Engine) -> list[Key]:
    """Teams with keys and a monthly budget each, and the admin who signs in."""
    found: list[Key] = []
    for t in range(TEAMS):
        team = keys.create_team(engine, f"team-{t:02d}")
        assert team.id is not None
        set_budget(engine, "team", team.id, "500", "month", soft_threshold=0.8)
        for k in range(KEYS_PER_TEAM):
            record = keys.create_key(engine, team.name, name=f"app-{k}").record
            assert record.id is not None
            found.append((team.id, team.name, record.id, record.prefix))
    create_user(engine, PasswordHashing(), name="bench", role="admin", password=PASSWORD, min_password_length=12)
    return found


def copy_rows(url: str, table: str, columns: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.commit()


def usage_rows(count: int, team_keys: list[Key], rng: random.Random) -> Iterator[tuple[object, ...]]:
    now = utcnow()
    for n in range(count):
        team_id, team_name, key_id, prefix = rng.choice(team_keys)
        prompt, completion = rng.randint(50, 4000), rng.randint(10, 1500)
        person = f"person-{rng.randrange(PEOPLE)}" if rng.random() < 0.33 else None
        yield (
            now - timedelta(seconds=rng.randint(0, 90 * 86400)), f"req-{n}", "chat", team_id, team_name, key_id,
            prefix, person, rng.choice(MODELS), prompt, completion, prompt + completion, False,
            prompt * 150 + completion * 600, 200, 0, "[]", "[]", False, False, False, False,
        )  # fmt: skip


def review_rows(count: int, team_keys: list[Key], answer: bytes, rng: random.Random) -> Iterator[tuple[object, ...]]:
    now = utcnow()
    for n in range(count):
        team_id, team_name, key_id, prefix = rng.choice(team_keys)
        created = now - timedelta(seconds=rng.randint(0, 30 * 86400))
        chosen = sorted(set(rng.sample(FILTERS, rng.randint(1, 2))))
        findings = '[{"filter": "pii", "type": "EMAIL_ADDRESS", "start": 22, "end": 42, "score": 1.0}]'
        status = rng.choice(["pending"] * 6 + ["approved", "rejected", "escalated"])
        yield (
            f"rev_{n:024x}", f"req-r{n}", team_id, team_name, key_id, prefix, rng.choice(MODELS),
            rng.choice(["block", "flag"]), "," + ",".join(chosen) + ",", findings, answer, answer, False,
            status, created, created + timedelta(hours=24),
        )  # fmt: skip


def audit_rows(count: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    now = utcnow()
    rules = ["prompt_injection", "confidential_projects", "secrets_in_prompt", "request_parameters"]
    for n in range(count):
        at = now - timedelta(seconds=rng.randint(0, 90 * 86400))
        team = f"team-{n % TEAMS:02d}"
        if n % 10 == 0:
            mode = rng.choice(["monitor", "enforce"])
            details = f'{{"mode": "{mode}", "policy": "default", "reason": "bench"}}'
            yield (f"{n:032x}", at, "key:sk-gw-bench", "policy.block", team, f"policy:{rng.choice(rules)}", details)
        else:
            action = rng.choice(["review.created.block", "key.created", "review.approve", "budget.set"])
            yield (f"{n:032x}", at, "user:bench", action, team, f"rev_{n:024x}", "{}")


def analyze(url: str) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


@contextmanager
def gateway(url: str, review_key: str) -> Iterator[str]:
    """`gateway serve` on the seeded database; yields its root URL."""
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        models = [{"model_name": m, "litellm_params": {"model": f"openai/{m}", "api_key": "unused"}} for m in MODELS]
        config = {"database_url": url, "review_keys": [review_key], "state_dir": str(workdir), "model_list": models}
        (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = (workdir / "gateway.log").open("wb")
        command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(workdir / "gateway.yaml")]
        process = subprocess.Popen([*command, "--port", str(port)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        root = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while not _healthy(root):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the gateway did not start:\n" + (workdir / "gateway.log").read_text())
                time.sleep(0.2)
            yield root
        finally:
            process.terminate()
            process.wait(timeout=30)


def _healthy(root: str) -> bool:
    try:
        return httpx.get(f"{root}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def timed(call: Callable[[], int], runs: int) -> tuple[float, float, int]:
    """(first call's ms, median ms of `runs` more, status of the last)."""
    samples, status = [], 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        status = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples[0], statistics.median(samples[1:]), status


def open_page(page: Page, path: str) -> int:
    response = page.goto(path, wait_until="load")
    return response.status if response is not None else 0


def download(page: Page, path: str) -> int:
    response = page.request.get(path)
    response.body()
    return response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--audit", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rng = random.Random(7)
    review_key = AnswerCipher.new_key()
    with database(args.postgres) as url:
        started = time.perf_counter()
        upgrade_database(url)
        engine = create_database_engine(url)
        team_keys = seed_accounts(engine)
        engine.dispose()
        answer = AnswerCipher([review_key]).encrypt("An answer that mentions jane.doe@example.com. " * 8)
        copy_rows(url, "usage_records", USAGE_COLUMNS, usage_rows(args.usage, team_keys, rng))
        copy_rows(url, "review_items", REVIEW_COLUMNS, review_rows(args.reviews, team_keys, answer, rng))
        copy_rows(url, "audit_log", AUDIT_COLUMNS, audit_rows(args.audit, rng))
        analyze(url)
        print(f"seeded {args.usage:,} ledger rows, {args.reviews:,} review items, {args.audit:,} audit entries "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
        filled = {"review": f"rev_{args.reviews // 2:024x}", "last_review_page": str(args.reviews // PER_PAGE)}
        with gateway(url, review_key) as root, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_context(base_url=root).new_page()
            page.goto("/admin/login")
            page.fill("input[name=name]", "bench")
            page.fill("input[name=password]", PASSWORD)
            started = time.perf_counter()
            page.click("button[type=submit]")
            page.wait_for_url(f"{root}/admin")
            first_home = (time.perf_counter() - started) * 1000
            print(f"sign-in to the first home page (builds the daily rollup): {first_home:.0f} ms")
            print(f"{'page':<40} {'first ms':>9} {'median ms':>10}  status")
            calls = [(name, partial(open_page, page, path.format(**filled))) for name, path in PAGES]
            calls += [(name, partial(download, page, path)) for name, path in DOWNLOADS]
            slow = []
            for name, call in calls:
                first, median, status = timed(call, args.runs)
                print(f"{name:<40} {first:>9.0f} {median:>10.0f}  {status}", flush=True)
                slow += [name] if median > TARGET_MS or status != 200 else []
            browser.close()
        print(f"over {TARGET_MS} ms or failed: {', '.join(slow) if slow else 'none'}")


if __name__ == "__main__":
    main()
