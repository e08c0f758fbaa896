"""Showing a new key exactly once after a redirect, so that reloading the page never creates a second key.

The form's POST creates the key and answers 303 with the secret in a cookie: encrypted with the
gateway's review cipher, HttpOnly, limited to the one page that shows it, bound to the session,
and alive for minutes. That page deletes the cookie as it shows the key, so a reload (or any second
visit) finds none and says the key was already shown. The database never holds the secret.
"""

from __future__ import annotations

import json
import time

from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import admin_context
from admin.web.network import is_https
from admin.web.ui import admin_ui
from filters.review_crypto import UndecryptableAnswer

COOKIE_NAME = "gw_new_key"
REVEAL_SECONDS = 600  # long enough to follow the redirect on a slow link, short enough to go stale


def reveal_path(prefix: str) -> str:
    return f"/admin/keys/{prefix}/created"


def hand_over(request: Request, response: Response, person: SignedIn, prefix: str, secret: str) -> None:
    """Put the new key in the cookie that its one-time page reads."""
    payload = json.dumps({"prefix": prefix, "secret": secret, "session": person.session_id, "at": time.time()})
    token = admin_context(request).cipher.encrypt(payload).decode("ascii")
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=REVEAL_SECONDS,
        path=reveal_path(prefix),
        httponly=True,
        samesite="strict",
        secure=is_https(request, admin_ui(request).settings.trusted_proxies),
    )


def handed_over(request: Request, person: SignedIn, prefix: str) -> str | None:
    """The key handed over for this prefix in this session, if its cookie came along and is fresh.
    The page that shows it must `spend` the cookie on its response."""
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    try:
        payload = json.loads(admin_context(request).cipher.decrypt(token.encode("ascii")))
    except (UndecryptableAnswer, ValueError, UnicodeEncodeError):
        return None
    fresh = time.time() - float(payload.get("at", 0)) < REVEAL_SECONDS
    if payload.get("prefix") != prefix or payload.get("session") != person.session_id or not fresh:
        return None
    secret = payload.get("secret")
    return secret if isinstance(secret, str) else None


def spend(response: Response, prefix: str) -> None:
    """Delete the cookie: the key is not shown again."""
    response.delete_cookie(COOKIE_NAME, path=reveal_path(prefix), httponly=True, samesite="strict")
