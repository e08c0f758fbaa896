"""The pre-call step of a request: render a library prompt, then apply the team's policy (a
request through another door meets only the rules that door's requests carry: see `Reach`).

Verdicts of every rule that fired, in enforce or monitor mode, are counted in metrics and written
to the audit log (no prompt text); a block raises the 400 `content_filter` error after that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from gateway.core.types import Principal, Verdict
from gateway.core.use_case_terms import UseCaseFacts
from gateway.ledger.audit import AuditSink
from gateway.metrics import GatewayMetrics
from policies.decision import Decision
from policies.engine import PolicyEngine
from policies.rules.base import Door, Reach
from prompt_library.models import Prompt, PromptVersion
from prompt_library.render import apply_prompt, parse_prompt_reference
from prompt_library.service import resolve_for_use

log = logging.getLogger(__name__)
PROMPT_CACHE_SECONDS = 5.0  # a deprecation takes effect in every process within this time


@dataclass(frozen=True, slots=True)
class PromptUse:
    """Which library prompt a request used, for the usage record and the reuse figure."""

    name: str
    version: int
    version_id: int

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(slots=True)
class Prepared:
    """The body to send upstream and what governance decided on the way."""

    body: dict[str, Any]
    verdicts: list[Verdict] = field(default_factory=list)
    prompt: PromptUse | None = None
    withhold_flags: bool = False  # the policy asks the answer's filters to withhold what they flag


class Governance:
    def __init__(self, engine: Engine, policies: PolicyEngine, metrics: GatewayMetrics, audit: AuditSink) -> None:
        self._engine = engine
        self.policies = policies
        self._metrics = metrics
        self._audit = audit
        self._prompts: dict[tuple[str, int | None], tuple[float, Prompt, PromptVersion]] = {}

    async def _resolve(self, name: str, version: int | None) -> tuple[Prompt, PromptVersion]:
        cached = self._prompts.get((name, version))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        prompt, row = await asyncio.to_thread(resolve_for_use, self._engine, name, version)
        if len(self._prompts) > 10_000:
            self._prompts.clear()
        self._prompts[(name, version)] = (time.monotonic() + PROMPT_CACHE_SECONDS, prompt, row)
        return prompt, row

    async def render_prompt(self, body: dict[str, Any]) -> Prepared:
        """Replace a `prompt` reference by the library version's rendered messages."""
        reference = parse_prompt_reference(body)
        if reference is None:
            return Prepared(body)
        prompt, version = await self._resolve(reference.name, reference.version)
        assert version.id is not None
        rendered = apply_prompt(body, version.template(), reference)
        return Prepared(rendered, prompt=PromptUse(prompt.name, version.version, version.id))

    async def apply_policy(
        self, prepared: Prepared, principal: Principal, use_case: UseCaseFacts | None = None
    ) -> Prepared:
        """Run the team's policy (with the rules the use case adds); records every verdict, then
        raises if an enforced rule blocked."""
        policy = self.policies.current.for_principal(principal)
        used_prompt = prepared.prompt is not None
        if policy.calls_models:
            decision: Decision = await asyncio.to_thread(
                self.policies.decide, prepared.body, principal, used_prompt, use_case
            )
        else:
            decision = self.policies.decide(prepared.body, principal, used_prompt, use_case)
        prepared.body = decision.body
        prepared.verdicts.extend(decision.verdicts)
        prepared.withhold_flags = decision.withhold_flags
        self._record(decision, principal)
        decision.raise_if_blocked()
        return prepared

    async def apply_door_rules(
        self, body: dict[str, Any], principal: Principal, use_case: UseCaseFacts | None, door: Door
    ) -> Decision:
        """The policy's rules that hold on a door without a chat (see `Reach`): embeddings meet the
        caller's, the provider call's and the sent text's rules, moderations the caller's. Every
        verdict is recorded as in `apply_policy`; the caller raises a block."""
        if self.policies.current.for_principal(principal).calls_models and Reach.SENT_TEXT in door:
            decision = await asyncio.to_thread(self.policies.decide, body, principal, False, use_case, door=door)
        else:
            decision = self.policies.decide(body, principal, False, use_case, door=door)
        self._record(decision, principal)
        return decision

    def _record(self, decision: Decision, principal: Principal) -> None:
        """Count and audit every verdict (no prompt text)."""
        for verdict in decision.verdicts:
            self._metrics.policy_verdicts.labels(verdict.source, verdict.mode, verdict.action.value).inc()
            self._audit.record(
                actor=f"key:{principal.key_prefix}",
                action=f"policy.{verdict.action.value}",
                team=principal.team_name,
                target=verdict.source,
                details={"mode": verdict.mode, "policy": decision.policy, "reason": verdict.reason},
                use_case=principal.use_case,
            )
