"""The deny-list rule: terms and patterns on the normalised prompt, in both modes."""

from __future__ import annotations

import pytest

from gateway.core.types import Action, Principal
from policies.decision import evaluate
from tests.policies.helpers import CompilePolicy, chat

RULES = {"no_codenames": {"type": "deny_list", "terms": ["Project Falcon", "c++"], "patterns": [r"\bacct-\d{6}\b"]}}


@pytest.mark.parametrize(
    "prompt",
    [
        "Summarise the status of project falcon.",
        "Summarise the status of PROJECT\u200b FALCON.",  # zero-width space, capitals
        "Summarise the status of \uff30roject \uff26alcon.",  # full-width P and F
        "Summarise the status of pr\u043eject falc\u043en.",  # Cyrillic o
        "Summarise the status of project\n\n   falcon.",
        "How do templates work in C++?",
        "Look up ACCT-123456 for me",
    ],
)
def test_a_denied_term_or_pattern_is_blocked_however_it_is_written(
    compile_policy: CompilePolicy, principal: Principal, prompt: str
) -> None:
    decision = evaluate(compile_policy(RULES), chat(prompt), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    assert decision.error is not None and "rule 'no_codenames'" in decision.error.message


@pytest.mark.parametrize(
    "prompt", ["The falcon is a bird of prey.", "Our projects are on track.", "account 123456", "Use C or Rust"]
)
def test_text_that_only_resembles_a_denied_term_passes(
    compile_policy: CompilePolicy, principal: Principal, prompt: str
) -> None:
    assert evaluate(compile_policy(RULES), chat(prompt), principal, used_prompt=False).action is Action.ALLOW


def test_a_term_matches_whole_words_only(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"deny_list": {"terms": ["ass"]}})
    assert evaluate(policy, chat("Please assess the class."), principal, used_prompt=False).action is Action.ALLOW


def test_the_verdict_names_the_term_but_never_quotes_the_prompt(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    decision = evaluate(compile_policy(RULES), chat("secret: ACCT-654321 now"), principal, used_prompt=False)
    [verdict] = decision.verdicts
    assert verdict.details["pattern"] == r"\bacct-\d{6}\b"
    assert "654321" not in repr(verdict)


def test_a_monitored_deny_list_reports_and_lets_the_prompt_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    rules = {"no_codenames": {**RULES["no_codenames"], "mode": "monitor"}}
    decision = evaluate(compile_policy(rules), chat("about project falcon"), principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.error is None
    assert [(v.source, v.action, v.mode) for v in decision.verdicts] == [
        ("policy:no_codenames", Action.BLOCK, "monitor")
    ]


def test_system_and_list_content_messages_are_checked_too(compile_policy: CompilePolicy, principal: Principal) -> None:
    body = {
        "model": "mock-gpt",
        "messages": [
            {"role": "system", "content": "You help with project falcon."},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
    }
    assert evaluate(compile_policy(RULES), body, principal, used_prompt=False).action is Action.BLOCK
    body["messages"] = [{"role": "user", "content": [{"type": "text", "text": "Project Falcon?"}]}]
    assert evaluate(compile_policy(RULES), body, principal, used_prompt=False).action is Action.BLOCK
