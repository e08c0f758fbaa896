"""The rules a use case adds by stage, tier and data classification: the shipped defaults, each in
enforce and in monitor mode, and `when` matching only requests of the use cases it names."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import yaml

from gateway.core.errors import PermissionDenied, QuotaExceeded
from gateway.core.types import Action, Principal
from gateway.core.use_case_terms import DataClass, RiskTier, Stage, UseCaseFacts
from policies.decision import evaluate
from policies.loader import PolicyError
from policies.rules.base import MODERATIONS_DOOR
from tests.policies.helpers import SHIPPED_POLICIES, CompilePolicy, chat

PILOT = UseCaseFacts(
    id="uc_pilot",
    stage=Stage.PILOT,
    risk_tier=RiskTier.MEDIUM,
    data_classification=DataClass.INTERNAL,
    model_for_experimentation=True,
    model_allows=frozenset({DataClass.PUBLIC, DataClass.INTERNAL}),
)


def shipped_rule(name: str, **changes: Any) -> dict[str, Any]:
    """One of the use case rules of the shipped default policy, with `changes` applied."""
    rules: dict[str, Any] = yaml.safe_load((SHIPPED_POLICIES / "default.yaml").read_text())["rules"]
    return {name: {**rules[name], **changes}}


@pytest.mark.parametrize("stage", [Stage.INTAKE, Stage.RETIRED])
def test_a_use_case_in_intake_or_retired_is_refused_with_a_403_naming_the_stage(
    compile_policy: CompilePolicy, principal: Principal, stage: Stage
) -> None:
    policy = compile_policy(shipped_rule("closed_stages"))
    decision = evaluate(policy, chat("hi"), principal, False, replace(PILOT, stage=stage))
    assert decision.action is Action.BLOCK
    assert isinstance(decision.error, PermissionDenied) and decision.error.status_code == 403
    assert f"is in stage {stage.value}" in decision.error.message
    assert decision.error.code == "use_case_refused"


@pytest.mark.parametrize("stage", [Stage.POC, Stage.PILOT, Stage.PRODUCTION, Stage.MONITOR])
def test_live_stages_are_not_closed(compile_policy: CompilePolicy, principal: Principal, stage: Stage) -> None:
    policy = compile_policy(shipped_rule("closed_stages"))
    assert evaluate(policy, chat("hi"), principal, False, replace(PILOT, stage=stage)).action is Action.ALLOW


def test_a_monitored_closed_stage_reports_and_lets_through(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy(shipped_rule("closed_stages", mode="monitor"))
    decision = evaluate(policy, chat("hi"), principal, False, replace(PILOT, stage=Stage.INTAKE))
    assert decision.action is Action.ALLOW and decision.error is None
    assert [(v.source, v.mode, v.action) for v in decision.verdicts] == [
        ("policy:closed_stages", "monitor", Action.BLOCK)
    ]


def test_a_request_without_a_use_case_skips_every_use_case_rule(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    rules: dict[str, Any] = {}
    for name in ("closed_stages", "experiments", "restricted_data", "high_risk_production_prompts"):
        rules.update(shipped_rule(name))
    decision = evaluate(compile_policy(rules), chat("hi"), principal, False, None)
    assert (decision.action, decision.verdicts) == (Action.ALLOW, [])


def test_an_experiment_may_not_use_a_model_not_marked_for_experimentation(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("experiments"))
    decision = evaluate(policy, chat("hi"), principal, False, replace(PILOT, model_for_experimentation=False))
    assert isinstance(decision.error, PermissionDenied)
    assert "not marked for experimentation" in decision.error.message
    assert evaluate(policy, chat("hi"), principal, False, PILOT).action is Action.ALLOW


def test_an_experiment_over_its_monthly_cap_gets_a_429(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy(shipped_rule("experiments", monthly_spend_usd="2.5"))
    under = replace(PILOT, month_spend_nanos=2_499_999_999)
    assert evaluate(policy, chat("hi"), principal, False, under).action is Action.ALLOW
    decision = evaluate(policy, chat("hi"), principal, False, replace(PILOT, month_spend_nanos=2_500_000_000))
    assert isinstance(decision.error, QuotaExceeded) and decision.error.status_code == 429
    assert "spent its 2.5 USD for this month" in decision.error.message


def test_monitored_experiment_limits_report_and_let_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("experiments", mode="monitor", monthly_spend_usd=1))
    over = replace(PILOT, model_for_experimentation=False, month_spend_nanos=5_000_000_000)
    decision = evaluate(policy, chat("hi"), principal, False, over)
    assert decision.action is Action.ALLOW
    assert [v.mode for v in decision.verdicts] == ["monitor"]


def test_experiment_limits_do_not_apply_in_production(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy(shipped_rule("experiments"))
    production = replace(PILOT, stage=Stage.PRODUCTION, model_for_experimentation=False)
    assert evaluate(policy, chat("hi"), principal, False, production).action is Action.ALLOW


def test_restricted_data_reaches_only_models_whose_card_allows_it(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("restricted_data"))
    restricted = replace(PILOT, data_classification=DataClass.RESTRICTED)
    decision = evaluate(policy, chat("hi"), principal, False, restricted)
    assert isinstance(decision.error, PermissionDenied) and "does not allow restricted data" in decision.error.message
    allowed = replace(restricted, model_allows=frozenset({DataClass.RESTRICTED}))
    assert evaluate(policy, chat("hi"), principal, False, allowed).action is Action.ALLOW


def test_monitored_restricted_data_reports_and_lets_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("restricted_data", mode="monitor"))
    restricted = replace(PILOT, data_classification=DataClass.RESTRICTED)
    decision = evaluate(policy, chat("hi"), principal, False, restricted)
    assert decision.action is Action.ALLOW and [v.mode for v in decision.verdicts] == ["monitor"]


def test_a_high_risk_use_case_in_production_needs_an_approved_prompt(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("high_risk_production_prompts"))
    high = replace(PILOT, stage=Stage.PRODUCTION, risk_tier=RiskTier.HIGH)
    refused = evaluate(policy, chat("hi"), principal, False, high)
    assert refused.action is Action.BLOCK and refused.error is not None and refused.error.status_code == 400
    assert evaluate(policy, chat("hi"), principal, True, high).action is Action.ALLOW
    medium = replace(high, risk_tier=RiskTier.MEDIUM)
    assert evaluate(policy, chat("hi"), principal, False, medium).action is Action.ALLOW


def test_monitored_approved_prompts_for_high_risk_report_and_let_through(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("high_risk_production_prompts", mode="monitor"))
    high = replace(PILOT, stage=Stage.PRODUCTION, risk_tier=RiskTier.HIGH)
    decision = evaluate(policy, chat("hi"), principal, False, high)
    assert decision.action is Action.ALLOW and [v.mode for v in decision.verdicts] == ["monitor"]


def test_a_when_with_an_unknown_stage_is_a_policy_problem(compile_policy: CompilePolicy) -> None:
    with pytest.raises(PolicyError, match="when"):
        compile_policy({"closed": {"type": "use_case_stage", "when": {"stages": ["beta"]}}})


def test_a_high_risk_use_case_has_its_flags_withheld(compile_policy: CompilePolicy, principal: Principal) -> None:
    policy = compile_policy(shipped_rule("high_risk_flags"))
    high = evaluate(policy, chat("hi"), principal, False, replace(PILOT, risk_tier=RiskTier.HIGH))
    assert high.withhold_flags is True and high.action is Action.ALLOW
    assert evaluate(policy, chat("hi"), principal, False, PILOT).withhold_flags is False


def test_monitored_flag_withholding_reports_and_withholds_nothing(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(shipped_rule("high_risk_flags", mode="monitor"))
    decision = evaluate(policy, chat("hi"), principal, False, replace(PILOT, risk_tier=RiskTier.HIGH))
    assert decision.withhold_flags is False
    assert [(v.source, v.mode) for v in decision.verdicts] == [("policy:high_risk_flags", "monitor")]


def test_a_moderation_meets_only_the_rules_about_the_caller(
    compile_policy: CompilePolicy, principal: Principal
) -> None:
    policy = compile_policy(
        {
            **shipped_rule("closed_stages"),
            **shipped_rule("high_risk_production_prompts"),
            "words": {"type": "deny_list", "terms": ["secret"]},
        }
    )
    moderation = {"model": "gpt-test", "input": "secret", "messages": [{"role": "user", "content": "secret"}]}
    closed = replace(PILOT, stage=Stage.RETIRED, risk_tier=RiskTier.HIGH)
    decision = evaluate(policy, moderation, principal, False, closed, door=MODERATIONS_DOOR)
    assert [v.source for v in decision.verdicts] == ["policy:closed_stages"]
    live = replace(PILOT, stage=Stage.PRODUCTION, risk_tier=RiskTier.HIGH)
    assert evaluate(policy, moderation, principal, False, live, door=MODERATIONS_DOOR).action is Action.ALLOW
