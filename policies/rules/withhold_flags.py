"""Rule `withhold_flags`: for the requests it applies to (the default policy: high-risk use cases),
every answer the filters would flag is withheld and queued for review instead of delivered.

It never refuses a request; its verdict says the answer's flags will be withheld (enforce) or
would have been (monitor)."""

from __future__ import annotations

from typing import ClassVar

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, RuleSettings, Stage
from policies.services import PolicyServices


class WithholdFlagsSettings(RuleSettings):
    """No keys of its own: `when` says whose flags are withheld."""

    type_name: ClassVar[str] = "withhold_flags"

    def build(self, name: str, services: PolicyServices) -> WithholdFlags:
        return WithholdFlags(name, self)


class WithholdFlags(CompiledRule):
    stage = Stage.ACCESS

    def check(self, request: PolicyRequest) -> Finding | None:
        details: dict[str, object] = {"use_case": request.use_case.id} if request.use_case else {}
        return Finding(
            Action.TRANSFORM, "flagged answers are withheld for review", details=details, withhold_flags=True
        )
