"""The audit log's search in headless Chromium against a real gateway: an admin filters by a date
range and a person, jumps to the last, any and the first page, and downloads the filtered set as
CSV; a viewer is refused. Entries sit at fixed instants in March 2031, searched by explicit dates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.admin.audit_seed import MARCH, seed_audit_hours
from tests.admin.browser_pages import OpenBrowser, WatchedPage
from tests.admin.seed import UIGateway

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def seeded(ui_gateway: UIGateway) -> None:
    seed_audit_hours(ui_gateway.engine)


def search(page: Page, fields: dict[str, str]) -> None:
    """Fill the search form's fields (by their names) and submit it."""
    page.goto("/admin/audit")
    form = page.get_by_role("form", name="Search the audit log")
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    form.get_by_role("button", name="Search").click()


def first_time(page: Page) -> str:
    return page.locator("#audit tbody tr").first.locator("td").first.inner_text()


def test_an_admin_filters_by_a_date_range_and_a_person(open_browser: OpenBrowser) -> None:
    watched = WatchedPage(open_browser(), "admin")
    page = watched.page
    search(page, {"from": "2031-03-02", "to": "2031-03-02", "actor": "carol"})
    expect(page.locator("#audit-total")).to_contain_text("8 entries match")
    expect(page.locator("#audit tbody tr")).to_have_count(8)
    assert first_time(page) == "2031-03-02 21:00:00"
    expect(page.get_by_label("Actor")).to_have_value("carol")
    assert watched.errors == []


def test_an_admin_jumps_to_the_last_any_and_the_first_page(open_browser: OpenBrowser) -> None:
    page = WatchedPage(open_browser(), "admin").page
    search(page, MARCH)
    expect(page.locator("#audit-total")).to_contain_text("120 entries match")
    jumps = page.get_by_role("navigation", name="Pages")
    jumps.get_by_role("link", name="Last »").click()
    expect(jumps).to_contain_text("Page 3 of 3")
    assert first_time(page) == "2031-03-01 19:00:00"
    jumps.get_by_label("Go to page").fill("2")
    jumps.get_by_role("button", name="Go").click()
    expect(jumps).to_contain_text("Page 2 of 3")
    assert first_time(page) == "2031-03-03 21:00:00"
    jumps.get_by_role("link", name="« First").click()
    expect(jumps).to_contain_text("Page 1 of 3")
    assert first_time(page) == "2031-03-05 23:00:00"
    expect(page.get_by_label("From (UTC)")).to_have_value(MARCH["from"])  # the search survives the jumps


def test_an_admin_downloads_the_filtered_set_as_csv(open_browser: OpenBrowser, tmp_path: Path) -> None:
    page = WatchedPage(open_browser(), "admin").page
    search(page, {**MARCH, "actor": "dave", "action": "review."})
    expect(page.locator("#audit-total")).to_contain_text("40 entries match")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "audit-2031-03-01-2031-03-31.csv"
    rows = list(csv.DictReader(saved.open(newline="")))
    assert len(rows) == 40 and {row["actor"] for row in rows} == {"user:dave"}
    assert all(row["action"].startswith("review.") for row in rows)


def test_a_bad_date_is_explained_on_the_page(open_browser: OpenBrowser) -> None:
    page = WatchedPage(open_browser(), "admin").page
    response = page.goto("/admin/audit?from=2031-03-05&to=2031-03-01")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_have_text("from must be before to.")


def test_a_viewer_is_refused_the_audit_log_and_its_csv(open_browser: OpenBrowser) -> None:
    page = WatchedPage(open_browser(), "viewer").page
    expect(page.get_by_role("navigation", name="Areas").get_by_role("link", name="Audit log")).to_have_count(0)
    response = page.goto("/admin/audit")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Not open to your role")
    assert page.request.get("/admin/audit.csv?from=2031-03-01").status == 403
