"""Tables of the registry: use cases, their stage gates and approvals, key bindings, model cards.

Registered with the app's table registry (gateway/migrations/schema.py) and migrations u0003
(c0004: the checklist's ticks).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.core.models import utcnow


def new_use_case_id() -> str:
    return f"uc_{secrets.token_hex(5)}"


def new_gate_id() -> str:
    return f"gate_{secrets.token_hex(6)}"


class UseCase(SQLModel, table=True):
    """One use case: what it is for, who answers for it, how risky it is and where in its lifecycle."""

    __tablename__ = "use_cases"

    id: str = Field(default_factory=new_use_case_id, primary_key=True, max_length=32)
    name: str = Field(index=True, unique=True, max_length=128)
    team: str = Field(index=True, max_length=128)
    purpose: str = Field(max_length=4000)
    risk_tier: str = Field(max_length=8)
    data_classification: str = Field(max_length=16)
    score_value: int
    score_feasibility: int
    score_risk: int
    sponsor: str = Field(max_length=64)
    tech_lead: str = Field(max_length=64)
    compliance_reviewer: str = Field(max_length=64)
    stage: str = Field(default="intake", max_length=16, index=True)
    prompts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    models: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    stage_since: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    # Grows with every change, so every process's in-memory copy notices one (see use_cases.reloader).
    revision: int = 1


class StageGate(SQLModel, table=True):
    """A request to move a use case to another stage: its checklist and the roles that must approve."""

    __tablename__ = "use_case_gates"

    id: str = Field(default_factory=new_gate_id, primary_key=True, max_length=32)
    use_case_id: str = Field(foreign_key="use_cases.id", index=True, max_length=32)
    from_stage: str = Field(max_length=16)
    to_stage: str = Field(max_length=16)
    note: str = Field(default="", max_length=2000)
    checklist: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=8)
    requested_by: str = Field(max_length=128)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    passed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class GateApproval(SQLModel, table=True):
    """One role's approval of a gate; one per role, and one person approves for one role only."""

    __tablename__ = "use_case_gate_approvals"
    __table_args__ = (
        UniqueConstraint("gate_id", "role", name="uq_use_case_gate_approvals_role"),
        UniqueConstraint("gate_id", "approved_by", name="uq_use_case_gate_approvals_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gate_id: str = Field(foreign_key="use_case_gates.id", index=True, max_length=32)
    role: str = Field(max_length=64)
    approved_by: str = Field(max_length=128)
    note: str = Field(default="", max_length=2000)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class GateTick(SQLModel, table=True):
    """One checklist item of a gate ticked by an approver; an item is ticked once."""

    __tablename__ = "use_case_gate_ticks"
    __table_args__ = (UniqueConstraint("gate_id", "item", name="uq_use_case_gate_ticks_item"),)

    id: int | None = Field(default=None, primary_key=True)
    gate_id: str = Field(foreign_key="use_case_gates.id", index=True, max_length=32)
    item: str = Field(max_length=500)
    ticked_by: str = Field(max_length=128)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class KeyUseCase(SQLModel, table=True):
    """A virtual key bound to one use case: every request with the key is attributed to it."""

    __tablename__ = "use_case_keys"

    key_id: int = Field(foreign_key="api_keys.id", primary_key=True)
    use_case_id: str = Field(foreign_key="use_cases.id", index=True, max_length=32)


class ModelCard(SQLModel, table=True):
    """What the council knows about one model group of `model_list`, and whether it may be used."""

    __tablename__ = "model_cards"

    model_name: str = Field(primary_key=True, max_length=128)
    provider: str = Field(default="", max_length=128)
    version: str = Field(default="", max_length=128)
    data_residency: str = Field(default="", max_length=128)
    allowed_data_classifications: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    allowed_risk_tiers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    intended_use: str = Field(default="", max_length=4000)
    known_limitations: str = Field(default="", max_length=4000)
    evaluation_results: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str = Field(default="", max_length=128)
    review_due: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    status: str = Field(default="experimental", max_length=16)
    experimentation: bool = Field(default=False, description="may serve use cases in poc or pilot")
    end_of_life: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    updated_by: str = Field(max_length=128)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
