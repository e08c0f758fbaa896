"""Forms sent after the session expired, over HTTP: kept only with the expired session's own CSRF
token, and only ever shown to the person whose session it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from admin.accounts.models import KeptForm, UserSession
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from tests.admin.support import csrf_token, sign_in


def expire_every_session(engine: Engine) -> None:
    with session_scope(engine) as session:
        for row in session.exec(select(UserSession)).all():
            row.idle_expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)


def kept_forms(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(KeptForm)).all())


def test_a_page_opened_after_expiry_goes_to_a_sign_in_that_says_so(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine]
) -> None:
    client = make_client()
    sign_in(client, "reviewer")
    expire_every_session(ui_database[1])
    response = client.get("/admin/review?team=support")
    assert response.status_code == 303 and response.headers["location"].endswith("&expired=1")
    assert "Your session expired" in client.get(response.headers["location"]).text


def test_a_form_without_the_expired_sessions_token_is_not_kept(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine]
) -> None:
    client = make_client()
    sign_in(client, "reviewer")
    expire_every_session(ui_database[1])
    before = kept_forms(ui_database[1])
    response = client.post("/admin/review/rev_x/decision", data={"decision": "approve", "csrf_token": "forged"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/login?next=/admin&expired=1"
    assert kept_forms(ui_database[1]) == before


def test_a_kept_form_opens_for_its_person_only(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine]
) -> None:
    client = make_client()
    sign_in(client, "reviewer")
    token = csrf_token(client)
    expire_every_session(ui_database[1])
    sent = client.post("/admin/review/rev_x/decision", data={"decision": "reject", "note": "n1", "csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/admin/login?next=/admin/kept/")
    kept_at = sent.headers["location"].removeprefix("/admin/login?next=").removesuffix("&expired=1")
    other = make_client()
    sign_in(other, "admin")
    assert other.get(kept_at).status_code == 404
    sign_in(client, "reviewer")
    page = client.get(kept_at)
    assert page.status_code == 200 and 'action="/admin/review/rev_x/decision"' in page.text and "n1" in page.text
