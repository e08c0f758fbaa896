"""Through the official openai SDK against a real gateway process: a flagged answer's review item
carries the prompt that produced it, plain and streamed, and is found by a word of that prompt."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI

from tests.admin.seed import UIGateway

ADMIN = {"Authorization": "Bearer admin-test-key"}
PROMPT = "this damn printer ate the quarterly kumquat report"


def review_of(gateway: UIGateway, review_id: str) -> dict[str, object]:
    response = httpx.get(f"{gateway.process.root_url}/admin/api/review/{review_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    item: dict[str, object] = response.json()
    return item


@pytest.fixture(scope="module")
def client(ui_gateway: UIGateway) -> OpenAI:
    return OpenAI(base_url=ui_gateway.process.base_url, api_key=ui_gateway.process.create_key("prompts"), max_retries=0)


def test_a_flagged_answer_review_item_carries_the_prompt(client: OpenAI, ui_gateway: UIGateway) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test",
        messages=[{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": PROMPT}],
    )
    item = review_of(ui_gateway, raw.headers["x-gateway-review-id"])
    assert item["prompt"] == [{"role": "system", "text": "Answer briefly."}, {"role": "user", "text": PROMPT}]


def test_a_flagged_streamed_answer_review_item_carries_the_prompt(client: OpenAI, ui_gateway: UIGateway) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT + " again"}], stream=True
    ) as response:
        review_id = None
        for line in response.iter_lines():
            if '"gateway_review_id"' in line:
                review_id = line.split('"gateway_review_id":"')[1].split('"')[0]
    assert review_id is not None
    assert review_of(ui_gateway, review_id)["prompt"] == [{"role": "user", "text": PROMPT + " again"}]


def test_the_review_item_is_found_by_a_word_of_its_prompt(client: OpenAI, ui_gateway: UIGateway) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "this damn printer ate the quarterly rutabaga report"}]
    )
    found = httpx.get(f"{ui_gateway.process.root_url}/admin/api/review", params={"q": "Rutabaga"}, headers=ADMIN)
    assert [row["id"] for row in found.json()["data"]] == [raw.headers["x-gateway-review-id"]]
