"""The pre-call decision: run a compiled policy's rules over a request → allow, transform or block.

Rules in `monitor` mode are evaluated and reported exactly like enforced ones, but neither block
nor change the request. The first enforced block ends the evaluation (later rules cannot change
the outcome, and the PII detector is the expensive one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.core.errors import ContentFiltered, GatewayError, PermissionDenied, QuotaExceeded
from gateway.core.types import Action, Principal, Verdict
from gateway.core.use_case_terms import UseCaseFacts
from policies.compiled import CompiledPolicy
from policies.request import PolicyRequest
from policies.rules.base import CHAT_DOOR, Door, Finding, Rule


@dataclass(slots=True)
class Decision:
    """The outcome: `action` is ALLOW, TRANSFORM or BLOCK; `body` is what to send upstream."""

    action: Action
    body: dict[str, Any]
    verdicts: list[Verdict]
    policy: str
    version: str
    error: GatewayError | None = None
    withhold_flags: bool = False

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    def raise_if_blocked(self) -> None:
        """Raise the error of a blocked request: 400 `content_filter`, or the use case's 403 or 429."""
        if self.error is not None:
            raise self.error


def _refusal(policy: CompiledPolicy, rule: Rule, finding: Finding) -> GatewayError:
    if finding.refusal == "content_filter":
        message = rule.message or finding.reason
        text = f"The request was blocked by policy {policy.name!r}, rule {rule.name!r}: {message}"
        return ContentFiltered(text, param=finding.param)
    # A use case's refusal names what the use case lacks (its stage, its model, its budget) first.
    why = f"{finding.reason}. {rule.message}" if rule.message else finding.reason
    text = f"Refused by policy {policy.name!r}, rule {rule.name!r}: {why}"
    if finding.refusal == "quota":
        return QuotaExceeded(text, code="use_case_spend_cap")
    return PermissionDenied(text, param=finding.param, code="use_case_refused")


def evaluate(
    policy: CompiledPolicy,
    request_body: dict[str, Any],
    principal: Principal,
    used_prompt: bool,
    use_case: UseCaseFacts | None = None,
    *,
    door: Door = CHAT_DOOR,
) -> Decision:
    """Decide on one request; `used_prompt` says the app rendered a library prompt into it,
    `use_case` what the registry knows of the request's use case (rules with `when` need it).
    A request through another door than a chat's (embeddings, moderations) meets only the rules
    whose reach that door carries (see `Reach`).

    `request_body` is never modified: a transform returns a new body in `Decision.body`.
    """
    request = PolicyRequest(request_body, principal, used_prompt, use_case)
    body = request_body
    verdicts: list[Verdict] = []
    transformed = False
    withhold_flags = False
    for rule in policy.rules_for(door):
        if not rule.applies(request):
            continue
        finding = rule.check(request)
        if finding is None:
            continue
        verdicts.append(
            Verdict(
                source=f"policy:{rule.name}",
                action=finding.action,
                mode=rule.mode,
                reason=finding.reason,
                details={"policy": policy.name, **finding.details},
            )
        )
        if rule.mode == "monitor":
            continue
        if finding.action is Action.BLOCK:
            error = _refusal(policy, rule, finding)
            return Decision(Action.BLOCK, request_body, verdicts, policy.name, policy.version, error)
        if finding.transform is not None:
            body = finding.transform(body)
            transformed = True
        withhold_flags = withhold_flags or finding.withhold_flags
    action = Action.TRANSFORM if transformed else Action.ALLOW
    return Decision(action, body, verdicts, policy.name, policy.version, withhold_flags=withhold_flags)
