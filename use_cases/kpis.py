"""The registry's side of the KPIs: use cases by stage and tier, stage velocity, documented models.
(Traffic figures come from the ledger; admin/api/kpis.py puts the two together.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from statistics import mean

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from gateway.core.db import session_scope
from gateway.core.use_case_terms import RiskTier, Stage
from use_cases.cards import is_documented, review_overdue
from use_cases.tables import ModelCard, StageGate, UseCase


@dataclass(frozen=True)
class Portfolio:
    by_stage: dict[str, int]  # every registered use case, by its current stage
    by_tier: dict[str, int]  # the active ones (not retired), by risk tier


@dataclass(frozen=True)
class StageVelocity:
    days_in_stage: dict[str, float | None]  # the mean of completed stays; None when none completed
    entered_poc: int
    reached_production: int

    @property
    def poc_to_production(self) -> float | None:
        return self.reached_production / self.entered_poc if self.entered_poc else None


@dataclass(frozen=True)
class ModelDocumentation:
    models: int
    documented: int
    overdue_reviews: list[str]

    @property
    def share(self) -> float | None:
        return self.documented / self.models if self.models else None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _use_cases(engine: Engine, team: str | None) -> list[UseCase]:
    query = select(UseCase)
    if team is not None:
        query = query.where(UseCase.team == team)
    with session_scope(engine) as session:
        return list(session.exec(query))


def portfolio(engine: Engine, team: str | None = None) -> Portfolio:
    rows = _use_cases(engine, team)
    by_stage = {stage.value: 0 for stage in Stage}
    by_tier = {tier.value: 0 for tier in RiskTier}
    for row in rows:
        by_stage[row.stage] += 1
        if row.stage != Stage.RETIRED.value:
            by_tier[row.risk_tier] += 1
    return Portfolio(by_stage, by_tier)


def stage_velocity(engine: Engine, team: str | None = None) -> StageVelocity:
    """Days spent in each stage, from registration and the passed gates; the share of use cases that
    reached production among those that ever entered poc."""
    rows = {row.id: row for row in _use_cases(engine, team)}
    with session_scope(engine) as session:
        gates = list(
            session.exec(
                select(StageGate)
                .where(col(StageGate.passed_at).is_not(None), col(StageGate.use_case_id).in_(list(rows)))
                .order_by(col(StageGate.passed_at))
            )
        )
    stays: dict[str, list[float]] = {stage.value: [] for stage in Stage}
    visited: dict[str, set[str]] = {use_case: {Stage.INTAKE.value} for use_case in rows}
    entered = {use_case: ("intake", _utc(row.created_at)) for use_case, row in rows.items()}
    for gate in gates:
        assert gate.passed_at is not None
        stage, since = entered[gate.use_case_id]
        left = _utc(gate.passed_at)
        stays[stage].append((left - since).total_seconds() / 86_400)
        entered[gate.use_case_id] = (gate.to_stage, left)
        visited[gate.use_case_id].add(gate.to_stage)
    days = {stage: (mean(values) if values else None) for stage, values in stays.items()}
    poc = [use_case for use_case, stages in visited.items() if Stage.POC.value in stages]
    production = [use_case for use_case in poc if Stage.PRODUCTION.value in visited[use_case]]
    return StageVelocity(days, len(poc), len(production))


def model_documentation(engine: Engine, models: Sequence[str], today: date) -> ModelDocumentation:
    with session_scope(engine) as session:
        cards = {card.model_name: card for card in session.exec(select(ModelCard))}
    listed = [cards[name] for name in models if name in cards]
    documented = sum(1 for card in listed if is_documented(card))
    overdue = [card.model_name for card in listed if review_overdue(card, today)]
    return ModelDocumentation(len(models), documented, overdue)


def production_use_cases(engine: Engine, team: str | None = None) -> list[str]:
    return [row.id for row in _use_cases(engine, team) if row.stage == Stage.PRODUCTION.value]
