"""The finance page's groupings, rolled up exactly (integer nano-dollars) from one read of spend cells.

gateway/ledger/spend_daily.py reads totals per (day, team, key, model) once; every table, chart and
CSV of the page is a roll-up of those cells here, so no grouping costs another trip to the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from gateway.core.models import ApiKey, Team
from gateway.ledger.records import usd_text
from gateway.ledger.spend_daily import SUMMED, SpendCell, SpendFilter, spend_cells
from gateway.ledger.use_case_stats import UseCaseStats
from gateway.limits.rules import BudgetRule
from gateway.limits.status import SpentReader

KEYS: Table = ApiKey.__table__  # type: ignore[attr-defined]
TEAMS: Table = Team.__table__  # type: ignore[attr-defined]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the start of a budget's "total" period
SERIES_SHOWN = 8  # a breakdown shows this many teams or models by name and sums the rest as "other"


@dataclass(frozen=True)
class KeyLabel:
    """How a key is shown: its team, its name and its prefix (the secret is never stored)."""

    key_id: int
    prefix: str
    name: str
    team_name: str

    @property
    def shown(self) -> str:
        return f"{self.team_name} · {self.name or '(unnamed)'} · {self.prefix}"


def key_labels(engine: Engine) -> dict[int, KeyLabel]:
    """Every key's label by id (teams hold a handful of keys each, so all of them are read)."""
    keys_, teams = KEYS.c, TEAMS.c
    statement = select(keys_.id, keys_.prefix, keys_.name, teams.name).join(TEAMS, teams.id == keys_.team_id)
    with engine.connect() as connection:
        return {int(i): KeyLabel(int(i), p, n or "", t) for i, p, n, t in connection.execute(statement).all()}


def budget_spent_reader(stats: UseCaseStats, now: datetime) -> SpentReader:
    """What a budget's owner spent, read from the daily rollup (and today's ledger rows): one
    indexed read of a few hundred rollup rows per budget instead of every ledger row of its period."""

    def spent(engine: Engine, rule: BudgetRule, since: datetime | None, until: datetime | None) -> int:
        span = stats.query_window(since or EPOCH, until or now + timedelta(days=1), now)
        only = SpendFilter(team_id=rule.scope_id) if rule.scope == "team" else SpendFilter(key_id=rule.scope_id)
        return sum(cell.cost_nanos for cell in spend_cells(engine, span, only, by=()))

    return spent


def roll_up(
    cells: Iterable[SpendCell], key: Callable[[SpendCell], Hashable], shown: Callable[[SpendCell], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of requests, tokens, cost_nanos and cost_usd per group, costliest first."""
    groups: dict[Hashable, dict[str, Any]] = {}
    for cell in cells:
        row = groups.get(key(cell))
        if row is None:
            row = groups[key(cell)] = {**shown(cell), **dict.fromkeys(SUMMED, 0)}
        for name in SUMMED:
            row[name] += getattr(cell, name)
    rows = sorted(groups.values(), key=lambda row: row["cost_nanos"], reverse=True)
    for row in rows:
        row["cost_usd"] = usd_text(row["cost_nanos"])
    return rows


def by_day(cells: Iterable[SpendCell]) -> list[dict[str, Any]]:
    return sorted(roll_up(cells, lambda c: c.day, lambda c: {"day": c.day}), key=lambda row: row["day"])


def by_team(cells: Iterable[SpendCell]) -> list[dict[str, Any]]:
    return roll_up(cells, lambda c: c.team_id, lambda c: {"team_id": c.team_id, "team_name": c.team_name})


def by_model(cells: Iterable[SpendCell]) -> list[dict[str, Any]]:
    return roll_up(cells, lambda c: c.model, lambda c: {"model": c.model})


def by_key(cells: Iterable[SpendCell], labels: dict[int, KeyLabel]) -> list[dict[str, Any]]:
    def shown(cell: SpendCell) -> dict[str, Any]:
        label = labels.get(cell.key_id)
        return {
            "key_id": cell.key_id,
            "key_prefix": label.prefix if label else "",
            "key_name": label.name if label else "",
            "team_name": label.team_name if label else cell.team_name,
        }

    return roll_up(cells, lambda c: c.key_id, shown)


def by_team_day(cells: Iterable[SpendCell]) -> list[dict[str, Any]]:
    rows = roll_up(cells, lambda c: (c.day, c.team_id), lambda c: {"day": c.day, "team_name": c.team_name})
    return sorted(rows, key=lambda row: (row["day"], row["team_name"]))


def by_model_day(cells: Iterable[SpendCell]) -> list[dict[str, Any]]:
    rows = roll_up(cells, lambda c: (c.day, c.model), lambda c: {"day": c.day, "model": c.model})
    return sorted(rows, key=lambda row: (row["day"], row["model"]))


@dataclass(frozen=True)
class Matrix:
    """A breakdown as a table: one row per series (team or model), one column per day, in nano-dollars."""

    days: list[str]
    series: list[str]
    cells: dict[tuple[str, str], int]  # (series, day) -> nano-dollars
    totals: dict[str, int]  # series -> nano-dollars over the range


def matrix(cells: Iterable[SpendCell], series_of: Callable[[SpendCell], str], days: list[str]) -> Matrix:
    """The costliest SERIES_SHOWN series by name, the rest summed as "(other)"."""
    listed = list(cells)
    totals: dict[str, int] = {}
    for cell in listed:
        totals[series_of(cell)] = totals.get(series_of(cell), 0) + cell.cost_nanos
    ranked = sorted(totals, key=lambda name: totals[name], reverse=True)
    named = set(ranked[:SERIES_SHOWN])
    grid: dict[tuple[str, str], int] = {}
    shown_totals: dict[str, int] = {}
    for cell in listed:
        name = series_of(cell) if series_of(cell) in named else "(other)"
        grid[(name, cell.day)] = grid.get((name, cell.day), 0) + cell.cost_nanos
        shown_totals[name] = shown_totals.get(name, 0) + cell.cost_nanos
    series = [name for name in ranked if name in named] + (["(other)"] if "(other)" in shown_totals else [])
    return Matrix(days, series, grid, shown_totals)
