"""The use case registry for people: the list, registering one, its page with gates and audit trail."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.accounts.users import list_users
from admin.api.use_cases import UseCaseIn, approve_gate, enum_param, open_gate, register_use_case
from admin.context import Role, admin_context
from admin.web.areas import EVERYONE
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect, render
from gateway.core import keys
from gateway.core.audit import list_audit_entries
from gateway.core.errors import GatewayError
from gateway.core.use_case_terms import DataClass, RiskTier, Stage
from use_cases import gates, registry
from use_cases.errors import UseCaseNotFound
from use_cases.gates import Approver, holds_role
from use_cases.registry import UseCaseFilter
from use_cases.vocabulary import next_stages

router = APIRouter(prefix="/admin/use-cases")
Reader = Annotated[SignedIn, Depends(Allow(*EVERYONE))]
Registrar = Annotated[SignedIn, Depends(Allow(Role.ADMIN))]
Requester = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
FORM_FIELDS = ("name", "team", "purpose", "risk_tier", "data_classification", "value", "feasibility", "risk")
OWNER_FIELDS = ("sponsor", "tech_lead", "compliance_reviewer")


def _choices() -> dict[str, Any]:
    return {"stages": list(Stage), "tiers": list(RiskTier), "classes": list(DataClass)}


@router.get("")
async def use_cases_page(request: Request, person: Reader) -> Response:
    params = request.query_params
    filters = {name: params.get(name, "").strip()[:128] for name in ("team", "stage", "risk_tier")}
    try:
        where = UseCaseFilter(
            team=filters["team"] or None,
            stage=enum_param(Stage, filters["stage"], "stage"),
            risk_tier=enum_param(RiskTier, filters["risk_tier"], "risk_tier"),
        )
    except GatewayError as exc:
        raise PageError(400, "Unknown filter", exc.message, back="/admin/use-cases") from None
    rows = await asyncio.to_thread(registry.list_use_cases, admin_context(request).engine, where)
    context = {"rows": rows, "filters": filters, "can_register": person.role is Role.ADMIN, **_choices()}
    return render(request, "use_cases.html", context)


async def _form_page(request: Request, form: dict[str, str], error: str = "", status_code: int = 200) -> Response:
    engine = admin_context(request).engine
    teams = await asyncio.to_thread(keys.list_teams, engine)
    people = await asyncio.to_thread(list_users, engine)
    context = {
        "form": form,
        "error": error,
        "teams": [team.name for team in teams],
        "people": [user.name for user in people if not user.disabled],
        "models": admin_context(request).models,
        **_choices(),
    }
    return render(request, "use_case_new.html", context, status_code)


@router.get("/new")
async def new_use_case_form(request: Request, person: Registrar) -> Response:
    return await _form_page(request, {})


def _body_from_form(form: dict[str, str], models: list[str]) -> dict[str, Any]:
    def score(name: str) -> int | str:
        return int(form[name]) if form[name].isdigit() else form[name]

    return {
        **{name: form[name] for name in ("name", "team", "purpose", "risk_tier", "data_classification")},
        "scores": {name: score(name) for name in ("value", "feasibility", "risk")},
        "owners": {name: form[name] for name in OWNER_FIELDS},
        "prompts": [item.strip() for item in form["prompts"].split(",") if item.strip()],
        "models": models,
    }


@router.post("")
async def register_by_form(request: Request, person: Registrar) -> Response:
    context = admin_context(request)
    form = {name: await form_text(request, name) for name in (*FORM_FIELDS, *OWNER_FIELDS, "prompts")}
    models = [value for value in (await request.form()).getlist("models") if isinstance(value, str)]
    try:
        data = UseCaseIn.model_validate(_body_from_form(form, models))
        row = await register_use_case(context, data, person.actor)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return await _form_page(request, form, f"{field}: {first['msg']}", 400)
    except GatewayError as exc:
        return await _form_page(request, form, exc.message, exc.status_code)
    return redirect(f"/admin/use-cases/{row.id}", "use_case_registered")


@router.get("/{use_case_id}")
async def use_case_page(use_case_id: str, request: Request, person: Reader) -> Response:
    context = admin_context(request)
    try:
        row = await asyncio.to_thread(registry.get, context.engine, use_case_id)
    except UseCaseNotFound:
        raise PageError(
            404, "No such use case", f"There is no use case {use_case_id!r}.", back="/admin/use-cases"
        ) from None
    views = await asyncio.to_thread(gates.gates_of, context.engine, use_case_id)
    trail = await asyncio.to_thread(list_audit_entries, context.engine, target=f"use_case:{use_case_id}")
    open_gate = next((view for view in views if view.gate.passed_at is None), None)
    # The roles of the open gate this person may approve for (the server checks again on posting).
    mine = [
        role
        for role in (open_gate.missing_roles if open_gate else [])
        if holds_role(row, role, person.name, context.use_cases)
    ]
    page = {
        "use_case": row,
        "gates": views,
        "open_gate": open_gate,
        "my_roles": mine,
        "trail": trail,
        "next_stages": next_stages(Stage(row.stage)) if open_gate is None else (),
        "can_request": person.role in {Role.ADMIN, Role.REVIEWER},
    }
    return render(request, "use_case_detail.html", page)


@router.post("/{use_case_id}/stage")
async def request_stage_by_form(use_case_id: str, request: Request, person: Requester) -> Response:
    context = admin_context(request)
    back = f"/admin/use-cases/{use_case_id}"
    to = await form_text(request, "to")
    note = (await form_text(request, "note"))[:2000]
    try:
        stage = Stage(to)
    except ValueError:
        raise PageError(400, "Unknown stage", f"{to!r} is not a lifecycle stage.", back=back) from None
    try:
        await open_gate(context, use_case_id, stage, note, person.actor)
    except GatewayError as exc:
        raise PageError(exc.status_code, "The stage change was not requested", exc.message, back=back) from None
    return redirect(back, "gate_opened")


@router.post("/{use_case_id}/gates/{gate_id}/approve")
async def approve_by_form(use_case_id: str, gate_id: str, request: Request, person: Reader) -> Response:
    context = admin_context(request)
    back = f"/admin/use-cases/{use_case_id}"
    role = (await form_text(request, "role"))[:64]
    note = (await form_text(request, "note"))[:2000]
    checked = [value for value in (await request.form()).getlist("checked") if isinstance(value, str)]
    try:
        view = await approve_gate(
            context, use_case_id, gate_id, role, note, Approver(person.actor, person.name), checked
        )
    except GatewayError as exc:
        raise PageError(exc.status_code, "The approval was not recorded", exc.message, back=back) from None
    return redirect(back, "stage_changed" if view.gate.passed_at is not None else "gate_approved")
