"""A stored response continued at once on another process: the id a client got from one gateway
process works on its twin (they share only the database), before and after the batch lands."""

from __future__ import annotations

import openai
import pytest

from tests.helpers.gateway_api import new_team_key
from tests.helpers.gateway_process import GatewayProcess


def test_a_response_made_on_one_process_continues_on_the_other(gateway: GatewayProcess, twin: GatewayProcess) -> None:
    member = new_team_key(gateway, "responses-twins", models=["gpt-test"])
    first = member.client(gateway).responses.create(model="gpt-test", input="my name is Ada")
    on_twin = member.client(twin)
    second = on_twin.responses.create(model="gpt-test", input="who am I?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert on_twin.responses.retrieve(first.id).output_text == "Mock answer: my name is Ada"
    stranger = new_team_key(twin, "responses-strangers", models=["gpt-test"])
    with pytest.raises(openai.NotFoundError):
        stranger.client(twin).responses.retrieve(first.id)
