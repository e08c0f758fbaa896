"""Keys for admins: create one (shown once, after a redirect), a key's page and edit form, revoke with a
confirmation step. Every change is in force in every gateway process when the page comes back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.edits import edit_key, revoke_key, warnings_for
from admin.web import key_reveal
from admin.web.audit_trail import record
from admin.web.edit_forms import LimitsInForce, read_key_fields, read_limit_edits
from admin.web.guard import Allow, form_text
from admin.web.limits_form import PERIODS, InvalidLimitsForm, apply_limits, read_limits_form
from admin.web.pages import PageError, redirect, render
from admin.web.routes.teams import overview_page
from gateway.core import keys
from gateway.core.errors import GatewayError
from gateway.core.models import ApiKey, Team, utcnow
from gateway.core.notices import LIMITS_CHANGED
from gateway.limits.admin import InvalidLimit, limits_of
from use_cases import registry as use_case_registry
from use_cases.reloader import REGISTRY_CHANGED

router = APIRouter(prefix="/admin/keys")
Admin = Annotated[SignedIn, Depends(Allow(Role.ADMIN))]


@router.post("")
async def create_key(request: Request, person: Admin) -> Response:
    """Create the key and redirect to the page that shows it once: a reload there creates nothing."""
    context = admin_context(request)
    engine = context.engine
    team = await form_text(request, "team")
    use_case = await form_text(request, "use_case") or None
    days = await form_text(request, "expires_in_days")
    if days and (not days.isdigit() or int(days) == 0):
        return await overview_page(
            request, 400, error="Expiry is a whole number of days, or empty for a key that never expires."
        )
    try:
        limits = await read_limits_form(request)
        if use_case is not None:  # checked first, so a wrong use case creates no key
            await asyncio.to_thread(use_case_registry.check_bindable, engine, use_case, team)
        new = await asyncio.to_thread(
            keys.create_key,
            engine,
            team,
            name=(await form_text(request, "name"))[:128],
            expires_at=utcnow() + timedelta(days=int(days)) if days else None,
        )
        assert new.record.id is not None
        await asyncio.to_thread(apply_limits, engine, "key", new.record.id, limits)
        await context.announce_change(LIMITS_CHANGED)
    except keys.UnknownTeam:
        return await overview_page(request, 400, error="Choose the team the key belongs to (create the team first).")
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await overview_page(request, 400, error=f"Nothing was created: {exc}")
    except GatewayError as exc:  # the use case is unknown or another team's
        return await overview_page(request, exc.status_code, error=f"Nothing was created: {exc.message}")
    prefix = new.record.prefix
    if use_case is not None:
        await asyncio.to_thread(use_case_registry.bind_key, engine, new.record.id, prefix, use_case, actor=person.actor)
        await context.announce_change(REGISTRY_CHANGED)
    await asyncio.to_thread(record, engine, actor=person.actor, action="key.create", target=f"key:{prefix}", team=team)
    response = redirect(key_reveal.reveal_path(prefix))
    key_reveal.hand_over(request, response, person, prefix, new.secret)
    return response


def _key_view(engine: Engine, prefix: str) -> tuple[ApiKey, Team, LimitsInForce, str | None]:
    try:
        key, team = keys.find_key_and_team(engine, prefix)
    except keys.UnknownKey:
        raise PageError(404, "No such key", f"There is no key with prefix {prefix}.", back="/admin/teams") from None
    assert key.id is not None
    budgets, rate = limits_of(engine, "key", key.id)
    bound = use_case_registry.bound_use_cases(engine).get(key.id)
    return key, team, LimitsInForce({b.period: b for b in budgets}, rate), bound


@router.get("/{prefix}/created")
async def created_key(prefix: str, request: Request, person: Admin) -> Response:
    """The new key, once; any later visit says it was shown already."""
    key, team, _, _ = await asyncio.to_thread(_key_view, admin_context(request).engine, prefix)
    secret = key_reveal.handed_over(request, person, prefix)
    response = render(request, "key_created.html", {"key": key, "team": team, "secret": secret})
    key_reveal.spend(response, prefix)
    return response


async def key_page(request: Request, prefix: str, status_code: int = 200, error: str = "") -> Response:
    context = admin_context(request)
    key, team, limits, bound = await asyncio.to_thread(_key_view, context.engine, prefix)
    use_cases = await asyncio.to_thread(use_case_registry.list_use_cases, context.engine)
    return render(
        request,
        "key.html",
        {
            "key": key,
            "team": team,
            "in_force": limits,
            "use_case": bound,
            "use_cases": [use_case for use_case in use_cases if use_case.team == team.name],
            "periods": PERIODS,
            "warnings": warnings_for(context, team.models, limits.as_edits()),
            "error": error,
        },
        status_code,
    )


@router.get("/{prefix}")
async def show_key(prefix: str, request: Request, person: Admin) -> Response:
    return await key_page(request, prefix)


@router.post("/{prefix}")
async def save_key(prefix: str, request: Request, person: Admin) -> Response:
    context = admin_context(request)
    key, _, limits, bound = await asyncio.to_thread(_key_view, context.engine, prefix)
    use_case = await form_text(request, "use_case") or None
    try:
        edits = await read_limit_edits(request, limits)
        fields = await read_key_fields(request, key)
        await edit_key(context, person.actor, prefix, fields, edits, use_case if use_case != bound else None)
    except (InvalidLimitsForm, InvalidLimit) as exc:
        return await key_page(request, prefix, 400, error=f"Nothing was changed: {exc}")
    except GatewayError as exc:  # the use case is unknown or another team's
        return await key_page(request, prefix, exc.status_code, error=f"Nothing was changed: {exc.message}")
    return redirect(f"/admin/keys/{prefix}", "key_saved")


@router.get("/{prefix}/revoke")
async def confirm_revoke(prefix: str, request: Request, person: Admin) -> Response:
    """Ask before revoking: a revoked key cannot be restored."""
    key, team, _, _ = await asyncio.to_thread(_key_view, admin_context(request).engine, prefix)
    return render(request, "key_revoke.html", {"key": key, "team": team})


@router.post("/{prefix}/revoke")
async def revoke(prefix: str, request: Request, person: Admin) -> Response:
    try:
        await revoke_key(admin_context(request), person.actor, prefix)
    except keys.UnknownKey:
        raise PageError(404, "No such key", f"There is no key with prefix {prefix}.", back="/admin/teams") from None
    return redirect("/admin/teams", "key_revoked")
