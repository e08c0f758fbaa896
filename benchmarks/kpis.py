"""Time of the use case KPI queries on a PostgreSQL ledger of 1 million usage records.

    python -m benchmarks.kpis [--usage 1000000] [--use-cases 200] [--days 30] [--runs 5]
                                 [--postgres postgresql://postgres@127.0.0.1:5432/test]

Seeds a throwaway database next to the given one (dropped after): 20 teams, `--use-cases` use cases
with passed gates, `--usage` records spread over 90 days in time order (80 % attributed to a use case, 5 % flagged,
3 % blocked, 20 % with a library prompt, 30 of the team's 100 people per use case), 10,000 decided review items;
runs ANALYZE, then times each query of the report over the last `--days` days and over all 90
(median of `runs` after one warm-up), and the whole report as `GET /admin/api/kpis` computes it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import Engine, make_url

from admin.kpis import KpiQuery, kpi_report
from benchmarks.admin_pages import database
from filters.review_store import ReviewItem
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.core.models import utcnow
from gateway.ledger.use_case_stats import UseCaseStats, Window, review_sla
from use_cases import kpis
from use_cases.tables import StageGate, UseCase

TEAMS = 20
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", "o3-mini", "llama-3-70b"]
STAGES = ["intake", "poc", "pilot", "production", "monitor", "retired"]
COLUMNS = (
    "time", "request_id", "endpoint", "team_id", "team_name", "key_id", "key_prefix", "end_user",
    "requested_model", "prompt_tokens", "completion_tokens", "total_tokens", "usage_counted", "cost_nanos",
    "status_code", "retries", "fallbacks", "verdicts", "prompt_name", "streamed", "disconnected",
    "use_case", "flagged", "blocked",
)  # fmt: skip


def seed_registry(engine: Engine, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Use cases spread over the teams and stages, each with the passed gates that led it there."""
    now = utcnow()
    cases, gates = [], []
    for n in range(count):
        team = f"team-{n % TEAMS:02d}"
        stage = STAGES[n % len(STAGES)]
        created = now - timedelta(days=rng.randint(60, 200))
        case_id = f"uc_{n:010x}"
        cases.append(
            {
                "id": case_id, "name": f"use case {n}", "team": team, "purpose": "benchmark",
                "risk_tier": rng.choice(["low", "medium", "high"]), "data_classification": "internal",
                "score_value": 3, "score_feasibility": 3, "score_risk": 3, "sponsor": "s", "tech_lead": "t",
                "compliance_reviewer": "c", "stage": stage, "prompts": [], "models": [], "created_by": "bench",
                "created_at": created, "stage_since": created, "revision": 1,
            }
        )  # fmt: skip
        moment = created
        for index in range(1, STAGES.index(stage) + 1):
            moment += timedelta(days=rng.randint(1, 20))
            gates.append(
                {
                    "id": f"gate_{n:08x}{index}", "use_case_id": case_id, "from_stage": STAGES[index - 1],
                    "to_stage": STAGES[index], "note": "", "checklist": [], "roles": [], "status": "passed",
                    "requested_by": "bench", "requested_at": moment, "passed_at": moment,
                }
            )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(UseCase.__table__), cases)  # type: ignore[attr-defined]
        connection.execute(insert(StageGate.__table__), gates)  # type: ignore[attr-defined]
    return [(str(case["id"]), str(case["team"])) for case in cases]


def person(use_case: str | None, team: str, rng: random.Random) -> str:
    """The caller: one of 30 people of the team who use this use case (a team has 100 people)."""
    offset = int(use_case[3:], 16) % 70 if use_case else 0
    return f"{team}-person-{offset + rng.randrange(30)}"


