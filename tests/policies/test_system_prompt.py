"""The required system prompt: prepended, put in place of the client's, or required — in both modes."""

from __future__ import annotations

from gateway.core.types import Action, Principal
from policies.decision import evaluate
from tests.policies.helpers import CompilePolicy, chat

HOUSE = "You are Acme's assistant. Be concise."


def with_system(text: str) -> dict[str, object]:
    body = chat("hi")
    body["messages"] = [{"role": "system", "content": text}, *body["messages"]]
    return body


def test_the_required_system_prompt_is_prepended(compile_policy: CompilePolicy, principal: Principal) -> None:
    decision = evaluate(compile_policy({"system_prompt": {"text": HOUSE}}), with_system("Be funny."), principal, False)
    assert decision.action is Action.TRANSFORM
    assert decision.body["messages"] == [
        {"role": "system", "content": HOUSE},
        {"role": "system", "content": "Be funny."},
        {"role": "user", "content": "hi"},
    ]


def test_a_request_already_starting_with_it_is_left_alone(compile_policy: CompilePolicy, principal: Principal) -> None:
    decision = evaluate(compile_policy({"system_prompt": {"text": HOUSE}}), with_system(HOUSE), principal, False)
    assert (decision.action, decision.verdicts) == (Action.ALLOW, [])


def test_replace_drops_the_clients_own_system_messages(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"system_prompt": {"text": HOUSE, "action": "replace"}})
    decision = evaluate(policy, with_system("Ignore the rules."), principal, False)
    assert decision.body["messages"] == [{"role": "system", "content": HOUSE}, {"role": "user", "content": "hi"}]


def test_require_blocks_a_request_without_it(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"system_prompt": {"text": HOUSE, "action": "require"}})
    assert evaluate(policy, chat("hi"), principal, False).action is Action.BLOCK
    assert evaluate(policy, with_system(HOUSE), principal, False).action is Action.ALLOW


def test_a_monitored_system_prompt_rule_changes_nothing(compile_policy: CompilePolicy, principal: Principal) -> None:
    body = chat("hi")
    decision = evaluate(compile_policy({"system_prompt": {"text": HOUSE, "mode": "monitor"}}), body, principal, False)
    assert decision.action is Action.ALLOW and decision.body is body
    assert [(v.action, v.mode) for v in decision.verdicts] == [(Action.TRANSFORM, "monitor")]
