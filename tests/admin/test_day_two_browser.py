"""The little things of every admin page, in Chromium: the 404 page, the skip link, a name for
every input, a phone's width, what waits on the home page, monitored rules, the prompt's SDK call."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.admin.day_two_seed import AS_OF, PROMPT, DayTwo
from tests.admin.support import sign_in_page
from tests.helpers.gateway_process import GatewayProcess

pytestmark = pytest.mark.browser
OpenBrowser = Callable[..., BrowserContext]
PHONE = {"width": 390, "height": 844}
# Every page an admin can open on this branch (the review item is found from the queue).
PAGES = (
    "/admin",
    "/admin/review",
    "/admin/teams",
    "/admin/users",
    "/admin/audit",
    f"/admin/finance?preset=quarter&as_of={AS_OF.isoformat()}",
    f"/admin/finance?preset=month&as_of={AS_OF.isoformat()}&breakdown=model",
    f"/admin/finance?preset=month&as_of={AS_OF.isoformat()}&breakdown=user",
    "/admin/prompts",
    "/admin/prompts/new",
    f"/admin/prompts/{PROMPT}",
    "/admin/policies",
    "/admin/use-cases",
    "/admin/use-cases/new",
    "/admin/models",
    "/admin/models/gpt-test",
    "/admin/kpis",
    "/admin/no-such-page",
)
UNNAMED_INPUTS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby') && !el.title)
  .map(el => el.outerHTML.slice(0, 160))"""


def signed_in(open_day_two: OpenBrowser, name: str, **options: object) -> Page:
    page = open_day_two(**options).new_page()
    sign_in_page(page, name)
    return page


def every_page(page: Page) -> list[str]:
    page.goto("/admin/review")
    item = page.locator("a[href^='/admin/review/']").first.get_attribute("href")
    assert item
    return [*PAGES, item]


def test_an_unknown_admin_address_answers_the_html_404_page(open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, "admin")
    response = page.goto("/admin/no-such-page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("h1")).to_have_text("No such page")
    expect(page.locator("nav[aria-label=Areas]")).to_be_visible()


def test_an_unknown_api_address_still_answers_json(day_two_gateway: tuple[GatewayProcess, DayTwo]) -> None:
    response = httpx.get(f"{day_two_gateway[0].root_url}/admin/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_url"


def test_the_skip_link_is_the_first_stop_and_leads_to_the_main_content(open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, "finance")
    page.goto("/admin/finance")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_every_input_on_every_page_has_an_accessible_name(open_day_two: OpenBrowser) -> None:
    login = open_day_two().new_page()
    login.goto("/admin/login")
    assert login.evaluate(UNNAMED_INPUTS) == []
    page = signed_in(open_day_two, "admin")
    unnamed = {}
    for path in every_page(page):
        page.goto(path)
        expect(page.locator("a.skip")).to_have_attribute("href", "#main")
        unnamed[path] = page.evaluate(UNNAMED_INPUTS)
    assert {path: found for path, found in unnamed.items() if found} == {}


def test_no_page_scrolls_sideways_on_a_390_px_phone(open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, "admin", viewport=PHONE)
    widths = {}
    for path in every_page(page):
        response = page.goto(path)
        assert response is not None and response.status in {200, 404}, path
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    assert {path: width for path, width in widths.items() if width > PHONE["width"]} == {}


@pytest.mark.parametrize(
    ("role", "waiting"),
    [
        ("admin", ["waiting-reviews", "waiting-prompts", "waiting-budgets"]),
        ("reviewer", ["waiting-reviews", "waiting-prompts"]),
        ("finance", ["waiting-budgets"]),
        ("viewer", []),
    ],
)
def test_the_home_page_lists_what_waits_for_each_role(role: str, waiting: list[str], open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, role)
    items = page.locator("#waiting li")
    expect(items).to_have_count(len(waiting))
    assert [items.nth(n).get_attribute("id") for n in range(len(waiting))] == waiting
    if not waiting:
        expect(page.locator("#nothing-waiting")).to_be_visible()


def test_the_home_page_names_what_waits(open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, "admin")
    expect(page.locator("#waiting-reviews")).to_have_text("1 reviews past their sla")
    expect(page.locator("#waiting-prompts")).to_contain_text("1 prompt versions to approve: waiting-note v1")
    expect(page.locator("#waiting-budgets")).to_contain_text("support (team, total)")


def test_a_monitored_rule_is_shown_as_monitor_not_block(open_day_two: OpenBrowser) -> None:
    page = signed_in(open_day_two, "admin")
    page.goto("/admin/policies?days=3650")
    row = page.locator("#firings tbody tr", has_text="no-card-numbers")
    expect(row.locator("td").nth(2)).to_have_text("monitor")
    expect(row.locator("td").nth(3)).to_have_text("monitor (would block)")


def test_the_prompt_page_shows_the_openai_sdk_call(
    open_day_two: OpenBrowser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> None:
    page = signed_in(open_day_two, "viewer")
    page.goto(f"/admin/prompts/{PROMPT}")
    snippet = page.locator("#sdk-snippet").inner_text()
    assert f"OpenAI(base_url='{day_two_gateway[0].root_url}/v1'" in snippet
    assert "extra_body={\"prompt\": {'id': 'welcome-note', 'version': 1, 'variables': {'name': 'example'}}}" in snippet


def test_the_shown_sdk_call_renders_the_prompt_through_the_gateway(
    open_day_two: OpenBrowser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> None:
    page = signed_in(open_day_two, "viewer")
    page.goto(f"/admin/prompts/{PROMPT}")
    snippet = page.locator("#sdk-snippet").inner_text()
    run = subprocess.run(
        [sys.executable, "-c", snippet],
        env={**day_two_gateway[0].env(), "GATEWAY_API_KEY": day_two_gateway[1].api_key},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Mock answer: Write a welcome note for example"
