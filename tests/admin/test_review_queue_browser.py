"""A reviewer works a queue of a few pages in headless Chromium: the next item of the same filtered
queue after a decision, search, page jumps, bulk decisions, the checks before a decision is sent,
the prompt, and the toxic words marked."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.engine import Engine

from filters.review_store import get_review_item
from gateway.core.audit import list_audit_entries
from tests.admin.queue_seed import NEEDLE_KEY, NEEDLE_PROMPT, NEEDLE_REQUEST, QueueSeed
from tests.admin.support import sign_in_page
from tests.helpers.gateway_process import GatewayProcess

pytestmark = pytest.mark.browser
OpenQueueBrowser = Callable[..., BrowserContext]
QueueGateway = tuple[GatewayProcess, Engine, QueueSeed]


def reviewer_page(open_queue_browser: OpenQueueBrowser, javascript: bool = True) -> Page:
    page = open_queue_browser(javascript).new_page()
    sign_in_page(page, "rita")
    return page


def item_links(page: Page) -> list[str]:
    return [link.inner_text() for link in page.locator("#queue tbody td:nth-child(3) a").all()]


def test_a_decision_opens_the_next_item_of_the_same_filtered_queue(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    _, engine, seeded = queue_gateway
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review?team=research")
    page.get_by_role("link", name=seeded.research[0]).click()
    page.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page).to_have_url(re.compile(rf"/admin/review/{seeded.research[1]}\?.*team=research"))
    expect(page.locator(".notice")).to_contain_text("The decision was recorded")
    expect(page.locator("#back-to-queue")).to_have_attribute("href", re.compile("team=research"))
    assert get_review_item(engine, seeded.research[0]).status == "approved"


def test_search_finds_items_by_their_words(open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review")
    page.fill("#search", "Zebra QUARTZ")
    page.get_by_role("button", name="Show").click()
    assert item_links(page) == [queue_gateway[2].needle]
    expect(page.locator("#queue")).to_contain_text(NEEDLE_PROMPT)


@pytest.mark.parametrize("search", [NEEDLE_REQUEST, NEEDLE_KEY])
def test_search_finds_an_item_by_request_id_or_key_prefix(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway, search: str
) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review")
    page.fill("#search", search)
    page.get_by_role("button", name="Show").click()
    assert item_links(page) == [queue_gateway[2].needle]


def test_a_reviewer_jumps_to_the_last_page_and_to_any_page(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review?team=support")
    page.get_by_role("link", name="Last »").click()
    expect(page.locator(".pager span")).to_have_text(re.compile(r"Page 3 of 3"))
    expect(page).to_have_url(re.compile("team=support"))
    page.fill(".pager input[name=page]", "2")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".pager span")).to_have_text(re.compile(r"Page 2 of 3"))


def test_rows_show_the_prompt_and_the_answer(open_queue_browser: OpenQueueBrowser) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review?team=support")
    first = page.locator("#queue tbody tr").first
    expect(first.locator(".prompt-snippet")).to_have_text("Routine question 0 about invoices?")
    expect(first.locator(".answer-snippet")).to_have_text("Routine answer 0 about invoices.")


def test_bulk_reject_with_one_note_decides_each_selected_item(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    _, engine, seeded = queue_gateway
    chosen = seeded.routine[-3:]  # on the last page, which no other test decides
    page = reviewer_page(open_queue_browser)
    page.goto("/admin/review?team=support&page=3")
    for review_id in chosen:
        page.get_by_label(f"Select {review_id}").check()
    page.fill("#bulk-note", "duplicates of one incident")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator(".notice")).to_contain_text("The decisions were recorded")
    expect(page).to_have_url(re.compile("team=support"))
    for review_id in chosen:
        item = get_review_item(engine, review_id)
        assert (item.status, item.note, item.reviewer) == ("rejected", "duplicates of one incident", "user:rita")
        entries = [(e.action, e.actor, e.details) for e in list_audit_entries(engine, target=review_id)]
        assert ("review.reject", "user:rita", {"note": "duplicates of one incident"}) in entries


def test_bulk_without_a_note_shows_the_queue_again_with_the_message(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    review_id = queue_gateway[2].routine[100]
    page = reviewer_page(open_queue_browser, javascript=False)  # the server's own check
    page.goto("/admin/review?team=support&page=3")
    page.get_by_label(f"Select {review_id}").check()
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator("#bulk-error")).to_have_text(re.compile("Write a note"))
    expect(page.get_by_label(f"Select {review_id}")).to_be_checked()
    assert get_review_item(queue_gateway[1], review_id).status == "pending"


def test_escalate_without_a_note_asks_for_it_in_the_page(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    review_id = queue_gateway[2].routine[10]
    page = reviewer_page(open_queue_browser)
    page.goto(f"/admin/review/{review_id}")
    page.get_by_role("button", name=re.compile("^Escalate")).click()
    expect(page.locator("#decision-check")).to_have_text(re.compile("needs a note"))
    expect(page.locator("#note")).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/admin/review/{review_id}$"))


def test_escalate_without_a_note_and_without_script_shows_the_form_again(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    review_id = queue_gateway[2].routine[11]
    page = reviewer_page(open_queue_browser, javascript=False)
    page.goto(f"/admin/review/{review_id}")
    page.fill("#phrase", "kept phrase")
    page.get_by_role("button", name=re.compile("^Escalate")).click()
    expect(page.locator("#decision-error")).to_have_text(re.compile("needs a note"))
    expect(page.locator("#phrase")).to_have_value("kept phrase")
    assert get_review_item(queue_gateway[1], review_id).status == "pending"


def test_the_item_page_shows_the_prompt(open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto(f"/admin/review/{queue_gateway[2].needle}")
    expect(page.locator("#prompt")).to_contain_text("Be brief.")
    expect(page.locator("#prompt")).to_contain_text(NEEDLE_PROMPT)


def test_toxicity_marks_only_the_words_that_carried_the_score(
    open_queue_browser: OpenQueueBrowser, queue_gateway: QueueGateway
) -> None:
    page = reviewer_page(open_queue_browser)
    page.goto(f"/admin/review/{queue_gateway[2].toxic}")
    marked = {text.lower() for text in page.locator("#answer mark").all_inner_texts()}
    assert marked == {"stupid", "idiot", "crap"}
    expect(page.locator("#answer mark").first).to_have_attribute("title", re.compile("toxicity: profanity"))
