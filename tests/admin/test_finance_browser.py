"""The spend page in Chromium: presets as of a fixed day, filters, breakdowns and CSV downloads,
against hand-computed totals of rows seeded at fixed instants (tests/admin/day_two_seed.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.admin.day_two_seed import AS_OF, DayTwo
from tests.admin.support import sign_in_page
from tests.helpers.gateway_process import GatewayProcess

pytestmark = pytest.mark.browser
OpenBrowser = Callable[..., BrowserContext]
ON = f"as_of={AS_OF.isoformat()}"


def finance_page(open_day_two: OpenBrowser, name: str = "finance") -> Page:
    page = open_day_two().new_page()
    sign_in_page(page, name)
    return page


def summary(page: Page, query: str) -> str:
    response = page.goto(f"/admin/finance?{query}")
    assert response is not None and response.status == 200
    return page.locator("#summary").inner_text()


def download(page: Page, link: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click(link)
    return list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))


# Seeded: $1 on 03-18, $2 on 03-16, $4 on 03-15, $8 on 03-01, $16 on 02-28, $32 on 02-01, $64 on 01-05,
# $128 on 2025-12-31 and $256 on 03-19 (after the as-of day).
@pytest.mark.parametrize(
    ("preset", "total", "requests"),
    [
        ("today", "$1.00", 1),
        ("week", "$3.00", 2),
        ("month", "$15.00", 4),
        ("last_month", "$48.00", 2),
        ("quarter", "$127.00", 7),
        ("30d", "$31.00", 5),
    ],
)
def test_each_preset_totals_exactly_the_rows_of_its_days(
    preset: str, total: str, requests: int, open_day_two: OpenBrowser
) -> None:
    text = summary(finance_page(open_day_two), f"preset={preset}&{ON}")
    assert text.startswith(f"{total} over {requests} requests")


def test_a_preset_link_keeps_the_as_of_day_and_the_filters(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=today&{ON}&team=research")
    page.click("nav.presets >> text=Last month")
    expect(page.locator("#summary")).to_contain_text("$32.00 over 1 requests")
    expect(page.locator("nav.presets a[aria-current=true]").first).to_have_text("Last month")


def test_a_custom_range_counts_its_first_and_last_whole_days(open_day_two: OpenBrowser) -> None:
    text = summary(finance_page(open_day_two), "start=2026-02-28&end=2026-03-01")
    assert text.startswith("$24.00 over 2 requests")


def test_the_team_filter_counts_one_team(open_day_two: OpenBrowser) -> None:
    assert summary(finance_page(open_day_two), f"preset=month&{ON}&team=research").startswith("$12.00")


def test_the_key_filter_counts_one_key(
    open_day_two: OpenBrowser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=month&{ON}")
    page.select_option("select[name=key]", day_two_gateway[1].key_prefixes["support"])
    page.click("form.filters button[type=submit]")
    expect(page.locator("#summary")).to_contain_text("$3.00 over 2 requests")


def test_the_model_filter_counts_one_model(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, "start=2026-01-01&end=2026-03-18")
    page.select_option("select[name=model]", "claude-test")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#summary")).to_contain_text("$10.00 over 2 requests")


def test_keys_are_shown_with_their_team_and_name(
    open_day_two: OpenBrowser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=month&{ON}")
    prefixes = day_two_gateway[1].key_prefixes
    rows = page.locator("#top-keys tbody tr")
    expect(rows.nth(0).locator("td")).to_have_text(["research", f"lab {prefixes['research']}", "2", "30", "$12.00"])
    expect(rows.nth(1).locator("td")).to_have_text(["support", f"helpdesk {prefixes['support']}", "2", "30", "$3.00"])
    expect(page.locator("select[name=key]")).to_contain_text(f"support · helpdesk · {prefixes['support']}")


def test_team_by_day_puts_each_teams_spend_under_its_day(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=week&{ON}&breakdown=team")
    table = page.locator("#split")
    expect(table.locator("thead th")).to_have_text(["Team", "03-16", "03-17", "03-18", "Total"])
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first.locator("th, td")).to_have_text(["support", "$2.00", "", "$1.00", "$3.00"])
    expect(page.locator("figure.chart svg rect[class^=series-]")).to_have_count(2)


def test_model_by_day_puts_each_models_spend_under_its_day(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, "start=2026-03-15&end=2026-03-16&breakdown=model")
    rows = page.locator("#split tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th, td")).to_have_text(["gpt-test", "$4.00", "", "$4.00"])
    expect(rows.nth(1).locator("th, td")).to_have_text(["claude-test", "", "$2.00", "$2.00"])


def test_people_are_listed_from_the_user_field(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=week&{ON}&breakdown=user")
    expect(page.locator("#people tbody tr")).to_have_text(["bob 1 15 $2.00", "ann 1 15 $1.00"], use_inner_text=True)


def test_the_team_by_day_csv_holds_one_row_per_team_and_day(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=month&{ON}")
    rows = download(page, "#csv-team_day")
    assert [(r["day"], r["team_name"], r["requests"], r["cost_usd"]) for r in rows] == [
        ("2026-03-01", "research", "1", "8.000000000"),
        ("2026-03-15", "research", "1", "4.000000000"),
        ("2026-03-16", "support", "1", "2.000000000"),
        ("2026-03-18", "support", "1", "1.000000000"),
    ]


def test_the_model_by_day_csv_follows_the_filters(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=quarter&{ON}&team=support")
    rows = download(page, "#csv-model_day")
    assert [(r["day"], r["model"], r["cost_usd"]) for r in rows] == [
        ("2026-01-05", "gpt-test", "64.000000000"),
        ("2026-02-28", "gpt-test", "16.000000000"),
        ("2026-03-16", "claude-test", "2.000000000"),
        ("2026-03-18", "gpt-test", "1.000000000"),
    ]


def test_the_per_key_csv_names_each_keys_team_and_name(
    open_day_two: OpenBrowser, day_two_gateway: tuple[GatewayProcess, DayTwo]
) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=last_month&{ON}")
    rows = download(page, "#csv-key")
    prefixes = day_two_gateway[1].key_prefixes
    assert [(r["team_name"], r["key_name"], r["key_prefix"], r["cost_usd"]) for r in rows] == [
        ("research", "lab", prefixes["research"], "32.000000000"),
        ("support", "helpdesk", prefixes["support"], "16.000000000"),
    ]


def test_the_per_person_csv_lists_the_user_field(open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two)
    summary(page, f"preset=month&{ON}")
    rows = download(page, "#csv-user")
    assert [(r["end_user"], r["requests"], r["cost_usd"]) for r in rows] == [
        ("bob", "1", "2.000000000"),
        ("ann", "1", "1.000000000"),
    ]


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admin_and_finance_open_the_spend_page(role: str, open_day_two: OpenBrowser) -> None:
    assert summary(finance_page(open_day_two, role), f"preset=today&{ON}").startswith("$1.00")


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_viewer_and_reviewer_are_refused_the_spend_page_and_its_csv(role: str, open_day_two: OpenBrowser) -> None:
    page = finance_page(open_day_two, role)
    for path in ("/admin/finance", "/admin/finance/spend.csv?group_by=team"):
        response = page.goto(path)
        assert response is not None and response.status == 403
        expect(page.locator("h1")).to_have_text("Not open to your role")
