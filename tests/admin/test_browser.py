"""The admin UI in headless Chromium against a real gateway process: every role, the review
decisions, the XSS case, CSRF, spend and CSV, the prompt workflow, and a screenshot of each page."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import select

from filters.blocklist_store import StoredBlocklistEntry
from gateway.core.db import session_scope
from tests.admin.seed import UIGateway
from tests.admin.support import ROLE_NAMES, sign_in_page

pytestmark = pytest.mark.browser
OpenBrowser = Callable[[], BrowserContext]
AREAS = {
    "admin": {
        "Review queue",
        "Blocklist",
        "Spend",
        "Prompt library",
        "Use cases",
        "Use case KPIs",
        "Models",
        "Teams and keys",
        "People",
        "Policies",
        "Audit log",
    },
    "reviewer": {"Review queue", "Blocklist", "Prompt library", "Use cases", "Models"},
    "finance": {"Spend", "Prompt library", "Use cases", "Use case KPIs", "Models"},
    "viewer": {"Prompt library", "Use cases", "Models"},
}


def signed_in_page(open_browser: OpenBrowser, name: str) -> Page:
    """A page whose browser signed in as `name`, with CSP violations and script errors collected."""
    page = open_browser().new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    page.errors = errors  # type: ignore[attr-defined]
    sign_in_page(page, name)
    return page


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def page_errors(page: Page) -> list[str]:
    errors: list[str] = page.errors  # type: ignore[attr-defined]
    return errors


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_signs_in_and_sees_only_its_areas(role: str, open_browser: OpenBrowser, artifacts: Path) -> None:
    page = signed_in_page(open_browser, role)
    shown = set(page.locator("header nav a").all_inner_texts())
    assert shown == AREAS[role]
    shot(page, artifacts, f"home-{role}")
    assert page_errors(page) == []


def test_a_wrong_password_is_refused_with_advice(open_browser: OpenBrowser, artifacts: Path) -> None:
    page = open_browser().new_page()
    page.goto("/admin/login")
    page.fill("input[name=name]", "viewer")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Check both and try again")
    shot(page, artifacts, "login-refused")


def test_every_page_renders_for_an_admin_without_script_or_policy_errors(
    open_browser: OpenBrowser, artifacts: Path, ui_gateway: UIGateway
) -> None:
    page = signed_in_page(open_browser, "admin")
    pages = {
        "review-queue": "/admin/review",
        "review-detail": f"/admin/review/{ui_gateway.seeded.xss_review}",
        "teams-and-keys": "/admin/teams",
        "team": "/admin/teams/support",
        "key": f"/admin/keys/{ui_gateway.seeded.key_prefix}",
        "key-revoke": f"/admin/keys/{ui_gateway.seeded.key_prefix}/revoke",
        "people": "/admin/users",
        "audit-log": "/admin/audit",
        "blocklist": "/admin/blocklist",
        "spend": "/admin/finance",
        "prompt-library": "/admin/prompts",
        "prompt-new": "/admin/prompts/new",
        "policies": "/admin/policies",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        expect(page.locator("h1")).to_be_visible()
        shot(page, artifacts, name)
    assert page_errors(page) == []


def test_a_viewer_is_refused_every_state_change(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    page = signed_in_page(open_browser, "viewer")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    review = ui_gateway.seeded.keyboard_review
    changes = [
        (f"/admin/review/{review}/decision", {"decision": "approve"}),
        ("/admin/teams", {"name": "viewer-team"}),
        ("/admin/keys", {"team": "support"}),
        ("/admin/keys/sk-gw-anything/revoke", {}),
        ("/admin/users", {"name": "mallory", "role": "admin", "password": "a long enough password"}),
        ("/admin/users/viewer", {"role": "admin"}),
        ("/admin/prompts", {"name": "viewer-prompt", "user": "hi"}),
        ("/admin/prompts/any/versions", {"user": "hi"}),
        ("/admin/prompts/any/versions/1/approve", {}),
    ]
    for path, form in changes:
        response = page.request.post(path, form={**form, "csrf_token": token or ""}, max_redirects=0)
        assert response.status == 403, f"a viewer was not refused POST {path}: {response.status}"
    api = page.request.post("/admin/api/teams", data={"name": "viewer-api"}, headers={"x-csrf-token": token or ""})
    assert api.status == 403
    page.goto("/admin/prompts")
    expect(page.get_by_text("Propose a new prompt")).to_have_count(0)


def test_an_answer_with_script_and_onerror_shows_as_text(
    open_browser: OpenBrowser, ui_gateway: UIGateway, artifacts: Path
) -> None:
    page = signed_in_page(open_browser, "reviewer")
    page.goto(f"/admin/review/{ui_gateway.seeded.xss_review}")
    answer = page.locator("#answer")
    expect(answer).to_contain_text('<script>alert("xss")</script><img src=x onerror="alert(2)">')
    assert answer.locator("script, img").count() == 0
    expect(answer.locator("mark")).to_have_text("evil@example.com")
    shot(page, artifacts, "review-xss-as-text")
    assert page_errors(page) == []  # no alert dialog, no script error


def test_a_form_stripped_of_its_csrf_token_is_refused(open_browser: OpenBrowser, artifacts: Path) -> None:
    page = signed_in_page(open_browser, "admin")
    page.goto("/admin/teams")
    form = page.locator("form[action='/admin/teams']")
    form.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    page.locator("summary", has_text="Create a team").click()
    form.locator("input[name=name]").fill("forged-team")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("The form could not be accepted")
    shot(page, artifacts, "csrf-refused")
    page.goto("/admin/teams")
    expect(page.locator("#teams")).not_to_contain_text("forged-team")


def test_a_reviewer_rejects_with_a_keyboard_shortcut(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    page = signed_in_page(open_browser, "reviewer")
    page.goto(f"/admin/review/{ui_gateway.seeded.keyboard_review}")
    page.locator("h1").click()  # the focus on the page, not in a field
    page.keyboard.press("r")
    expect(page.locator(".notice")).to_contain_text("The decision was recorded")
    page.goto(f"/admin/review/{ui_gateway.seeded.keyboard_review}")
    expect(page.locator("ol.history")).to_contain_text("user:reviewer review.reject")


def test_reject_and_blocklist_prefills_the_flagged_phrase_and_stores_it(
    open_browser: OpenBrowser, ui_gateway: UIGateway, artifacts: Path
) -> None:
    page = signed_in_page(open_browser, "reviewer")
    page.goto(f"/admin/review/{ui_gateway.seeded.blocklist_review}")
    expect(page.locator("#phrase")).to_have_value("swordfish-42")
    shot(page, artifacts, "review-blocklist")
    page.get_by_role("button", name=re.compile("Reject and blocklist")).click()
    expect(page.locator(".notice")).to_contain_text("The decision was recorded")
    with session_scope(ui_gateway.engine) as session:
        from_review = StoredBlocklistEntry.source_review_id == ui_gateway.seeded.blocklist_review
        entry = session.exec(select(StoredBlocklistEntry).where(from_review)).one()
    assert entry.value == "swordfish-42" and entry.team == "support"


def test_finance_opens_the_spend_page_and_downloads_the_csv(open_browser: OpenBrowser, artifacts: Path) -> None:
    page = signed_in_page(open_browser, "finance")
    page.goto("/admin/finance")
    expect(page.locator(".summary")).to_contain_text("$5.50 over 20 requests")
    expect(page.locator("figure.chart svg rect.bar").last).to_be_visible()
    expect(page.locator("#budgets")).to_contain_text("past the warning threshold")
    shot(page, artifacts, "spend-finance")
    with page.expect_download() as download_info:
        page.click("#csv-day")
    path = download_info.value.path()
    rows = list(csv.DictReader(Path(path).read_text().splitlines()))
    assert len(rows) == 10 and sum(int(row["requests"]) for row in rows) == 20
    assert {row["cost_usd"] for row in rows} == {"0.550000000"}
    assert page_errors(page) == []


def test_an_author_proposes_a_version_and_another_reviewer_approves_it(
    open_browser: OpenBrowser, artifacts: Path
) -> None:
    author = signed_in_page(open_browser, "alice")
    author.goto("/admin/prompts/new")
    author.fill("input[name=name]", "refund-reply")
    author.fill("input[name=description]", "Answer a refund request politely")
    author.fill("input[name=tags]", "support, refunds")
    author.fill("textarea[name=system]", "You are a polite support agent.")
    author.fill("textarea[name=user]", "Write a reply to {{customer}} about order {{order_id}}.")
    author.fill("textarea[name=variables]", "customer:string\norder_id:integer")
    author.click("button:has-text('Propose')")
    expect(author.locator(".notice")).to_contain_text("waiting for a reviewer")
    expect(author.locator("#versions")).to_contain_text("in review")
    expect(author.locator("#versions")).to_contain_text("another reviewer approves it")  # not their own
    shot(author, artifacts, "prompt-proposed")

    reviewer = signed_in_page(open_browser, "bob")
    reviewer.goto("/admin/prompts")
    reviewer.locator("#waiting a", has_text="refund-reply").click()
    reviewer.get_by_role("button", name="Approve v1").click()
    expect(reviewer.locator(".notice")).to_contain_text("The version is approved")
    expect(reviewer.locator("#versions")).to_contain_text("approved")
    expect(reviewer.locator("#versions")).to_contain_text("user:bob")
    shot(reviewer, artifacts, "prompt-approved")

    viewer = signed_in_page(open_browser, "viewer")
    viewer.goto("/admin/prompts?tag=refunds")
    expect(viewer.locator("#prompts")).to_contain_text("refund-reply")


def test_versions_show_side_by_side_with_their_differences(open_browser: OpenBrowser, artifacts: Path) -> None:
    author = signed_in_page(open_browser, "alice")
    author.goto("/admin/prompts/new")
    author.fill("input[name=name]", "greeting")
    author.fill("textarea[name=user]", "Say hello to {{name}}.")
    author.fill("textarea[name=variables]", "name")
    author.click("button:has-text('Propose')")
    author.locator("summary", has_text="Propose a new version").click()
    author.fill("#propose-version textarea[name=user]", "Say a warm hello to {{name}}.")
    author.click("#propose-version button[type=submit]")
    expect(author.locator("#diff tr.diff-changed")).to_contain_text("Say a warm hello to {{name}}.")
    shot(author, artifacts, "prompt-diff")


def test_signing_out_ends_the_session(open_browser: OpenBrowser) -> None:
    page = signed_in_page(open_browser, "viewer")
    page.click("button:has-text('Sign out')")
    expect(page.locator(".notice")).to_contain_text("You are signed out")
    page.goto("/admin/prompts")
    expect(page).to_have_url(re.compile(r"/admin/login\?next=/admin/prompts"))
