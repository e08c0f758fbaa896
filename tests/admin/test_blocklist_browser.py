"""The blocklist page in headless Chromium against a real gateway: an admin lists, searches,
changes the scope, disables and deletes (confirmed on a page of its own, without JavaScript);
a viewer is refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from gateway.core import keys
from tests.admin.browser_pages import OpenBrowser, WatchedPage
from tests.admin.seed import UIGateway
from tests.admin.support import ADMIN_KEY, sign_in_page

pytestmark = pytest.mark.browser
BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module", autouse=True)
def research_team(ui_gateway: UIGateway) -> None:
    keys.create_team(ui_gateway.engine, "research")


def api(gateway: UIGateway, method: str, path: str = "", **kwargs: Any) -> httpx.Response:
    url = f"{gateway.process.root_url}/admin/api/blocklist{path}"
    return httpx.request(method, url, headers=BEARER, timeout=30, **kwargs)


def add(gateway: UIGateway, phrase: str, team: str | None = "support") -> int:
    response = api(gateway, "POST", json={"phrase": phrase, "team": team})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def stored(gateway: UIGateway, phrase: str) -> list[dict[str, Any]]:
    return list(api(gateway, "GET", params={"q": phrase}).json()["data"])


def test_an_admin_sees_every_entry_with_its_origin_and_searches(
    open_browser: OpenBrowser, ui_gateway: UIGateway
) -> None:
    review = ui_gateway.seeded.keyboard_review
    decided = httpx.post(
        f"{ui_gateway.process.root_url}/admin/api/review/{review}/decision",
        json={"decision": "reject_and_blocklist", "phrase": "swordfish-42", "scope": "global"},
        headers=BEARER,
    )
    assert decided.status_code == 200, decided.text
    add(ui_gateway, "Project Lapwing")
    watched = WatchedPage(open_browser(), "admin")
    page = watched.page
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Blocklist").click()
    expect(page.locator("h1")).to_have_text("Blocklist")
    from_review = page.locator("#blocklist tr", has_text="swordfish-42")
    expect(from_review.locator(".scope")).to_have_text("every team")
    expect(from_review.get_by_role("link", name=review)).to_have_attribute("href", f"/admin/review/{review}")
    expect(page.locator("#blocklist tr", has_text="Project Lapwing")).to_contain_text("admin-key")
    page.get_by_role("searchbox", name="Search").fill("lapwing")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#blocklist tbody tr")).to_have_count(1)
    expect(page.locator("#blocklist tbody tr")).to_contain_text("Project Lapwing")
    assert watched.errors == []


def test_an_admin_moves_an_entry_to_another_team(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    entry_id = add(ui_gateway, "Project Stilt")
    page = WatchedPage(open_browser(), "admin").page
    page.goto("/admin/blocklist?q=Stilt")
    row = page.locator(f"#entry-{entry_id}")
    row.get_by_label("Scope of Project Stilt").select_option(label="research")
    row.get_by_role("button", name="Save scope").click()
    expect(page.locator(".notice")).to_contain_text("The entry was changed")
    expect(page.locator(f"#entry-{entry_id} .scope")).to_have_text("research")
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("Stilt")  # the same search, after the change
    assert [entry["team"] for entry in stored(ui_gateway, "Stilt")] == ["research"]


def test_an_admin_disables_and_enables_an_entry(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    entry_id = add(ui_gateway, "Project Ibis")
    page = WatchedPage(open_browser(), "admin").page
    page.goto("/admin/blocklist?q=Ibis")
    page.locator(f"#entry-{entry_id}").get_by_role("button", name="Disable").click()
    expect(page.locator(f"#entry-{entry_id} .status")).to_have_text("disabled")
    assert [entry["enabled"] for entry in stored(ui_gateway, "Ibis")] == [False]
    page.locator(f"#entry-{entry_id}").get_by_role("button", name="Enable").click()
    expect(page.locator(f"#entry-{entry_id} .status")).to_have_text("enabled")
    assert [entry["enabled"] for entry in stored(ui_gateway, "Ibis")] == [True]


def test_deleting_asks_for_confirmation_on_a_page_without_javascript(browser: Browser, ui_gateway: UIGateway) -> None:
    entry_id = add(ui_gateway, "Project Egret", team=None)
    context = browser.new_context(base_url=ui_gateway.process.root_url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_page(page, "admin")
        page.goto("/admin/blocklist?q=Egret")
        page.locator(f"#entry-{entry_id}").get_by_role("link", name="Delete…").click()
        expect(page.locator("h1")).to_have_text("Delete this blocklist entry?")
        expect(page.locator("dl.facts")).to_contain_text("every team")
        page.get_by_role("link", name="Cancel").click()
        expect(page.locator(f"#entry-{entry_id}")).to_be_visible()
        page.locator(f"#entry-{entry_id}").get_by_role("link", name="Delete…").click()
        page.get_by_role("button", name="Delete for good").click()
        expect(page.locator(".notice")).to_contain_text("The entry was deleted")
        expect(page.locator(f"#entry-{entry_id}")).to_have_count(0)
        assert stored(ui_gateway, "Egret") == []
    finally:
        context.close()


def test_a_viewer_is_refused_the_blocklist(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    entry_id = add(ui_gateway, "Project Rail")
    page = WatchedPage(open_browser(), "viewer").page
    expect(page.get_by_role("navigation", name="Areas").get_by_role("link", name="Blocklist")).to_have_count(0)
    response = page.goto("/admin/blocklist")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Not open to your role")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    for path, form in [
        (f"/admin/blocklist/{entry_id}", {"enabled": "false"}),
        (f"/admin/blocklist/{entry_id}/delete", {}),
        ("/admin/blocklist", {"phrase": "viewer phrase", "scope": "every"}),
    ]:
        refused = page.request.post(path, form={"csrf_token": token, **form}, max_redirects=0)
        assert refused.status == 403, path
    assert [entry["enabled"] for entry in stored(ui_gateway, "Project Rail")] == [True]
    assert stored(ui_gateway, "viewer phrase") == []
