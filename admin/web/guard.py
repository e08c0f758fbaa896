"""The role check every page and action runs on the server, and the CSRF check of every form.

Each route declares `Depends(Allow(Role.…))`; a test walks the app's routes and fails for any
/admin route without one (or an explicit place on the public list).
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request

from admin.accounts.sessions import ExpiredSession, SignedIn
from admin.context import SAFE_METHODS, Role, session_person

CSRF_FIELD = "csrf_token"
# Where the middleware leaves the session that timed out, when the cookie names one.
EXPIRED_SCOPE_KEY = "admin.expired_session"


class SignInRequired(Exception):
    """Nobody is signed in (or the session ended); `next` is where to return after signing in,
    `expired` whether the cookie named a session that timed out."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        super().__init__("sign in required")
        self.next_path = next_path
        self.expired = expired


class FormAfterExpiry(Exception):
    """A form of its own page, sent by the person whose session has just timed out: to be kept for
    them (admin.accounts.kept_forms) rather than lost."""

    def __init__(self, expired: ExpiredSession, action: str, fields: list[tuple[str, str]]) -> None:
        super().__init__("form sent after the session expired")
        self.expired = expired
        self.action = action
        self.fields = fields


class RoleRefused(Exception):
    """The signed-in person's role may not open this page or take this action."""

    def __init__(self, role: Role) -> None:
        super().__init__(f"role {role.value} refused")
        self.role = role


class CsrfRefused(Exception):
    """A state-changing form without the session's CSRF token (a forged or stale form)."""


def signed_in(request: Request) -> SignedIn | None:
    person = session_person(request)
    assert person is None or isinstance(person, SignedIn)
    return person


def expired_session(request: Request) -> ExpiredSession | None:
    expired = request.scope.get(EXPIRED_SCOPE_KEY)
    return expired if isinstance(expired, ExpiredSession) else None


async def _form_to_keep(request: Request, expired: ExpiredSession) -> list[tuple[str, str]] | None:
    """The form's text fields if it carries the expired session's CSRF token; else None (a forged
    form, a file upload, or not a form at all is never kept)."""
    try:
        form = await request.form()
    except Exception:  # an unreadable body is not a form anyone can send again
        return None
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expired.csrf_token.encode()):
        return None
    fields = []
    for name, value in form.multi_items():
        if not isinstance(value, str):
            return None
        if name != CSRF_FIELD:
            fields.append((name, value))
    return fields


async def check_csrf(request: Request, person: SignedIn) -> None:
    """Compare the form's csrf_token with the session's, in constant time."""
    form = await request.form()  # Starlette caches the parsed form for the route to read again
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), person.csrf_token.encode()):
        raise CsrfRefused()


class Allow:
    """A FastAPI dependency: the signed-in person if their role is one of `roles` (admins always are);
    for POST and other unsafe methods, the form's CSRF token must match the session's too."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles) | {Role.ADMIN}

    async def __call__(self, request: Request) -> SignedIn:
        person = signed_in(request)
        if person is None:
            expired = expired_session(request)
            if request.method in SAFE_METHODS:
                query = f"?{request.url.query}" if request.url.query else ""
                raise SignInRequired(request.url.path + query, expired is not None)
            fields = await _form_to_keep(request, expired) if expired is not None else None
            if expired is not None and fields is not None:
                raise FormAfterExpiry(expired, request.url.path, fields)
            raise SignInRequired("/admin", expired is not None)
        if person.role not in self.roles:
            raise RoleRefused(person.role)
        if request.method not in SAFE_METHODS:
            await check_csrf(request, person)
        return person

    def __repr__(self) -> str:
        return f"Allow({', '.join(sorted(role.value for role in self.roles))})"


async def form_text(request: Request, name: str, default: str = "") -> str:
    """One text field of the posted form, stripped ('' when absent or not text)."""
    value: Any = (await request.form()).get(name)
    return value.strip() if isinstance(value, str) else default
