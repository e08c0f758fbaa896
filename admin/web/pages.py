"""Rendering pages: the shared template context, error pages, and the redirects after an action."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin.accounts.kept_forms import keep_form
from admin.context import admin_context
from admin.web.areas import areas_for
from admin.web.guard import CsrfRefused, FormAfterExpiry, RoleRefused, SignInRequired, signed_in
from admin.web.ui import admin_ui

# Confirmations shown after an action; the redirect names one by key, so a link cannot inject text.
NOTICES = {
    "signed_out": "You are signed out.",
    "decided": "The decision was recorded. The next item in the queue is below.",
    "decided_last": "The decision was recorded. No other item matches these filters.",
    "bulk_decided": "The decisions were recorded, each with your note in the item's history.",
    "kept_discarded": "The kept form was discarded; nothing was changed.",
    "team_created": "The team was created. Create a key for it below.",
    "key_revoked": "The key was revoked: every gateway process refuses it from now on.",
    "team_saved": "The team was saved: every gateway process uses the change from now on.",
    "key_saved": "The key was saved: every gateway process uses the change from now on.",
    "user_created": "The account was created. Give the person their password through a private channel.",
    "user_changed": "The account was changed; its open sessions have ended if the role, status or password changed.",
    "proposed": "The version was proposed and is waiting for a reviewer.",
    "approved": "The version is approved: teams can use it by reference now.",
    "rejected": "The version was rejected; the author sees your reason.",
    "deprecated": "The version is deprecated: it stays readable but can no longer be used.",
    "submitted": "The draft was submitted for review.",
    "use_case_registered": "The use case was registered; it starts in intake.",
    "gate_opened": "The stage change was requested: it takes effect when every role below has approved.",
    "gate_approved": "Your approval was recorded; the gate waits for the other roles.",
    "stage_changed": "The last approval arrived: the use case moved to its new stage.",
    "card_saved": "The model card was saved.",
    "blocklist_added": "The phrase was added: every gateway process blocks it from now on.",
    "blocklist_changed": "The entry was changed: every gateway process applies the change from now on.",
    "blocklist_deleted": "The entry was deleted: no gateway process blocks it now. The audit log keeps what it was.",
}


class PageError(Exception):
    """A page cannot be shown or an action failed: a title, what happened, and what to do next."""

    def __init__(self, status_code: int, title: str, message: str, next_step: str = "", back: str = "/admin") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message
        self.next_step = next_step
        self.back = back


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page with the shared context: who is signed in, their menu, the CSRF token, a notice."""
    person = signed_in(request)
    shared: dict[str, Any] = {
        "person": person,
        "areas": areas_for(person.role) if person else [],
        "csrf_token": person.csrf_token if person else "",
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "path": request.url.path,
    }
    return admin_ui(request).templates.TemplateResponse(
        request, template, {**shared, **(context or {})}, status_code=status_code
    )


def redirect(path: str, done: str | None = None, **query: str) -> RedirectResponse:
    """303 See Other after a form post, so a reload does not post again."""
    params = {key: value for key, value in {**query, "done": done or ""}.items() if value}
    return RedirectResponse(path + ("?" + urlencode(params) if params else ""), status_code=303)


def _login_url(next_path: str, expired: bool) -> str:
    return "/admin/login?next=" + quote(next_path, safe="/") + ("&expired=1" if expired else "")


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(_login_url(exc.next_path, exc.expired), status_code=303)


async def _form_after_expiry(request: Request, exc: Exception) -> Response:
    """Keep the form for its person, then sign in and come back to it (see kept_forms)."""
    assert isinstance(exc, FormAfterExpiry)
    engine = admin_context(request).engine
    form_id = await asyncio.to_thread(keep_form, engine, exc.expired.user_id, exc.action, exc.fields)
    return RedirectResponse(_login_url(f"/admin/kept/{form_id}", True), status_code=303)


async def _role_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleRefused)
    error = PageError(
        403,
        "Not open to your role",
        f"Your role ({exc.role.value}) may not open this page or take this action.",
        "If you need it, ask an admin to change your role. The pages your role may use are listed on the home page.",
    )
    return await _page_error(request, error)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    error = PageError(
        403,
        "The form could not be accepted",
        "The form did not carry this session's security token: it is older than your current sign-in, "
        "or it was sent from another site.",
        "Go back, reload the page, and submit the form again.",
    )
    return await _page_error(request, error)


def wants_page(request: Request) -> bool:
    """A request of the UI's pages (HTML), not of the JSON admin API or the OpenAI endpoints."""
    path = request.url.path
    return path.startswith("/admin") and not path.startswith("/admin/api")


async def not_found_page(request: Request) -> Response:
    """The page for an /admin address that leads nowhere (the JSON API answers its own 404)."""
    error = PageError(
        404,
        "No such page",
        f"There is no page at {request.url.path}.",
        "Check the address, or start again from the home page.",
    )
    return await _page_error(request, error)


async def outage_page(request: Request, headers: dict[str, str]) -> Response:
    error = PageError(
        503,
        "The gateway's database cannot be reached",
        "Nothing was changed, and nothing you saved before is lost.",
        "Wait a few seconds and reload the page.",
    )
    response = await _page_error(request, error)
    response.headers.update(headers)
    return response


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return render(request, "error.html", {"error": exc}, status_code=exc.status_code)


def install_page_errors(app: FastAPI) -> None:
    """Turn the UI's exceptions into pages that say what happened and what to do next."""
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(FormAfterExpiry, _form_after_expiry)
    app.add_exception_handler(RoleRefused, _role_refused)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(PageError, _page_error)
