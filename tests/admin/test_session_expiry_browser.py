"""Sessions that expire without losing work, in headless Chromium: the sign-in page says the
session expired, and a decision sent after the expiry is kept for its person, who sends it again
after signing in; another person signing in on the same browser never sees it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from admin.accounts.models import User, UserSession
from filters.review_store import get_review_item
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from tests.admin.queue_seed import QueueSeed
from tests.admin.support import PASSWORD, sign_in_page
from tests.helpers.gateway_process import GatewayProcess

pytestmark = pytest.mark.browser
OpenQueueBrowser = Callable[..., BrowserContext]
QueueGateway = tuple[GatewayProcess, Engine, QueueSeed]


def expire_sessions_of(engine: Engine, name: str) -> None:
    """What an idle half hour does to `name`'s sessions."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name)).one()
        rows = session.exec(select(UserSession).where(col(UserSession.user_id) == user.id)).all()
        for row in rows:
            row.idle_expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)


def sign_in_again(page: Page, name: str) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_the_sign_in_page_says_the_session_expired(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    page = open_queue_browser().new_page()
    sign_in_page(page, "sam")
    expire_sessions_of(queue_gateway[1], "sam")
    page.goto("/admin/review?team=support")
    expect(page.locator("#expired")).to_contain_text("Your session expired")
    sign_in_again(page, "sam")
    expect(page).to_have_url(re.compile(r"/admin/review\?team=support$"))


def _decide_after_expiry(open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway, review_id: str) -> Page:
    page = open_queue_browser().new_page()
    sign_in_page(page, "rita")
    page.goto(f"/admin/review/{review_id}?team=support")
    expire_sessions_of(queue_gateway[1], "rita")
    page.fill("#note", "spam, sent after a long lunch")
    page.locator("button[value=reject]").click()
    expect(page.locator("#expired")).to_contain_text("the form you sent was kept")
    return page


def test_a_decision_sent_after_expiry_is_applied_after_signing_in_again(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    _, engine, seeded = queue_gateway
    review_id = seeded.routine[50]
    page = _decide_after_expiry(open_queue_browser, queue_gateway, review_id)
    assert get_review_item(engine, review_id).status == "pending"
    sign_in_again(page, "rita")
    expect(page.locator(".kept-note")).to_have_text("spam, sent after a long lunch")
    page.get_by_role("button", name="Send it now").click()
    expect(page.locator(".notice")).to_contain_text("The decision was recorded")
    expect(page).to_have_url(re.compile(r"/admin/review/rev_\w+\?.*team=support"))
    item = get_review_item(engine, review_id)
    assert (item.status, item.reviewer, item.note) == ("rejected", "user:rita", "spam, sent after a long lunch")


def test_a_kept_decision_is_never_shown_to_another_person(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    _, engine, seeded = queue_gateway
    review_id = seeded.routine[51]
    page = _decide_after_expiry(open_queue_browser, queue_gateway, review_id)
    sign_in_again(page, "sam")
    expect(page.locator("h1")).to_have_text("Nothing kept for you here")
    expect(page.locator("body")).not_to_contain_text("long lunch")
    assert get_review_item(engine, review_id).status == "pending"
