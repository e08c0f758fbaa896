"""People, for admins: create accounts, change role, team or password, disable and enable."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.errors import AccountError, UnknownUser, UserExists
from admin.accounts.sessions import SignedIn
from admin.accounts.users import ROLES, UserChange, change_user, create_user, list_users
from admin.context import Role, admin_context
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect, render
from admin.web.ui import admin_ui

router = APIRouter(prefix="/admin/users")
Admin = Annotated[SignedIn, Depends(Allow(Role.ADMIN))]


async def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    users = await asyncio.to_thread(list_users, admin_context(request).engine)
    minimum = admin_ui(request).settings.accounts.min_password_length
    return render(
        request,
        "users.html",
        {"users": users, "roles": ROLES, "min_length": minimum, "error": "", **extra},
        status_code,
    )


@router.get("")
async def users_page(request: Request, person: Admin) -> Response:
    return await _page(request)


@router.post("")
async def create(request: Request, person: Admin) -> Response:
    ui = admin_ui(request)
    try:
        await asyncio.to_thread(
            create_user,
            admin_context(request).engine,
            ui.hashing,
            name=await form_text(request, "name"),
            role=await form_text(request, "role"),
            team=await form_text(request, "team") or None,
            password=str((await request.form()).get("password") or ""),
            min_password_length=ui.settings.accounts.min_password_length,
            actor=person.actor,
        )
    except UserExists as exc:
        return await _page(request, 409, error=f"{exc} Choose another name.")
    except AccountError as exc:
        return await _page(request, 400, error=f"The account was not created: {exc}")
    return redirect("/admin/users", "user_created")


@router.post("/{name}")
async def change(name: str, request: Request, person: Admin) -> Response:
    ui = admin_ui(request)
    status = await form_text(request, "status")
    password = str((await request.form()).get("password") or "")
    update = UserChange(
        role=await form_text(request, "role") or None,
        team=await form_text(request, "team"),
        disabled={"disabled": True, "active": False}.get(status),
        password=password or None,
    )
    if name == person.name and (update.disabled or (update.role and update.role != Role.ADMIN.value)):
        return await _page(request, 400, error="You cannot disable your own account or take away your own admin role.")
    try:
        await asyncio.to_thread(
            change_user,
            admin_context(request).engine,
            ui.hashing,
            name,
            update,
            actor=person.actor,
            min_password_length=ui.settings.accounts.min_password_length,
        )
    except UnknownUser as exc:
        raise PageError(404, "No such account", str(exc), back="/admin/users") from None
    except AccountError as exc:
        return await _page(request, 400, error=f"Nothing was changed: {exc}")
    return redirect("/admin/users", "user_changed")