def seed_ledger(url: str, cases: list[tuple[str, str]], usage: int, rng: random.Random) -> None:
    now = utcnow()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        # In time order, as the gateway appends them: a day's rows sit together in the table.
        ages = sorted((rng.randint(0, 90 * 86400) for _ in range(usage)), reverse=True)
        with cursor.copy(f"COPY usage_records ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for n, age in enumerate(ages):
                attributed = rng.random() < 0.8
                use_case, team = rng.choice(cases) if attributed else (None, f"team-{rng.randrange(TEAMS):02d}")
                prompt, completion = rng.randint(50, 4000), rng.randint(10, 1500)
                roll = rng.random()
                copy.write_row(
                    (
                        now - timedelta(seconds=age), f"req-{n}", "chat",
                        int(team[-2:]) + 1, team, 1, "sk-gw-bench", person(use_case, team, rng),
                        rng.choice(MODELS), prompt, completion, prompt + completion, False,
                        prompt * 150 + completion * 600, 200, 0, "[]", "[]",
                        f"prompt-{rng.randrange(50)}" if rng.random() < 0.2 else None, False, False,
                        use_case, roll < 0.05, 0.05 <= roll < 0.08,
                    )
                )  # fmt: skip
        cursor.execute("ANALYZE")
        connection.commit()


def seed_reviews(engine: Engine, count: int, rng: random.Random) -> None:
    now = utcnow()
    rows = []
    for n in range(count):
        created = now - timedelta(seconds=rng.randint(0, 90 * 86400))
        rows.append(
            {
                "id": f"rev_{n:024x}", "request_id": f"req-r{n}", "team_id": 1, "team": f"team-{n % TEAMS:02d}",
                "key_id": 1, "key_prefix": "sk-gw-bench", "model": rng.choice(MODELS), "action": "flag",
                "filters": ",pii,", "findings": [], "original": b"", "delivered": b"", "streamed": False,
                "status": "approved", "created_at": created, "sla_due_at": created + timedelta(hours=24),
                "decided_at": created + timedelta(minutes=rng.randint(1, 2000)),
            }
        )  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(ReviewItem.__table__), rows)  # type: ignore[attr-defined]


def timed(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up: plans and buffers
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def queries(stats: UseCaseStats, until: datetime) -> list[tuple[str, Callable[[datetime], object]]]:
    """Each query of the report, as a function of the range's start."""
    engine = stats.engine

    def span(since: datetime) -> Window:
        return stats.query_window(since, until, until)

    def people(since: datetime, team: str | None = None) -> object:
        window = span(since)
        return stats.traffic_by_use_case(stats.sums(window, team), window, team)

    def reuse(since: datetime) -> object:
        window = span(since)
        return stats.reuse(stats.sums(window), window)

    return [
        ("traffic sums (rollup + edges, 2 queries)", lambda since: stats.sums(span(since))),
        ("sums + distinct people per use case", people),
        ("sums + reuse index (prompts shared by teams)", reuse),
        ("review decision times (median, within SLA)", lambda since: review_sla(engine, since, until)),
        ("sums + people per use case, one team", lambda since: people(since, "team-03")),
        ("registry: portfolio + stage velocity", lambda since: (kpis.portfolio(engine), kpis.stage_velocity(engine))),
        (
            "whole report (GET /admin/api/kpis)",
            lambda since: kpi_report(stats, KpiQuery(since, until, None), MODELS, until),
        ),
    ]


def cold_report(engine: Engine, since: datetime, until: datetime, runs: int) -> float:
    """The whole report as a process's first after a rollup refresh computes it (nothing cached):
    each run a fresh `UseCaseStats` whose refresh is done before the clock starts."""
    samples = []
    for _ in range(runs):
        stats = UseCaseStats(engine)
        stats.query_window(until, until, until)
        start = time.perf_counter()
        kpi_report(stats, KpiQuery(since, until, None), MODELS, until)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--usage", type=int, default=1_000_000)
    parser.add_argument("--use-cases", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    rng = random.Random(7)
    with database(args.postgres) as url:
        upgrade_database(url)
        engine = create_database_engine(url)
        started = time.perf_counter()
        cases = seed_registry(engine, args.use_cases, rng)
        seed_ledger(url, cases, args.usage, rng)
        seed_reviews(engine, 10_000, rng)
        print(f"seeded {args.usage} usage records, {args.use_cases} use cases in {time.perf_counter() - started:.1f} s")
        until = utcnow()
        stats = UseCaseStats(engine)
        started = time.perf_counter()
        stats.query_window(until, until, until)
        print(f"first KPI query of a process builds the daily rollup: {time.perf_counter() - started:.1f} s")
        print(f"{'query':<44} {f'last {args.days} d, ms':>16} {'all 90 d, ms':>14}")
        for label, run in queries(stats, until):
            recent = timed(partial(run, until - timedelta(days=args.days)), args.runs)
            whole = timed(partial(run, until - timedelta(days=91)), args.runs)
            print(f"{label:<44} {recent:>16.1f} {whole:>14.1f}")
        recent = cold_report(engine, until - timedelta(days=args.days), until, args.runs)
        whole = cold_report(engine, until - timedelta(days=91), until, args.runs)
        print(f"{'whole report, first after a rollup refresh':<44} {recent:>16.1f} {whole:>14.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
