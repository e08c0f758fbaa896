"""Rules on the request's shape: models, parameters, token limits, approved prompts — in both modes."""

from __future__ import annotations

import pytest

from gateway.core.errors import ContentFiltered
from gateway.core.types import Action, Principal
from policies.decision import evaluate
from tests.policies.helpers import CompilePolicy, chat


def test_a_model_outside_the_allowed_list_is_blocked_naming_the_rule(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(
        {"allowed_models": {"models": ["gpt-4o*", "mock-gpt"], "message": "Use an approved model."}}
    )
    decision = evaluate(policy, chat("hi", model="claude-3-opus"), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    assert isinstance(decision.error, ContentFiltered)
    assert decision.error.body()["error"] == {
        "message": "The request was blocked by policy 'default', rule 'allowed_models': Use an approved model.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "content_filter",
    }


def test_a_model_matching_a_glob_is_allowed(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"allowed_models": {"models": ["gpt-4o*"]}})
    decision = evaluate(policy, chat("hi", model="gpt-4o-mini"), principal, used_prompt=False)
    assert (decision.action, decision.verdicts) == (Action.ALLOW, [])


def test_a_monitored_model_rule_reports_but_lets_the_request_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"allowed_models": {"mode": "monitor", "models": ["gpt-4o"]}})
    decision = evaluate(policy, chat("hi", model="claude-3-opus"), principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.error is None
    [verdict] = decision.verdicts
    assert (verdict.source, verdict.action, verdict.mode) == ("policy:allowed_models", Action.BLOCK, "monitor")


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"logit_bias": {"50256": -100}}, "logit_bias"), ({"temperature": 1.7}, "temperature"), ({"n": 9}, "n")],
)
def test_forbidden_or_out_of_range_parameters_are_blocked(
    compile_policy: CompilePolicy, principal: Principal, fields: dict[str, object], param: str
) -> None:
    policy = compile_policy(
        {
            "request_parameters": {
                "forbidden": ["logit_bias"],
                "ranges": {"temperature": {"min": 0, "max": 1}, "n": {"max": 2}},
            }
        }
    )
    decision = evaluate(policy, chat("hi", **fields), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    assert decision.error is not None and decision.error.param == param


def test_parameters_within_their_ranges_are_allowed(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy(
        {"request_parameters": {"forbidden": ["logit_bias"], "ranges": {"temperature": {"max": 1}}}}
    )
    assert evaluate(policy, chat("hi", temperature=0.2), principal, used_prompt=False).action is Action.ALLOW


def test_a_value_outside_the_allowed_values_is_blocked(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"request_parameters": {"allowed_values": {"service_tier": ["default"]}}})
    decision = evaluate(policy, chat("hi", service_tier="priority"), principal, used_prompt=False)
    assert decision.action is Action.BLOCK


def test_a_monitored_parameter_rule_keeps_the_forbidden_parameter(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"request_parameters": {"mode": "monitor", "forbidden": ["logit_bias"]}})
    body = chat("hi", logit_bias={"1": 5})
    decision = evaluate(policy, body, principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.body is body
    assert [v.mode for v in decision.verdicts] == ["monitor"]


def test_max_tokens_above_the_cap_is_blocked(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"max_output_tokens": {"limit": 500}})
    decision = evaluate(policy, chat("hi", max_completion_tokens=501), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    assert decision.error is not None and decision.error.param == "max_completion_tokens"


def test_max_tokens_above_the_cap_is_lowered_when_the_rule_clamps(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"max_output_tokens": {"limit": 500, "action": "clamp"}})
    body = chat("hi", max_tokens=4000)
    decision = evaluate(policy, body, principal, used_prompt=False)
    assert decision.action is Action.TRANSFORM
    assert decision.body["max_tokens"] == 500 and body["max_tokens"] == 4000


def test_a_required_cap_is_added_to_a_request_without_one(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"max_output_tokens": {"limit": 500, "action": "clamp", "require": True}})
    assert evaluate(policy, chat("hi"), principal, used_prompt=False).body["max_tokens"] == 500


def test_a_monitored_cap_leaves_max_tokens_alone(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"max_output_tokens": {"mode": "monitor", "limit": 500, "action": "clamp"}})
    decision = evaluate(policy, chat("hi", max_tokens=4000), principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.body["max_tokens"] == 4000
    assert [(v.action, v.mode) for v in decision.verdicts] == [(Action.TRANSFORM, "monitor")]


def test_a_prompt_over_the_input_token_limit_is_blocked_with_its_count(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"max_input_tokens": {"limit": 50}})
    decision = evaluate(policy, chat(" ".join(["hello"] * 100)), principal, used_prompt=False)
    assert decision.action is Action.BLOCK
    # 100 tokens of "hello", 1 of "user", and OpenAI's per-message and per-reply overheads (3 + 3).
    assert decision.verdicts[0].details["tokens"] == 107


def test_a_prompt_within_the_input_token_limit_passes(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"max_input_tokens": {"limit": 120}})
    assert evaluate(policy, chat("hello " * 100), principal, used_prompt=False).action is Action.ALLOW


def test_a_monitored_input_token_limit_lets_a_long_prompt_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"max_input_tokens": {"mode": "monitor", "limit": 50}})
    decision = evaluate(policy, chat("hello " * 100), principal, used_prompt=False)
    assert decision.action is Action.ALLOW and decision.verdicts[0].mode == "monitor"


def test_a_request_without_a_library_prompt_is_blocked_when_only_approved_prompts_are_allowed(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy({"approved_prompts_only": {"message": "Use a library prompt."}})
    decision = evaluate(policy, chat("free text"), principal, used_prompt=False)
    assert decision.error is not None and decision.error.param == "prompt"
    assert evaluate(policy, chat("rendered"), principal, used_prompt=True).action is Action.ALLOW


def test_a_monitored_approved_prompts_rule_only_reports(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy({"approved_prompts_only": {"mode": "monitor"}})
    decision = evaluate(policy, chat("free text"), principal, used_prompt=False)
    assert decision.action is Action.ALLOW and [v.source for v in decision.verdicts] == ["policy:approved_prompts_only"]
