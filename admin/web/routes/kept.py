"""A form sent after the session expired, shown to its person once they are signed in again, to
send (with the new session's CSRF token) or to discard. Nobody else can open it."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.kept_forms import KeptFormNotFound, forget_form, kept_form
from admin.accounts.sessions import SignedIn
from admin.context import admin_context
from admin.web.areas import EVERYONE
from admin.web.guard import Allow
from admin.web.pages import PageError, redirect, render
from admin.web.routes.session import safe_next

router = APIRouter(prefix="/admin/kept")
Anyone = Annotated[SignedIn, Depends(Allow(*EVERYONE))]
NOT_KEPT = PageError(
    404,
    "Nothing kept for you here",
    "There is no kept form of yours at this address: it was discarded, its hour is over, or it is another person's.",
    "Open the page again and redo the change.",
)


def _shown(fields: list[list[str]]) -> dict[str, str]:
    """The non-empty fields for the person to check, values of a repeated name joined."""
    shown: dict[str, list[str]] = {}
    for name, value in fields:
        if value:
            shown.setdefault(name, []).append(value)
    return {name: ", ".join(values) for name, values in shown.items()}


@router.get("/{form_id}")
async def show(form_id: str, request: Request, person: Anyone) -> Response:
    try:
        kept = await asyncio.to_thread(kept_form, admin_context(request).engine, person.user_id, form_id)
    except KeptFormNotFound:
        raise NOT_KEPT from None
    return render(
        request,
        "kept_form.html",
        {"kept": kept, "action": safe_next(kept.action), "shown": _shown(kept.fields)},
    )


@router.post("/{form_id}/discard")
async def discard(form_id: str, request: Request, person: Anyone) -> Response:
    await asyncio.to_thread(forget_form, admin_context(request).engine, person.user_id, form_id)
    return redirect("/admin", "kept_discarded")
