"""Sample data at fixed instants for the day-two tests: spend around 2026-03-18 (a Wednesday),
an overdue review, a prompt version waiting for approval, an approved prompt, a monitored rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from filters.review_crypto import AnswerCipher
from filters.review_store import NewReview, create_review_item
from gateway.core import keys
from gateway.core.audit import AuditEntry
from gateway.core.db import session_scope
from gateway.ledger.records import UsageRecord
from gateway.limits.admin import set_budget
from prompt_library import service
from tests.admin.support import ROLE_NAMES, add_user

AS_OF = date(2026, 3, 18)
NANOS = 1_000_000_000


@dataclass(frozen=True)
class Spent:
    at: datetime
    team: str
    model: str
    usd: int
    user: str | None = None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Each amount is a distinct power of two, so every total names exactly the rows it holds.
SPENT = (
    Spent(_at("2026-03-18T09:00:00"), "support", "gpt-test", 1, "ann"),  # today, week, month, quarter, 30 days
    Spent(_at("2026-03-16T12:00:00"), "support", "claude-test", 2, "bob"),  # week (Monday)…
    Spent(_at("2026-03-15T23:59:59"), "research", "gpt-test", 4),  # the Sunday before the week
    Spent(_at("2026-03-01T00:00:00"), "research", "claude-test", 8),  # the month's first instant
    Spent(_at("2026-02-28T23:59:59"), "support", "gpt-test", 16),  # last month, in the last 30 days
    Spent(_at("2026-02-01T00:00:00"), "research", "gpt-test", 32),  # last month only (and the quarter)
    Spent(_at("2026-01-05T10:00:00"), "support", "gpt-test", 64),  # the quarter only
    Spent(_at("2025-12-31T23:59:59"), "support", "gpt-test", 128),  # the quarter before
    Spent(_at("2026-03-19T00:00:00"), "support", "gpt-test", 256),  # after the as-of day
)
KEY_NAMES = {"support": "helpdesk", "research": "lab"}
PROMPT = "welcome-note"
PROMPT_TEXT = "Write a welcome note for {{name}}"


@dataclass(frozen=True)
class DayTwo:
    key_prefixes: dict[str, str]  # team -> its key's prefix
    api_key: str  # a key of team support, to call the gateway with


def seed_day_two(engine: Engine, review_key: str) -> DayTwo:
    hashing = PasswordHashing()
    for role in ROLE_NAMES:
        add_user(engine, hashing, role, role, team="support" if role in {"admin", "reviewer"} else None)
    add_user(engine, hashing, "alice", "reviewer", team="support")
    ids: dict[str, tuple[int | None, int | None]] = {}
    prefixes, secret = {}, ""
    for team, key_name in KEY_NAMES.items():
        created = keys.create_key(engine, keys.create_team(engine, team).name, name=key_name)
        ids[team] = (created.record.team_id, created.record.id)
        prefixes[team] = created.record.prefix
        secret = secret or created.secret
    with session_scope(engine) as session:
        for number, spent in enumerate(SPENT):
            team_id, key_id = ids[spent.team]
            session.add(
                UsageRecord(
                    time=spent.at,
                    request_id=f"day-two-{number}",
                    team_id=team_id,
                    team_name=spent.team,
                    key_id=key_id,
                    key_prefix=prefixes[spent.team],
                    end_user=spent.user,
                    requested_model=spent.model,
                    prompt_tokens=10,
                    completion_tokens=5,
                    total_tokens=15,
                    cost_nanos=spent.usd * NANOS,
                )
            )
        # A rule in monitor mode that would have blocked: the policies page must say "monitor".
        session.add(
            AuditEntry(
                actor="key:seed",
                action="policy.block",
                target="policy:no-card-numbers",
                team="support",
                details={"mode": "monitor", "policy": "default"},
            )
        )
    support_id = ids["support"][0]
    assert support_id is not None
    set_budget(engine, "team", support_id, "1000", "total", soft_threshold=0.3)  # $467 spent: past 30 %
    _prompts(engine)
    _overdue_review(engine, AnswerCipher([review_key]), support_id)
    return DayTwo(prefixes, secret)


def _prompts(engine: Engine) -> None:
    messages = [{"role": "user", "content": PROMPT_TEXT}]
    variables = [{"name": "name", "type": "string"}]
    service.propose_prompt(
        engine, name=PROMPT, owner_team="support", author="alice", messages=messages, variables=variables
    )
    service.submit_for_review(engine, PROMPT, 1, team="support")
    service.approve(engine, PROMPT, 1, reviewer="admin")
    hello = [{"role": "user", "content": "Say hello"}]
    service.propose_prompt(engine, name="waiting-note", owner_team="support", author="alice", messages=hello)
    service.submit_for_review(engine, "waiting-note", 1, team="support")


def _overdue_review(engine: Engine, cipher: AnswerCipher, team_id: int) -> None:
    answer = "Card 4111 1111 1111 1111 for the refund."
    new = NewReview(
        request_id="day-two-review",
        team_id=team_id,
        team="support",
        key_id=1,
        key_prefix="sk-gw-seed0000",
        model="gpt-test",
        action="block",
        filters=["pii"],
        findings=[{"filter": "pii", "type": "card", "start": 5, "end": 24, "score": 1.0, "action": "block"}],
        original=answer,
        delivered="",
    )
    create_review_item(engine, cipher, new, timedelta(hours=-1))  # due an hour before it was made
