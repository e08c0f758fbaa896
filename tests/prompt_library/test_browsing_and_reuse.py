"""Browsing the library (approved prompts for all, drafts for their owner) and the reuse figure."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from prompt_library import service
from prompt_library.errors import PromptNotFound
from tests.prompt_library.helpers import approved_prompt

DRAFT = [{"role": "user", "content": "Draft text"}]


def names(listings: list[service.PromptListing]) -> list[str]:
    return [listing.prompt.name for listing in listings]


def test_other_teams_see_approved_prompts_but_not_drafts(engine: Engine) -> None:
    approved_prompt(engine)
    service.propose_prompt(engine, name="secret-draft", owner_team="support", author="alice", messages=DRAFT)
    assert names(service.list_prompts(engine, team="sales")) == ["support-reply"]
    assert names(service.list_prompts(engine, team="support")) == ["secret-draft", "support-reply"]


def test_the_owner_sees_its_draft_versions_and_others_only_the_approved_ones(engine: Engine) -> None:
    approved_prompt(engine)
    service.propose_version(engine, "support-reply", team="support", author="carol", messages=DRAFT)
    assert [v.version for v in service.get_prompt(engine, "support-reply", team="sales").versions] == [1]
    assert [v.version for v in service.get_prompt(engine, "support-reply", team="support").versions] == [2, 1]


def test_search_by_name_or_description_tag_and_owner(engine: Engine) -> None:
    approved_prompt(engine)
    approved_prompt(engine, name="code-review", team="engineering")
    assert names(service.list_prompts(engine, query="REPLY")) == ["support-reply"]
    assert names(service.list_prompts(engine, query="customers")) == ["code-review", "support-reply"]
    assert names(service.list_prompts(engine, tag="email", owner_team="engineering")) == ["code-review"]
    assert names(service.list_prompts(engine, owner_team="support")) == ["support-reply"]
    assert names(service.list_prompts(engine, tag="nope")) == []


def test_a_draft_only_prompt_is_hidden_from_other_teams(engine: Engine) -> None:
    service.propose_prompt(engine, name="secret-draft", owner_team="support", author="alice", messages=DRAFT)
    with pytest.raises(PromptNotFound) as hidden:
        service.get_prompt(engine, "secret-draft", team="sales")
    assert hidden.value.status_code == 404


def test_uses_are_counted_per_version_and_team(engine: Engine) -> None:
    version = approved_prompt(engine)
    assert version.id is not None
    for team in ["support", "support", "sales"]:
        service.record_use(engine, version.id, team)
    service.record_uses(engine, {(version.id, "legal"): 5, (version.id, "sales"): 2})
    figure = service.reuse_figure(engine, "support-reply")
    assert (figure.teams, figure.requests) == (3, 10)
    assert figure.teams_list == ["legal", "sales", "support"]
    assert figure.requests_by_version == {1: 10}


def test_a_prompt_never_used_has_a_reuse_figure_of_zero(engine: Engine) -> None:
    approved_prompt(engine)
    figure = service.reuse_figure(engine, "support-reply")
    assert (figure.teams, figure.requests, figure.owner_team) == (0, 0, "support")
