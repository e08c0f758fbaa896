"""Spend per team, key and model from one pass over the ledger (the finance page's main query).

gateway/ledger/finance.py groups by one dimension per query; the page needs three, so it groups
once by (team, key, model) — at most teams * keys * models rows — and rolls up here, exactly, in
integer nano-dollars. The per-day series still comes from finance.spend.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from gateway.ledger.finance import RECORDS
from gateway.ledger.records import nanos_to_usd

SUMMED = ("requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_nanos")


@dataclass(frozen=True)
class SpendCell:
    team_id: int | None
    team_name: str | None
    key_id: int | None
    key_prefix: str | None
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_nanos: int


def spend_cells(engine: Engine, start: datetime, end: datetime, *, team_id: int | None = None) -> list[SpendCell]:
    """Totals per (team, key, model) for records with start <= time < end."""
    c = RECORDS.c
    statement = (
        select(
            c.team_id,
            func.max(c.team_name),
            c.key_id,
            func.max(c.key_prefix),
            c.requested_model,
            func.count(),
            func.coalesce(func.sum(c.prompt_tokens), 0),
            func.coalesce(func.sum(c.completion_tokens), 0),
            func.coalesce(func.sum(c.total_tokens), 0),
            func.coalesce(func.sum(c.cost_nanos), 0),
        )
        .where(c.time >= start, c.time < end)
        .group_by(c.team_id, c.key_id, c.requested_model)
    )
    if team_id is not None:
        statement = statement.where(c.team_id == team_id)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [SpendCell(r[0], r[1], r[2], r[3], r[4] or "", *(int(v) for v in r[5:])) for r in rows]


def roll_up(
    cells: list[SpendCell], key: Callable[[SpendCell], Hashable], shown: Callable[[SpendCell], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows like finance.spend's (requests, tokens, cost_nanos, cost_usd) per group, costliest first."""
    groups: dict[Hashable, dict[str, Any]] = {}
    for cell in cells:
        row = groups.setdefault(key(cell), {**shown(cell), **dict.fromkeys(SUMMED, 0)})
        for name in SUMMED:
            row[name] += getattr(cell, name)
    rows = sorted(groups.values(), key=lambda row: row["cost_nanos"], reverse=True)
    for row in rows:
        row["cost_usd"] = str(nanos_to_usd(row["cost_nanos"]))
    return rows


def by_team(cells: list[SpendCell]) -> list[dict[str, Any]]:
    return roll_up(cells, lambda c: c.team_id, lambda c: {"team_id": c.team_id, "team_name": c.team_name})


def by_key(cells: list[SpendCell]) -> list[dict[str, Any]]:
    return roll_up(cells, lambda c: c.key_id, lambda c: {"key_id": c.key_id, "key_prefix": c.key_prefix})


def by_model(cells: list[SpendCell]) -> list[dict[str, Any]]:
    return roll_up(cells, lambda c: c.model, lambda c: {"model": c.model})
