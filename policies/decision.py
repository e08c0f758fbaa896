"""The pre-call decision: run a compiled policy's rules over a request → allow, transform or block.

Rules in `monitor` mode are evaluated and reported exactly like enforced ones, but neither block
nor change the request. The first enforced block ends the evaluation (later rules cannot change
the outcome, and the PII detector is the expensive one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.core.errors import ContentFiltered
from gateway.core.types import Action, Principal, Verdict
from policies.compiled import CompiledPolicy
from policies.request import PolicyRequest


@dataclass(slots=True)
class Decision:
    """The outcome: `action` is ALLOW, TRANSFORM or BLOCK; `body` is what to send upstream."""

    action: Action
    body: dict[str, Any]
    verdicts: list[Verdict]
    policy: str
    version: str
    error: ContentFiltered | None = None

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    def raise_if_blocked(self) -> None:
        """Raise the 400 `content_filter` error of a blocked request (OpenAI's error format)."""
        if self.error is not None:
            raise self.error


def evaluate(policy: CompiledPolicy, request_body: dict[str, Any], principal: Principal, used_prompt: bool) -> Decision:
    """Decide on one chat request; `used_prompt` says the app rendered a library prompt into it.

    `request_body` is never modified: a transform returns a new body in `Decision.body`.
    """
    request = PolicyRequest(request_body, principal, used_prompt)
    body = request_body
    verdicts: list[Verdict] = []
    transformed = False
    for rule in policy.rules:
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
            message = rule.message or finding.reason
            error = ContentFiltered(
                f"The request was blocked by policy {policy.name!r}, rule {rule.name!r}: {message}", param=finding.param
            )
            return Decision(Action.BLOCK, request_body, verdicts, policy.name, policy.version, error)
        if finding.transform is not None:
            body = finding.transform(body)
            transformed = True
    action = Action.TRANSFORM if transformed else Action.ALLOW
    return Decision(action, body, verdicts, policy.name, policy.version)
