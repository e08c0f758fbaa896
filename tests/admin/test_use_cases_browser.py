"""The use case lifecycle in headless Chromium against a real gateway, with the openai SDK calling
it: register by form, refused in intake, a gate passed by two people, a model card written, allowed
in poc, and the traffic on the KPI dashboard."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.admin.support import ADMIN_KEY, sign_in_page
from tests.helpers.gateway_process import GatewayProcess

pytestmark = pytest.mark.browser


@pytest.fixture()
def person(browser: Browser, registry_gateway: GatewayProcess) -> Iterator[Callable[[str], Page]]:
    """A factory: a page signed in as the named person, in a browser context of its own."""
    contexts: list[BrowserContext] = []

    def open_as(name: str) -> Page:
        context = browser.new_context(base_url=registry_gateway.root_url)
        contexts.append(context)
        page = context.new_page()
        sign_in_page(page, name)
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_a_use_case_goes_from_intake_to_poc_in_the_browser(
    person: Callable[[str], Page], registry_gateway: GatewayProcess, artifacts: Path
) -> None:
    ada = person("ada")
    ada.goto("/admin/use-cases")
    ada.click("text=Register a use case")
    ada.fill("input[name=name]", "Claims summaries")
    ada.select_option("select[name=team]", "support")
    ada.fill("textarea[name=purpose]", "Summarise insurance claims for agents.")
    ada.select_option("select[name=risk_tier]", "high")
    ada.select_option("select[name=data_classification]", "internal")
    ada.select_option("select[name=sponsor]", "bob")
    ada.select_option("select[name=tech_lead]", "ada")
    ada.select_option("select[name=compliance_reviewer]", "alice")
    ada.check("input[name=models][value=gpt-test]")
    ada.click("button:has-text('Register')")
    expect(ada.locator("#stage")).to_have_text("intake")
    use_case = re.search(r"/admin/use-cases/(uc_\w+)", ada.url)
    assert use_case is not None
    use_case_id = use_case.group(1)
    ada.screenshot(path=str(artifacts / "use-case-intake.png"), full_page=True)

    admin = {"authorization": f"Bearer {ADMIN_KEY}"}
    key = httpx.post(
        f"{registry_gateway.root_url}/admin/api/keys", json={"team": "support", "use_case": use_case_id}, headers=admin
    ).json()["key"]
    client = openai.OpenAI(base_url=registry_gateway.base_url, api_key=key, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError, match="is in stage intake"):
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "Summarise claim 42"}])

    bob = person("bob")
    bob.goto("/admin/models/gpt-test")
    bob.select_option("select[name=status]", "approved")
    bob.check("input[name=allowed_data_classifications][value=internal]")
    bob.check("input[name=experimentation]")
    bob.click("button:has-text('Save the card')")
    expect(bob.locator("p.notice")).to_contain_text("The model card was saved")
    bob.goto(f"/admin/use-cases/{use_case_id}")
    bob.select_option("#request-stage select[name=to]", "poc")
    bob.click("#request-stage button")
    expect(bob.locator("#open-gate")).to_contain_text("intake → poc")

    alice = person("alice")
    alice.goto(f"/admin/use-cases/{use_case_id}")
    expect(alice.locator("button:has-text('Approve as ethics_board')")).to_have_count(0)
    alice.check("#open-gate input[name=checked][value='model card reviewed']")
    alice.click("button:has-text('Approve as compliance_reviewer')")
    expect(alice.locator("p.notice")).to_contain_text("waits for the other roles")
    erin = person("erin")
    erin.goto(f"/admin/use-cases/{use_case_id}")
    expect(erin.locator("#checklist li.ticked")).to_contain_text("model card reviewed: ticked by user:alice")
    expect(erin.locator("#checklist li.unticked")).to_contain_text("evaluation attached")
    erin.check("#open-gate input[name=checked][value='evaluation attached']")
    erin.click("button:has-text('Approve as ethics_board')")
    expect(erin.locator("p.notice")).to_contain_text("moved to its new stage")
    expect(erin.locator("#stage")).to_have_text("poc")
    expect(erin.locator("#passed-gates")).to_contain_text("compliance_reviewer: user:alice")
    erin.screenshot(path=str(artifacts / "use-case-poc.png"), full_page=True)

    answer = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "Summarise claim 42"}]
    )
    assert answer.choices[0].message.content == "Mock answer: Summarise claim 42"

    fred = person("fred")
    fred.goto("/admin/kpis?team=support")
    row = fred.locator("#per-use-case tr", has_text="Claims summaries")
    expect(row).to_contain_text("poc")
    expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^[12]$"))  # the refused call and the answered one
    fred.screenshot(path=str(artifacts / "use-case-kpis.png"), full_page=True)
