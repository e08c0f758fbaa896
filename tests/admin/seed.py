"""Sample data for the browser tests: people of every role, a team and key, spend, a budget, reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from filters.review_crypto import AnswerCipher
from filters.review_store import NewReview, create_review_item
from gateway.core import keys
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.ledger.records import UsageRecord
from gateway.limits.admin import set_budget
from tests.admin.support import ROLE_NAMES, add_user
from tests.helpers.gateway_process import GatewayProcess

XSS_ANSWER = 'Sure! <script>alert("xss")</script><img src=x onerror="alert(2)"> Mail evil@example.com for the rest.'
PHRASE_ANSWER = "The launch code is swordfish-42, keep it quiet."


@dataclass
class Seeded:
    xss_review: str
    keyboard_review: str
    blocklist_review: str
    key_prefix: str  # team support's key "helpdesk"


@dataclass
class UIGateway:
    process: GatewayProcess
    engine: Engine
    seeded: Seeded


def _review(engine: Engine, cipher: AnswerCipher, answer: str, phrase: str, team_id: int) -> str:
    start = answer.index(phrase)
    finding = {
        "filter": "blocklist",
        "type": "term",
        "start": start,
        "end": start + len(phrase),
        "score": 1.0,
        "action": "block",
    }
    new = NewReview(
        request_id=f"req-{phrase[:8]}-{start}",
        team_id=team_id,
        team="support",
        key_id=1,
        key_prefix="sk-gw-seed0000",
        model="gpt-test",
        action="block",
        filters=["blocklist"],
        findings=[finding],
        original=answer,
        delivered="",
    )
    return create_review_item(engine, cipher, new, timedelta(hours=2)).id


def seed_ui_data(engine: Engine, review_key: str) -> Seeded:
    hashing = PasswordHashing()
    for role in ROLE_NAMES:
        add_user(engine, hashing, role, role, team="support" if role == "admin" else None)
    add_user(engine, hashing, "alice", "reviewer", team="support")  # a prompt author
    add_user(engine, hashing, "bob", "reviewer", team="research")  # approves alice's versions
    team = keys.create_team(engine, "support")
    assert team.id is not None
    key = keys.create_key(engine, "support", name="helpdesk").record
    assert key.id is not None
    set_budget(engine, "team", team.id, "10", "total", soft_threshold=0.5)  # total: any day of the month
    now = utcnow()
    with session_scope(engine) as session:
        for day in range(10):
            for model, cost in (("gpt-test", 400_000_000), ("claude-test", 150_000_000)):
                session.add(
                    UsageRecord(
                        time=now - timedelta(days=day, minutes=5),
                        request_id=f"seed-{day}-{model}",
                        team_id=team.id,
                        team_name="support",
                        key_id=key.id,
                        key_prefix=key.prefix,
                        requested_model=model,
                        prompt_tokens=100,
                        completion_tokens=50,
                        total_tokens=150,
                        cost_nanos=cost,
                    )
                )
    cipher = AnswerCipher([review_key])
    return Seeded(
        xss_review=_review(engine, cipher, XSS_ANSWER, "evil@example.com", team.id),
        keyboard_review=_review(engine, cipher, PHRASE_ANSWER, "swordfish-42", team.id),
        blocklist_review=_review(engine, cipher, PHRASE_ANSWER, "swordfish-42", team.id),
        key_prefix=key.prefix,
    )
