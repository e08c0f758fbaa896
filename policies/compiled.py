"""Compiled policies: every rule built once per policy version, ordered by stage, ready to evaluate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.core.errors import GatewayError
from gateway.core.types import Principal
from policies.loader import PolicySet
from policies.rules.base import CHAT_DOOR, Door, Rule, Stage
from policies.services import PolicyServices


class UnknownPolicy(GatewayError):
    """A team names a policy that the policy files do not define (a configuration mistake)."""

    status_code = 500
    error_type = "api_error"
    default_code = "unknown_policy"


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """One policy, ready to evaluate: its rules in stage order (file order within a stage)."""

    name: str
    version: str
    rules: tuple[Rule, ...]

    def rules_for(self, door: Door) -> tuple[Rule, ...]:
        """The rules that hold on `door`: those whose reach its requests carry."""
        if door == CHAT_DOOR:
            return self.rules
        return tuple(rule for rule in self.rules if rule.reach in door)

    @property
    def calls_models(self) -> bool:
        """True when a rule runs a model (input PII): the app then evaluates it off the event loop."""
        return any(rule.stage is Stage.REDACT for rule in self.rules)


@dataclass(frozen=True, slots=True)
class CompiledPolicies:
    """Every compiled policy of one version of the policy files."""

    version: str
    policies: Mapping[str, CompiledPolicy]
    default: str

    def for_principal(self, principal: Principal) -> CompiledPolicy:
        """The team's policy, or the default one when the team names none."""
        name = principal.policy or self.default
        policy = self.policies.get(name)
        if policy is None:
            raise UnknownPolicy(f"The policy {name!r} configured for team {principal.team_name!r} does not exist.")
        return policy


def compile_policies(policy_set: PolicySet, services: PolicyServices) -> CompiledPolicies:
    """Build every rule of every policy; raises MissingService when a rule's service is absent."""
    compiled: dict[str, CompiledPolicy] = {}
    for name, policy in policy_set.policies.items():
        rules = [settings.build(rule_name, services) for rule_name, settings in policy.rules]
        rules.sort(key=lambda rule: rule.stage)  # stable: file order is kept within a stage
        compiled[name] = CompiledPolicy(name=name, version=policy_set.version, rules=tuple(rules))
    return CompiledPolicies(version=policy_set.version, policies=compiled, default=policy_set.default)
