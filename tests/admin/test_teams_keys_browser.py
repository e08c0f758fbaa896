"""Teams and keys in headless Chromium against a real gateway process: editing a team's budget and a
key's name, a new key shown once (a reload creates no second key), revoking only after a
confirmation, sub-cent money, and the warning about a budget smaller than one request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from gateway.core import keys
from gateway.core.db import session_scope
from gateway.ledger.records import UsageRecord
from gateway.limits.admin import set_budget
from tests.admin.seed import UIGateway
from tests.admin.support import sign_in_page

pytestmark = pytest.mark.browser
OpenBrowser = Callable[[], BrowserContext]
# A request's cost inside a fixed month, so the test reads it back by that month, whatever today is.
SPENT_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def admin_page(open_browser: OpenBrowser) -> Page:
    page = open_browser().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]
    sign_in_page(page, "admin")
    return page


def page_errors(page: Page) -> list[str]:
    errors: list[str] = page.errors  # type: ignore[attr-defined]
    return errors


def new_team(ui_gateway: UIGateway, models: list[str] | None = None) -> str:
    name = f"ui-{uuid.uuid4().hex[:8]}"
    keys.create_team(ui_gateway.engine, name, models=models)
    return name


def test_an_admin_edits_a_teams_budget_in_its_form(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    team = new_team(ui_gateway)
    page = admin_page(open_browser)
    page.goto("/admin/teams")
    page.locator("#teams tr", has_text=team).get_by_role("link", name="Edit").click()
    expect(page).to_have_url(re.compile(f"/admin/teams/{team}#limits$"))
    page.fill("#budget_month", "12.5")
    page.fill("input[name=rpm]", "30")
    page.click("#team-edit button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("The team was saved")
    expect(page.locator("#budget_month")).to_have_value("12.5")
    page.goto("/admin/teams")
    expect(page.locator("#teams tr", has_text=team)).to_contain_text("$12.50/month 30 rpm")
    assert page_errors(page) == []


def test_an_admin_renames_a_key_in_its_form(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    team = new_team(ui_gateway)
    prefix = keys.create_key(ui_gateway.engine, team, name="old name").record.prefix
    page = admin_page(open_browser)
    page.goto("/admin/teams")
    page.locator("#keys tr", has_text=prefix).get_by_role("link", name="Edit").click()
    page.fill("input[name=name]", "nightly reports")
    page.click("#key-edit button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("The key was saved")
    page.goto("/admin/teams")
    expect(page.locator("#keys tr", has_text=prefix)).to_contain_text("nightly reports")
    assert page_errors(page) == []


def test_a_new_key_is_shown_once_and_a_reload_creates_no_second_key(
    open_browser: OpenBrowser, ui_gateway: UIGateway
) -> None:
    team = new_team(ui_gateway)
    page = admin_page(open_browser)
    page.goto("/admin/teams")
    page.select_option("select[name=team]", team)
    page.fill("form[action='/admin/keys'] input[name=name]", "reload me")
    page.click("form[action='/admin/keys'] button[type=submit]")
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("sk-gw-")
    expect(page.locator("#copy-key")).to_be_visible()  # the project's script ran
    page.reload()
    expect(page.locator("#already-shown")).to_be_visible()
    expect(page.locator("#new-key")).to_have_count(0)
    assert [key.name for key, _ in keys.list_keys(ui_gateway.engine, team)] == ["reload me"]
    assert page_errors(page) == []


def test_the_copy_button_copies_the_new_key(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    team = new_team(ui_gateway)
    context = open_browser()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in_page(page, "admin")
    page.goto("/admin/teams")
    page.select_option("select[name=team]", team)
    page.click("form[action='/admin/keys'] button[type=submit]")
    page.click("#copy-key")
    expect(page.locator("#copy-done")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#new-key").inner_text()


def test_revoking_a_key_asks_first_and_keeping_it_changes_nothing(
    open_browser: OpenBrowser, ui_gateway: UIGateway
) -> None:
    team = new_team(ui_gateway)
    prefix = keys.create_key(ui_gateway.engine, team).record.prefix
    page = admin_page(open_browser)
    page.goto("/admin/teams")
    row = page.locator("#keys tr", has_text=prefix)
    row.get_by_role("link", name="Revoke…").click()
    expect(page.locator("h1")).to_contain_text(f"Revoke key {prefix}?")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator("#keys tr", has_text=prefix)).to_contain_text("active")
    page.locator("#keys tr", has_text=prefix).get_by_role("link", name="Revoke…").click()
    page.get_by_role("button", name=f"Yes, revoke {prefix}").click()
    expect(page.locator(".notice")).to_contain_text("every gateway process refuses it")
    expect(page.locator("#keys tr", has_text=prefix)).to_contain_text("revoked")
    assert page_errors(page) == []


def test_sub_cent_amounts_read_as_such_on_the_finance_and_teams_pages(
    open_browser: OpenBrowser, ui_gateway: UIGateway
) -> None:
    team = new_team(ui_gateway)
    found = keys.find_team(ui_gateway.engine, team)
    assert found.id is not None
    set_budget(ui_gateway.engine, "team", found.id, "0.0017", "month")
    with session_scope(ui_gateway.engine) as session:
        session.add(
            UsageRecord(
                time=SPENT_AT,
                request_id=f"sub-cent-{team}",
                team_id=found.id,
                team_name=team,
                requested_model="gpt-test",
                prompt_tokens=1200,
                completion_tokens=34,
                total_tokens=1234,
                cost_nanos=1_700_000,
            )
        )
    page = admin_page(open_browser)
    page.goto(f"/admin/finance?start=2026-01-01&end=2026-01-31&team={team}")
    expect(page.locator(".summary")).to_contain_text("$0.0017 over 1 requests and 1,234 tokens")
    expect(page.locator("#spend-teams")).to_contain_text("$0.0017")
    expect(page.locator("#budgets")).to_contain_text("$0.0017")
    page.goto("/admin/teams")
    expect(page.locator("#teams tr", has_text=team)).to_contain_text("$0.0017/month")
    assert "$0.00 " not in page.locator("#teams tr", has_text=team).inner_text()


def test_the_finance_budget_link_opens_the_edit_form(open_browser: OpenBrowser, ui_gateway: UIGateway) -> None:
    page = admin_page(open_browser)
    page.goto("/admin/finance?team=support")
    page.locator("#budgets").get_by_role("link", name=re.compile("support")).click()
    expect(page).to_have_url(re.compile(r"/admin/teams/support#limits$"))
    expect(page.locator("#budget_total")).to_be_editable()


def test_a_budget_smaller_than_one_request_is_warned_about_when_set(
    open_browser: OpenBrowser, ui_gateway: UIGateway
) -> None:
    team = new_team(ui_gateway, models=["claude-test"])
    page = admin_page(open_browser)
    page.goto(f"/admin/teams/{team}")
    expect(page.locator("#budget-warnings")).to_have_count(0)
    page.fill("#budget_month", "0.01")
    page.click("#team-edit button[type=submit]")
    warnings = page.locator("#budget-warnings")
    expect(warnings).to_contain_text(
        "A request to claude-test without max_tokens reserves up to $0.02 (4,096 output tokens at its price), "
        "more than this monthly budget of $0.01"
    )
