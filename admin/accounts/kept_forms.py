"""Forms sent after a session expired, kept for their person instead of lost.

The form is kept only when it carries the expired session's CSRF token (it came from that person's
own page) and is bound to that person: after signing in again, they and only they see it, and it
is applied only when they send it again with their new session's token. Kept forms last an hour.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, delete

from admin.accounts.models import KeptForm
from gateway.core.db import session_scope
from gateway.core.models import utcnow

KEEP_FOR = timedelta(hours=1)
MAX_FIELDS = 50
MAX_FIELD_CHARS = 10_000


class KeptFormNotFound(Exception):
    """No such kept form for this person (never kept, expired, or someone else's)."""


def keep_form(engine: Engine, user_id: int, action: str, fields: list[tuple[str, str]]) -> str:
    """Keep a form for `user_id`; returns its id (also dropping kept forms whose hour is over)."""
    now = utcnow()
    kept = KeptForm(
        id=secrets.token_urlsafe(24),
        user_id=user_id,
        action=action[:300],
        fields=[[name, value[:MAX_FIELD_CHARS]] for name, value in fields[:MAX_FIELDS]],
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    with session_scope(engine) as session:
        session.exec(delete(KeptForm).where(col(KeptForm.expires_at) <= now))
        session.add(kept)
    return kept.id


def kept_form(engine: Engine, user_id: int, form_id: str) -> KeptForm:
    """The kept form `form_id` if it is `user_id`'s and not expired; else KeptFormNotFound."""
    with session_scope(engine) as session:
        kept = session.get(KeptForm, form_id)
    if kept is None or kept.user_id != user_id:
        raise KeptFormNotFound(form_id)
    expires = kept.expires_at if kept.expires_at.tzinfo else kept.expires_at.replace(tzinfo=utcnow().tzinfo)
    if expires <= utcnow():
        raise KeptFormNotFound(form_id)
    return kept


def forget_form(engine: Engine, user_id: int, form_id: str) -> None:
    """Drop `user_id`'s kept form `form_id` (nothing happens for another person's)."""
    with session_scope(engine) as session:
        session.exec(delete(KeptForm).where(col(KeptForm.id) == form_id, col(KeptForm.user_id) == user_id))
