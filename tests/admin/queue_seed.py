"""A review queue for the browser tests of working it at scale: many routine items of one team, a
few of another, and items to search for, to see the prompt of, and with toxic words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from filters.review_crypto import AnswerCipher
from filters.review_prompt import prompt_record
from filters.review_store import NewReview, create_review_item
from gateway.core import keys
from tests.admin.support import add_user

ROUTINE_ITEMS = 120  # three pages of 50 (the last one partly filled)
RESEARCH_ITEMS = 3
TOXIC_ANSWER = "Thanks for waiting. You are a stupid idiot and this plan is crap. Have a nice day."
NEEDLE_ANSWER = "The zebra grazed beside the quartz fountain."
NEEDLE_PROMPT = "Describe the orchard at dawn."
NEEDLE_REQUEST = "req-needle-7"
NEEDLE_KEY = "sk-gw-needle01"
REVIEWERS = ("rita", "sam")  # two reviewers: a kept decision must stay with the one who made it


@dataclass
class QueueSeed:
    routine: list[str]  # team support, in queue order
    research: list[str]  # team research, in queue order
    toxic: str
    needle: str


def _completion(text: str) -> str:
    message = {"role": "assistant", "content": text}
    return json.dumps(
        {"object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    )


def _item(
    engine: Engine,
    cipher: AnswerCipher,
    *,
    team: str,
    answer: str,
    prompt: str,
    sla: timedelta,
    request_id: str,
    key_prefix: str = "sk-gw-queue000",
    findings: list[dict[str, Any]] | None = None,
) -> str:
    new = NewReview(
        request_id=request_id,
        team_id=1,
        team=team,
        key_id=1,
        key_prefix=key_prefix,
        model="gpt-test",
        action="flag",
        filters=sorted({str(f["filter"]) for f in findings or [{"filter": "blocklist"}]}),
        findings=findings or [{"filter": "blocklist", "type": "term", "start": 0, "end": 7, "score": 1.0}],
        original=_completion(answer),
        delivered=_completion(answer),
        prompt=prompt_record([{"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt}]),
    )
    return create_review_item(engine, cipher, new, sla).id


def seed_queue(engine: Engine, review_key: str) -> QueueSeed:
    hashing = PasswordHashing()
    for name in REVIEWERS:
        add_user(engine, hashing, name, "reviewer")
    keys.create_team(engine, "support")
    cipher = AnswerCipher([review_key])
    routine = [
        _item(
            engine,
            cipher,
            team="support",
            answer=f"Routine answer {i} about invoices.",
            prompt=f"Routine question {i} about invoices?",
            sla=timedelta(hours=2, minutes=i),
            request_id=f"req-routine-{i}",
        )
        for i in range(ROUTINE_ITEMS)
    ]
    research = [
        _item(
            engine,
            cipher,
            team="research",
            answer=f"Research note {i}.",
            prompt=f"Summarise study {i}.",
            sla=timedelta(hours=1, minutes=i),
            request_id=f"req-research-{i}",
        )
        for i in range(RESEARCH_ITEMS)
    ]
    toxic = _item(
        engine,
        cipher,
        team="support",
        answer=TOXIC_ANSWER,
        prompt="Is my plan any good?",
        sla=timedelta(hours=5),
        request_id="req-toxic-1",
        findings=[
            {
                "filter": "toxicity",
                "type": "profanity",
                "start": 0,
                "end": len(TOXIC_ANSWER),
                "score": 0.99,
                "choice": 0,
            }
        ],
    )
    needle = _item(
        engine,
        cipher,
        team="support",
        answer=NEEDLE_ANSWER,
        prompt=NEEDLE_PROMPT,
        sla=timedelta(hours=6),
        request_id=NEEDLE_REQUEST,
        key_prefix=NEEDLE_KEY,
    )
    return QueueSeed(routine, research, toxic, needle)
