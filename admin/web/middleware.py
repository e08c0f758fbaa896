"""The UI's ASGI middleware for every /admin request: who is signed in, and the security headers.

The session is resolved once here (off the event loop) and left in the request scope, where both
the pages and admin.context.require_role (the JSON API) find it.
"""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin.accounts.sessions import ExpiredSession, resolve_session
from admin.context import SESSION_ERROR_SCOPE_KEY, SIGNED_IN_SCOPE_KEY
from admin.web.guard import EXPIRED_SCOPE_KEY
from admin.web.network import is_https
from gateway.core.outages import UNREACHABLE

COOKIE_NAME = "gw_admin_session"
PREFIX = "/admin"
STATIC_PREFIX = "/admin/static/"
# Only scripts and styles served by the project itself; no inline script, no framing, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")
# Sent only over TLS (RFC 6797 forbids it on plain HTTP); a year, as browsers' preload lists ask.
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def session_token(scope: Scope) -> str | None:
    """The session cookie's value from the raw request headers, if any."""
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is the client's problem: treat as signed out
                return None
            morsel = cookie.get(COOKIE_NAME)
            if morsel is not None and morsel.value:
                return morsel.value
    return None


class AdminUIMiddleware:
    """Resolves the session cookie and adds the security headers to every /admin response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(STATIC_PREFIX)
        token = None if static else session_token(scope)
        state = scope["app"].state
        if token:
            try:
                signed_in = await asyncio.to_thread(
                    resolve_session, state.admin.engine, state.admin_ui.settings.accounts, token
                )
            except UNREACHABLE as error:
                scope[SESSION_ERROR_SCOPE_KEY] = error
            else:
                if isinstance(signed_in, ExpiredSession):
                    scope[EXPIRED_SCOPE_KEY] = signed_in
                elif signed_in is not None:
                    scope[SIGNED_IN_SCOPE_KEY] = signed_in
        tls = is_https(Request(scope), state.admin_ui.settings.trusted_proxies)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [header for header in SECURITY_HEADERS if header[0] not in names]
                if tls:
                    headers.append(HSTS)
                if not static and b"cache-control" not in names:
                    headers.append(NO_STORE)  # pages show secrets (a new key) and personal data
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
