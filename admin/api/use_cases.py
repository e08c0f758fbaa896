"""The use case registry's API: register, list, read; stage requests and their approvals."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from functools import partial
from typing import TypeVar

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.accounts.users import missing_accounts
from admin.context import AdminContext, Caller, Role, admin_context, require_role
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.errors import InvalidRequest
from gateway.core.use_case_terms import DataClass, RiskTier, Stage
from use_cases import gates, registry
from use_cases.gates import Approver, GateView
from use_cases.payloads import gate_json, use_case_json
from use_cases.registry import Registration, UseCaseFilter
from use_cases.reloader import REGISTRY_CHANGED
from use_cases.tables import UseCase

router = APIRouter(prefix="/admin/api/use-cases")
E = TypeVar("E", bound=StrEnum)
READERS = (Role.REVIEWER, Role.FINANCE, Role.VIEWER)


class ScoresIn(RequestBody):
    value: int = Field(ge=1, le=5)
    feasibility: int = Field(ge=1, le=5)
    risk: int = Field(ge=1, le=5)


class OwnersIn(RequestBody):
    sponsor: str = Field(min_length=1, max_length=64)
    tech_lead: str = Field(min_length=1, max_length=64)
    compliance_reviewer: str = Field(min_length=1, max_length=64)


class UseCaseIn(RequestBody):
    name: str = Field(min_length=1, max_length=128)
    team: str = Field(min_length=1, max_length=128)
    purpose: str = Field(min_length=1, max_length=4000)
    risk_tier: RiskTier
    data_classification: DataClass
    scores: ScoresIn
    owners: OwnersIn
    prompts: list[str] = Field(default_factory=list, max_length=100)
    models: list[str] = Field(default_factory=list, max_length=100)

    def registration(self) -> Registration:
        return Registration(
            name=self.name,
            team=self.team,
            purpose=self.purpose,
            risk_tier=self.risk_tier,
            data_classification=self.data_classification,
            value=self.scores.value,
            feasibility=self.scores.feasibility,
            risk=self.scores.risk,
            sponsor=self.owners.sponsor,
            tech_lead=self.owners.tech_lead,
            compliance_reviewer=self.owners.compliance_reviewer,
            prompts=self.prompts,
            models=self.models,
        )


class StageIn(RequestBody):
    to: Stage
    note: str = Field(default="", max_length=2000)


class ApprovalIn(RequestBody):
    role: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)
    checked: list[str] = Field(default_factory=list, max_length=100)  # checklist items this approver ticks


def approver_of(caller: Caller) -> Approver:
    # Only the admin key approves for any role; a person (or the finance key) for the roles they hold.
    person = None if caller.name == f"{Role.ADMIN.value}-key" else caller.name.removeprefix("user:")
    return Approver(actor=caller.name, person=person)


def enum_param(kind: type[E], value: str | None, name: str) -> E | None:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(item.value for item in kind)
        raise InvalidRequest(f"{name} must be one of {choices}.", param=name) from None


async def register_use_case(context: AdminContext, data: UseCaseIn, actor: str) -> UseCase:
    """Register (owners checked against the accounts) and tell every process; the API and the UI both."""
    row = await asyncio.to_thread(
        registry.register,
        context.engine,
        data.registration(),
        actor=actor,
        missing_people=partial(missing_accounts, context.engine),
        known_models=context.models,
    )
    await context.announce_change(REGISTRY_CHANGED)
    return row


@router.post("")
async def register(request: Request) -> JSONResponse:
    caller = require_role(request, Role.ADMIN)
    data = await parse_body(request, UseCaseIn)
    row = await register_use_case(admin_context(request), data, caller.name)
    return JSONResponse(use_case_json(row), status_code=201)


@router.get("")
async def list_all(
    request: Request, team: str | None = None, stage: str | None = None, risk_tier: str | None = None
) -> JSONResponse:
    require_role(request, *READERS)
    where = UseCaseFilter(
        team=team or None,
        stage=enum_param(Stage, stage, "stage"),
        risk_tier=enum_param(RiskTier, risk_tier, "risk_tier"),
    )
    rows = await asyncio.to_thread(registry.list_use_cases, admin_context(request).engine, where)
    return JSONResponse({"data": [use_case_json(row) for row in rows]})


@router.get("/{use_case_id}")
async def read(use_case_id: str, request: Request) -> JSONResponse:
    require_role(request, *READERS)
    engine = admin_context(request).engine
    row = await asyncio.to_thread(registry.get, engine, use_case_id)
    views = await asyncio.to_thread(gates.gates_of, engine, use_case_id)
    return JSONResponse({**use_case_json(row), "gates": [gate_json(view) for view in views]})


async def open_gate(context: AdminContext, use_case_id: str, to: Stage, note: str, actor: str) -> GateView:
    """Request a stage change (the API and the UI both); a gate that asks nobody passes at once."""
    view = await asyncio.to_thread(
        gates.request_stage, context.engine, context.use_cases, use_case_id, to, note, actor=actor
    )
    if view.gate.passed_at is not None:
        await context.announce_change(REGISTRY_CHANGED)
    return view


async def approve_gate(
    context: AdminContext,
    use_case_id: str,
    gate_id: str,
    role: str,
    note: str,
    approver: Approver,
    checked: list[str],
) -> GateView:
    """Record one role's approval with the checklist items it ticks; when it was the last, every
    process hears of the new stage."""
    view = await asyncio.to_thread(
        gates.approve, context.engine, context.use_cases, use_case_id, gate_id, role, note, approver, checked
    )
    if view.gate.passed_at is not None:
        await context.announce_change(REGISTRY_CHANGED)
    return view


@router.post("/{use_case_id}/stage")
async def request_stage(use_case_id: str, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, StageIn)
    view = await open_gate(admin_context(request), use_case_id, data.to, data.note, caller.name)
    return JSONResponse(gate_json(view), status_code=202)


@router.post("/{use_case_id}/gates/{gate_id}/approve")
async def approve(use_case_id: str, gate_id: str, request: Request) -> JSONResponse:
    caller = require_role(request, *READERS)
    data = await parse_body(request, ApprovalIn)
    view = await approve_gate(
        admin_context(request), use_case_id, gate_id, data.role, data.note, approver_of(caller), data.checked
    )
    return JSONResponse(gate_json(view))
