"""Registering, finding and listing use cases; every change writes its audit entry in the same
transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.core.audit import add_audit_entry
from gateway.core.db import Bind, session_scope
from gateway.core.models import Team
from gateway.core.use_case_terms import DataClass, RiskTier, Stage
from use_cases.errors import InvalidUseCase, RegistryConflict, UseCaseNotFound
from use_cases.tables import KeyUseCase, UseCase

# Given the names a use case mentions, returns those without an account (the admin room knows accounts).
MissingPeople = Callable[[Collection[str]], list[str]]


@dataclass(frozen=True)
class Registration:
    name: str
    team: str
    purpose: str
    risk_tier: RiskTier
    data_classification: DataClass
    value: int
    feasibility: int
    risk: int
    sponsor: str
    tech_lead: str
    compliance_reviewer: str
    prompts: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UseCaseFilter:
    team: str | None = None
    stage: Stage | None = None
    risk_tier: RiskTier | None = None


def register(
    engine: Engine,
    new: Registration,
    *,
    actor: str,
    missing_people: MissingPeople,
    known_models: Collection[str],
) -> UseCase:
    """Store a use case in intake; raises InvalidUseCase naming the first unknown team, person or model."""
    unknown = missing_people([new.sponsor, new.tech_lead, new.compliance_reviewer])
    if unknown:
        message = f"No account is named {unknown[0]!r}: owners must be people with accounts."
        raise InvalidUseCase(message, param="owners")
    strange = [model for model in new.models if model not in known_models]
    if strange:
        raise InvalidUseCase(f"The model {strange[0]!r} is not in the gateway's model_list.", param="models")
    row = UseCase(
        name=new.name,
        team=new.team,
        purpose=new.purpose,
        risk_tier=new.risk_tier.value,
        data_classification=new.data_classification.value,
        score_value=new.value,
        score_feasibility=new.feasibility,
        score_risk=new.risk,
        sponsor=new.sponsor,
        tech_lead=new.tech_lead,
        compliance_reviewer=new.compliance_reviewer,
        prompts=list(dict.fromkeys(new.prompts)),
        models=list(dict.fromkeys(new.models)),
        created_by=actor,
    )
    try:
        with session_scope(engine) as session:
            if session.exec(select(Team).where(Team.name == new.team)).first() is None:
                raise InvalidUseCase(f"There is no team named {new.team!r}.", param="team")
            session.add(row)
            session.flush()
            add_audit_entry(
                session,
                actor=actor,
                action="use_case.register",
                team=new.team,
                target=f"use_case:{row.id}",
                use_case=row.id,
                details={"use_case": row.id, "name": row.name, "risk_tier": row.risk_tier, "stage": row.stage},
            )
    except IntegrityError:
        raise RegistryConflict(f"A use case named {new.name!r} already exists.", param="name") from None
    return row


def find(session: Session, use_case_id: str) -> UseCase:
    row = session.get(UseCase, use_case_id)
    if row is None:
        raise UseCaseNotFound(f"There is no use case {use_case_id!r}.", param="id")
    return row


def get(engine: Engine, use_case_id: str) -> UseCase:
    with session_scope(engine) as session:
        return find(session, use_case_id)


def list_use_cases(engine: Engine, where: UseCaseFilter | None = None) -> list[UseCase]:
    where = where or UseCaseFilter()
    query = select(UseCase).order_by(col(UseCase.created_at), col(UseCase.id))
    if where.team is not None:
        query = query.where(UseCase.team == where.team)
    if where.stage is not None:
        query = query.where(UseCase.stage == where.stage.value)
    if where.risk_tier is not None:
        query = query.where(UseCase.risk_tier == where.risk_tier.value)
    with session_scope(engine) as session:
        return list(session.exec(query))


def check_bindable(engine: Engine, use_case_id: str, team: str) -> None:
    """Raise unless a key of `team` may be bound to the use case (it must be the team's own)."""
    use_case = get(engine, use_case_id)
    if use_case.team != team:
        raise InvalidUseCase(f"The use case {use_case_id} belongs to team {use_case.team!r}, not {team!r}.")


def bind_key(engine: Bind, key_id: int, key_prefix: str, use_case_id: str, *, actor: str) -> None:
    """Attribute every request of the key to the use case; audited."""
    with session_scope(engine) as session:
        use_case = find(session, use_case_id)
        session.merge(KeyUseCase(key_id=key_id, use_case_id=use_case_id))
        add_audit_entry(
            session,
            actor=actor,
            action="use_case.bind_key",
            team=use_case.team,
            target=f"use_case:{use_case_id}",
            use_case=use_case_id,
            details={"use_case": use_case_id, "key": key_prefix},
        )


def bound_use_cases(engine: Bind) -> dict[int, str]:
    """Key id → the use case it is bound to."""
    with session_scope(engine) as session:
        return {row.key_id: row.use_case_id for row in session.exec(select(KeyUseCase))}
