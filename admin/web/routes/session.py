"""Signing in and out, and the home page that lists the areas a role may enter."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.accounts import devices
from admin.accounts.errors import LoginFailed, LoginThrottled
from admin.accounts.sessions import SignedIn, log_in, log_out
from admin.context import admin_context
from admin.web.areas import EVERYONE
from admin.web.guard import Allow, form_text, signed_in
from admin.web.middleware import COOKIE_NAME, session_token
from admin.web.network import client_ip, is_https
from admin.web.pages import redirect, render
from admin.web.ui import admin_ui
from admin.web.waiting import waiting_for
from gateway.core.models import utcnow

router = APIRouter(prefix="/admin")
# Login forms carry a token matching this cookie (double submit): no one can sign a victim in as themselves.
LOGIN_COOKIE = "gw_admin_login"


def safe_next(value: str) -> str:
    """Only paths inside the UI: `next` must never send a signed-in person to another site."""
    if value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


def _login_page(
    request: Request, error: str = "", status_code: int = 200, name: str = "", next_path: str | None = None
) -> Response:
    """The sign-in form; `next_path` (else the query's `next`) is where a successful sign-in goes."""
    token = secrets.token_urlsafe(24)
    next_path = safe_next(request.query_params.get("next", "") if next_path is None else next_path)
    context = {
        "login_token": token,
        "error": error,
        "name": name,
        "next": next_path,
        "expired": request.query_params.get("expired") == "1",
        "kept": next_path.startswith("/admin/kept/"),
    }
    response = render(request, "login.html", context, status_code=status_code)
    secure = is_https(request, admin_ui(request).settings.trusted_proxies)
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=1800, path="/admin", httponly=True, samesite="strict", secure=secure
    )
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse("/admin", status_code=303)
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    ui = admin_ui(request)
    name = await form_text(request, "name")
    password = (await request.form()).get("password")
    sent_token = await form_text(request, "login_token")
    target = safe_next(await form_text(request, "next"))
    cookie_token = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie_token or not hmac.compare_digest(sent_token.encode(), cookie_token.encode()):
        return _login_page(
            request, "The sign-in form expired. Please enter your name and password again.", 403, name, target
        )
    if not name or not isinstance(password, str) or not password:
        return _login_page(request, "Enter your user name and password.", 400, name, target)
    address = client_ip(request, ui.settings.trusted_proxies)
    try:
        opened = await asyncio.to_thread(
            log_in,
            admin_context(request).engine,
            ui.hashing,
            ui.settings.accounts,
            name=name,
            password=password,
            client_ip=address,
            device_token=request.cookies.get(devices.COOKIE_NAME),
        )
    except LoginThrottled as exc:
        response = _login_page(request, str(exc), 429, name, target)
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    except LoginFailed as exc:
        return _login_page(request, f"{exc} Check both and try again.", 401, name, target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        opened.token,
        max_age=int(ui.settings.accounts.absolute.total_seconds()),
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=is_https(request, ui.settings.trusted_proxies),
    )
    response.set_cookie(
        devices.COOKIE_NAME,
        opened.device_token,
        max_age=devices.MAX_AGE_SECONDS,
        path="/admin/login",
        httponly=True,
        samesite="strict",
        secure=is_https(request, ui.settings.trusted_proxies),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(request: Request, person: Annotated[SignedIn, Depends(Allow(*EVERYONE))]) -> Response:
    token = session_token(request.scope)
    if token:
        await asyncio.to_thread(log_out, admin_context(request).engine, token)
    response = redirect("/admin/login", "signed_out")
    response.delete_cookie(COOKIE_NAME, path="/admin")
    return response


@router.get("")
async def home(request: Request, person: Annotated[SignedIn, Depends(Allow(*EVERYONE))]) -> Response:
    waiting = await asyncio.to_thread(waiting_for, admin_context(request).kpi_stats, person.name, person.role, utcnow())
    return render(request, "home.html", {"waiting": waiting})
