"""The page shell over HTTP: cookie flags, CSRF refusals, security headers, escaping, confirmations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from admin.web.middleware import CONTENT_SECURITY_POLICY
from filters.review_crypto import AnswerCipher
from filters.review_store import NewReview, create_review_item
from tests.admin.support import csrf_token, sign_in

XSS = 'Hello <script>alert("owned")</script> and <img src=x onerror="alert(1)"> contact evil@example.com'


def review_with(engine: Engine, review_key: str, answer: str) -> str:
    start = answer.index("evil@example.com")
    item = create_review_item(
        engine,
        AnswerCipher([review_key]),
        NewReview(
            request_id="req-xss",
            team_id=1,
            team="support",
            key_id=1,
            key_prefix="sk-gw-test0000",
            model="gpt-test",
            action="block",
            filters=["pii"],
            findings=[
                {
                    "filter": "pii",
                    "type": "EMAIL_ADDRESS",
                    "start": start,
                    "end": start + 16,
                    "score": 1.0,
                    "action": "block",
                }
            ],
            original=answer,
            delivered="",
        ),
        timedelta(hours=4),
    )
    return item.id


def test_the_session_cookie_is_httponly_samesite_and_scoped_to_admin(make_client: Callable[[], TestClient]) -> None:
    response = sign_in(make_client(), "viewer")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("gw_admin_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain HTTP from an untrusted peer: a Secure cookie would never come back


def test_pages_carry_the_security_headers(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "viewer")
    headers = client.get("/admin/prompts").headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"


def test_pages_over_tls_carry_hsts_and_plain_http_pages_do_not(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    over_tls = client.get("https://127.0.0.1/admin/login")
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "strict-transport-security" not in client.get("/admin/login").headers


def test_a_form_without_the_csrf_token_is_refused(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "admin")
    response = client.post("/admin/teams", data={"name": "csrf-victim"})
    assert response.status_code == 403 and "security token" in response.text
    assert "csrf-victim" not in client.get("/admin/teams").text


def test_a_form_with_another_sessions_token_is_refused(make_client: Callable[[], TestClient]) -> None:
    attacker, victim = make_client(), make_client()
    sign_in(attacker, "admin")
    sign_in(victim, "admin")
    response = victim.post("/admin/teams", data={"name": "csrf-forged", "csrf_token": csrf_token(attacker)})
    assert response.status_code == 403


def test_the_json_api_with_a_session_needs_the_csrf_header_for_changes(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "admin")
    assert client.get("/admin/api/teams").status_code == 200
    assert client.post("/admin/api/teams", json={"name": "api-no-csrf"}).status_code == 403
    response = client.post(
        "/admin/api/teams", json={"name": "api-with-csrf"}, headers={"x-csrf-token": csrf_token(client)}
    )
    assert response.status_code == 201


def test_an_answer_with_markup_is_shown_as_text(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine], review_key: str
) -> None:
    review_id = review_with(ui_database[1], review_key, XSS)
    client = make_client()
    sign_in(client, "reviewer")
    page = client.get(f"/admin/review/{review_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in page and "onerror=&#34;alert(1)&#34;" in page
    assert '<mark title="pii: EMAIL_ADDRESS 1.00" data-phrase="evil@example.com">evil@example.com</mark>' in page


def test_a_decision_is_recorded_with_the_reviewers_name_and_confirmed(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine], review_key: str
) -> None:
    review_id = review_with(ui_database[1], review_key, XSS)
    client = make_client()
    sign_in(client, "reviewer")
    response = client.post(
        f"/admin/review/{review_id}/decision",
        data={"decision": "reject", "note": "leaks an address", "csrf_token": csrf_token(client)},
    )
    # The next item of the same queue (the pending one) opens, or the queue when none is left.
    assert response.status_code == 303
    assert re.fullmatch(r"/admin/review(/rev_\w+)?\?status=pending&done=decided(_last)?", response.headers["location"])
    assert "The decision was recorded" in client.get(response.headers["location"]).text
    detail = client.get(f"/admin/review/{review_id}").text
    assert "user:reviewer" in detail and "review.reject" in detail and "decided items cannot be changed" in detail


def test_escalating_needs_a_note(
    make_client: Callable[[], TestClient], ui_database: tuple[str, Engine], review_key: str
) -> None:
    review_id = review_with(ui_database[1], review_key, XSS)
    client = make_client()
    sign_in(client, "reviewer")
    response = client.post(
        f"/admin/review/{review_id}/decision", data={"decision": "escalate", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 400 and "needs a note" in response.text


def test_a_new_key_is_shown_once_after_a_redirect(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/teams")
    client.post("/admin/teams", data={"name": "once", "csrf_token": token})
    created = client.post(
        "/admin/keys", data={"team": "once", "budget_usd": "25", "period": "month", "rpm": "60", "csrf_token": token}
    )
    assert created.status_code == 303 and "sk-gw-" not in created.text
    shown = client.get(created.headers["location"])
    assert shown.status_code == 200 and "shown <strong>only once</strong>" in shown.text
    secret = shown.text.split('<code id="new-key">')[1].split("</code>")[0]
    assert secret.startswith("sk-gw-")
    listing = client.get("/admin/teams").text
    assert secret not in listing and secret[:14] in listing and "$25.00/month" in listing and "60 rpm" in listing


def test_the_new_key_page_never_shows_the_key_twice(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    sign_in(client, "admin")
    token = csrf_token(client, "/admin/teams")
    client.post("/admin/teams", data={"name": "twice", "csrf_token": token})
    created = client.post("/admin/keys", data={"team": "twice", "csrf_token": token})
    first = client.get(created.headers["location"])
    again = client.get(created.headers["location"])
    assert 'id="new-key"' in first.text
    assert 'id="new-key"' not in again.text and "already shown once" in again.text


def test_a_wrong_password_says_what_to_do(make_client: Callable[[], TestClient]) -> None:
    response = sign_in(make_client(), "viewer", "not the password")
    assert response.status_code == 401 and "Check both and try again" in response.text


def test_next_never_leads_off_the_admin_ui(make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    page = client.get("/admin/login", params={"next": "//evil.example/admin"}).text
    assert 'name="next" value="/admin"' in page
