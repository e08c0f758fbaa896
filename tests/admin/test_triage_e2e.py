"""A reviewer triages, in the browser, an answer a real request flagged, blocklists a phrase from
it, and the gateway blocks the next answer with that phrase."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from openai import OpenAI
from playwright.sync_api import BrowserContext, expect

from tests.admin.seed import UIGateway
from tests.admin.test_browser import shot, signed_in_page
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.browser


def test_reviewer_blocklists_a_phrase_from_a_flagged_answer_and_the_next_answer_is_blocked(
    open_browser: Callable[[], BrowserContext], ui_gateway: UIGateway, artifacts: Path
) -> None:
    key = ui_gateway.process.create_key("triage")
    client = OpenAI(base_url=ui_gateway.process.base_url, api_key=key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "this damn printer ate codename falcon-nine"}]
    )
    assert raw.parse().choices[0].finish_reason == "stop"  # flagged, so delivered
    review_id = raw.headers["x-gateway-review-id"]
    stored = httpx.get(
        f"{ui_gateway.process.root_url}/admin/api/review/{review_id}",
        headers={"Authorization": "Bearer admin-test-key"},
    )
    assert stored.status_code == 200, stored.text  # stored before its id was handed out

    page = signed_in_page(open_browser, "reviewer")
    page.goto("/admin/review?status=pending")
    page.get_by_role("link", name=re.compile(review_id)).click()
    expect(page.locator("body")).to_contain_text("codename falcon-nine")
    page.fill("#phrase", "falcon-nine")
    shot(page, artifacts, "triage-before-decision")
    page.get_by_role("button", name=re.compile("Reject and blocklist")).click()
    expect(page.locator(".notice")).to_contain_text("The decision was recorded")

    def blocked() -> bool:
        answer = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "status of Falcon-Nine?"}]
        )
        return answer.choices[0].finish_reason == "content_filter"

    wait_until(blocked, timeout=10, interval=0.2, waiting_for="the blocklisted phrase to be blocked")
