"""The input PII rule: allow, redact or block per entity type, in both modes.

The injected detector here is a small regex detector (tests/policies/helpers.py), not Presidio:
the rule's job is to act on what a detector reports. The end-to-end tests run the app with the
real, shared Presidio analyzer.
"""

from __future__ import annotations

import pytest

from gateway.core.types import Action, Principal
from policies.decision import evaluate
from policies.services import MissingService, PolicyServices
from tests.policies.helpers import CompilePolicy, chat

RULES = {
    "input_pii": {
        "entities": {"EMAIL_ADDRESS": "redact", "PHONE_NUMBER": "redact", "CREDIT_CARD": "block"},
        "message": "Remove card numbers.",
    }
}


def test_an_email_is_redacted_before_the_request_goes_upstream(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    body = chat("Write to jane.doe@example.com or call +44 20 7946 0958 today.")
    decision = evaluate(compile_policy(RULES), body, principal, used_prompt=False)
    assert decision.action is Action.TRANSFORM
    assert decision.body["messages"][0]["content"] == "Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER> today."
    assert body["messages"][0]["content"].startswith("Write to jane.doe@example.com")  # the caller's copy is intact
    [verdict] = decision.verdicts
    assert (verdict.action, verdict.details["entities"]) == (Action.REDACT, ["EMAIL_ADDRESS", "PHONE_NUMBER"])


def test_a_blocked_entity_refuses_the_request(compile_policy: CompilePolicy, principal: Principal) -> None:
    decision = evaluate(compile_policy(RULES), chat("My card is 4111 1111 1111 1111"), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    assert decision.error is not None and decision.error.message.endswith("Remove card numbers.")
    assert decision.verdicts[0].details["entities"] == ["CREDIT_CARD"]


def test_an_allowed_entity_passes_unchanged(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"input_pii": {"entities": {"EMAIL_ADDRESS": "allow", "CREDIT_CARD": "block"}}})
    body = chat("Write to jane.doe@example.com")
    decision = evaluate(policy, body, principal, used_prompt=False)
    assert (decision.action, decision.body, decision.verdicts) == (Action.ALLOW, body, [])


def test_the_default_action_covers_unlisted_entities(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"input_pii": {"default": "redact"}})
    decision = evaluate(policy, chat("mail jane@example.com"), principal, used_prompt=False)
    assert decision.body["messages"][0]["content"] == "mail <EMAIL_ADDRESS>"


def test_findings_below_the_minimum_score_are_ignored(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"input_pii": {"default": "block", "min_score": 0.95}})
    assert evaluate(policy, chat("mail jane@example.com"), principal, used_prompt=False).action is Action.ALLOW


def test_every_message_and_content_part_is_redacted(compile_policy: CompilePolicy, principal: Principal) -> None:
    body = {
        "model": "mock-gpt",
        "messages": [
            {"role": "system", "content": "Reply to a@example.com"},
            {"role": "user", "content": [{"type": "text", "text": "cc b@example.com"}, {"type": "image_url"}]},
        ],
    }
    messages = evaluate(compile_policy(RULES), body, principal, used_prompt=False).body["messages"]
    assert messages[0]["content"] == "Reply to <EMAIL_ADDRESS>"
    assert messages[1]["content"] == [{"type": "text", "text": "cc <EMAIL_ADDRESS>"}, {"type": "image_url"}]


def test_a_monitored_pii_rule_reports_but_sends_the_prompt_unchanged(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    rules = {"input_pii": {**RULES["input_pii"], "mode": "monitor"}}
    body = chat("Write to jane.doe@example.com")
    decision = evaluate(compile_policy(rules), body, principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.body is body
    assert [(v.action, v.mode) for v in decision.verdicts] == [(Action.REDACT, "monitor")]


def test_a_monitored_block_entity_does_not_refuse(compile_policy: CompilePolicy, principal: Principal) -> None:
    rules = {"input_pii": {**RULES["input_pii"], "mode": "monitor"}}
    decision = evaluate(compile_policy(rules), chat("4111 1111 1111 1111"), principal, used_prompt=False)
    assert decision.action is Action.ALLOW
    assert [(v.action, v.mode) for v in decision.verdicts] == [(Action.BLOCK, "monitor")]


def test_a_policy_with_pii_rules_needs_a_detector(compile_policy: CompilePolicy) -> None:
    with pytest.raises(MissingService, match="PII detector"):
        compile_policy(RULES, with_services=PolicyServices())
