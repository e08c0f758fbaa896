"""Helpers for the prompt library tests: a small valid template and a prompt through approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from prompt_library import service
from prompt_library.models import PromptVersion

SEEDS = Path(__file__).resolve().parents[2] / "prompt_library" / "seeds"

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Reply to {{customer}} about {{product}} in at most {{sentences}} sentences."}
]
VARIABLES: list[dict[str, Any]] = [
    {"name": "customer", "type": "string"},
    {"name": "product", "type": "string", "default": "Acme Cloud", "choices": ["Acme Cloud", "Acme Mail"]},
    {"name": "sentences", "type": "integer", "default": 5},
]


def approved_prompt(engine: Engine, name: str = "support-reply", team: str = "support") -> PromptVersion:
    """A prompt of `team` whose version 1 was written by alice and approved by bob."""
    version = service.propose_prompt(
        engine,
        name=name,
        owner_team=team,
        author="alice",
        messages=MESSAGES,
        variables=VARIABLES,
        description="Replies to customers",
        tags=["support", "email"],
    )
    service.submit_for_review(engine, name, version.version, team=team)
    return service.approve(engine, name, version.version, reviewer="bob")
