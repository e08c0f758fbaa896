"""A prompt's life: proposed, reviewed by someone else, approved or rejected, used, deprecated."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from prompt_library import service
from prompt_library.errors import (
    InvalidTemplate,
    InvalidTransition,
    NotPromptOwner,
    PromptExists,
    PromptNotFound,
    PromptNotUsable,
    SelfApprovalRefused,
)
from prompt_library.models import PromptState
from tests.prompt_library.helpers import MESSAGES, VARIABLES, approved_prompt

HELLO = [{"role": "user", "content": "Hello"}]


def propose(engine: Engine, name: str = "support-reply") -> int:
    return service.propose_prompt(
        engine, name=name, owner_team="support", author="alice", messages=MESSAGES, variables=VARIABLES
    ).version


def test_a_proposed_prompt_starts_as_draft_version_1(engine: Engine) -> None:
    version = service.propose_prompt(
        engine, name="support-reply", owner_team="support", author="alice", messages=MESSAGES, variables=VARIABLES
    )
    assert (version.version, version.state, version.author, version.reviewer) == (1, "draft", "alice", None)


def test_the_whole_lifecycle_records_who_did_what_and_when(engine: Engine) -> None:
    propose(engine)
    submitted = service.submit_for_review(engine, "support-reply", 1, team="support")
    assert submitted.state == PromptState.IN_REVIEW and submitted.submitted_at is not None
    approved = service.approve(engine, "support-reply", 1, reviewer="bob")
    assert (approved.state, approved.reviewer) == (PromptState.APPROVED, "bob")
    assert approved.reviewed_at is not None
    deprecated = service.deprecate(engine, "support-reply", 1, reason="superseded")
    assert (deprecated.state, deprecated.reason) == (PromptState.DEPRECATED, "superseded")
    assert deprecated.deprecated_at is not None


def test_an_author_cannot_approve_their_own_version(engine: Engine) -> None:
    propose(engine)
    service.submit_for_review(engine, "support-reply", 1, team="support")
    with pytest.raises(SelfApprovalRefused) as refused:
        service.approve(engine, "support-reply", 1, reviewer="alice")
    assert (refused.value.status_code, refused.value.code) == (403, "self_approval")
    assert service.get_prompt(engine, "support-reply", team="support").versions[0].state == PromptState.IN_REVIEW


def test_a_draft_cannot_be_approved_before_it_is_submitted(engine: Engine) -> None:
    propose(engine)
    with pytest.raises(InvalidTransition, match="only a in_review version can become approved"):
        service.approve(engine, "support-reply", 1, reviewer="bob")


def test_a_rejection_needs_a_reason_and_is_final(engine: Engine) -> None:
    propose(engine)
    service.submit_for_review(engine, "support-reply", 1, team="support")
    with pytest.raises(InvalidTransition, match="needs a reason"):
        service.reject(engine, "support-reply", 1, reviewer="bob", reason=" ")
    rejected = service.reject(engine, "support-reply", 1, reviewer="bob", reason="Too long; cut the preamble.")
    assert (rejected.state, rejected.reason, rejected.reviewer) == ("rejected", "Too long; cut the preamble.", "bob")
    with pytest.raises(InvalidTransition):
        service.submit_for_review(engine, "support-reply", 1, team="support")


def test_a_new_version_gets_the_next_number_and_leaves_the_old_one_alone(engine: Engine) -> None:
    first = approved_prompt(engine)
    second = service.propose_version(
        engine, "support-reply", team="support", author="carol", messages=[{"role": "user", "content": "Hi"}]
    )
    assert second.version == 2 and second.state == "draft"
    _, still_used = service.resolve_for_use(engine, "support-reply")
    assert (still_used.version, still_used.messages) == (1, first.messages)


def test_only_the_owner_team_adds_versions_or_submits_them(engine: Engine) -> None:
    approved_prompt(engine)
    with pytest.raises(NotPromptOwner):
        service.propose_version(engine, "support-reply", team="sales", author="x", messages=MESSAGES)
    service.propose_version(engine, "support-reply", team="support", author="carol", messages=HELLO)
    with pytest.raises(NotPromptOwner):
        service.submit_for_review(engine, "support-reply", 2, team="sales")


def test_a_prompt_name_is_unique(engine: Engine) -> None:
    propose(engine)
    with pytest.raises(PromptExists):
        propose(engine)


def test_a_prompt_name_must_be_file_and_url_safe(engine: Engine) -> None:
    with pytest.raises(InvalidTemplate, match="Invalid prompt name"):
        propose(engine, name="../etc/passwd")


def test_a_template_with_an_undeclared_placeholder_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidTemplate, match="placeholders without a declared variable: tone") as refused:
        service.propose_prompt(
            engine,
            name="p",
            owner_team="t",
            author="a",
            messages=[{"role": "system", "content": "Be {{tone}} with {{name}}"}],
            variables=[{"name": "name"}],
        )
    assert refused.value.status_code == 400


def test_a_variable_default_of_the_wrong_type_is_refused_with_its_key_path(engine: Engine) -> None:
    with pytest.raises(InvalidTemplate) as refused:
        service.propose_prompt(
            engine,
            name="p",
            owner_team="t",
            author="a",
            messages=[{"role": "system", "content": "{{n}}"}],
            variables=[{"name": "n", "type": "integer", "default": "five"}],
        )
    assert refused.value.param == "variables.0"


def test_only_an_approved_version_can_be_used(engine: Engine) -> None:
    approved_prompt(engine)
    service.propose_version(engine, "support-reply", team="support", author="carol", messages=HELLO)
    with pytest.raises(PromptNotUsable) as draft:
        service.resolve_for_use(engine, "support-reply", 2)
    assert (draft.value.param, draft.value.status_code) == ("prompt.version", 400)
    service.deprecate(engine, "support-reply", 1)
    with pytest.raises(PromptNotUsable, match="no approved version"):
        service.resolve_for_use(engine, "support-reply")


def test_an_unknown_prompt_or_version_is_not_found(engine: Engine) -> None:
    approved_prompt(engine)
    with pytest.raises(PromptNotFound) as unknown:
        service.resolve_for_use(engine, "nope")
    assert unknown.value.param == "prompt.id"
    with pytest.raises(PromptNotFound):
        service.resolve_for_use(engine, "support-reply", 9)


def test_omitting_the_version_uses_the_latest_approved_one(engine: Engine) -> None:
    approved_prompt(engine)
    service.propose_version(engine, "support-reply", team="support", author="carol", messages=HELLO)
    service.submit_for_review(engine, "support-reply", 2, team="support")
    service.approve(engine, "support-reply", 2, reviewer="dave")
    service.propose_version(engine, "support-reply", team="support", author="carol", messages=HELLO)  # a draft v3
    assert service.resolve_for_use(engine, "support-reply")[1].version == 2
