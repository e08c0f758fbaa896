"""Rule `use_case_stage`: refuse (403) every request of a use case this rule applies to, naming its
stage. The default policy applies it with `when: {stages: [intake, retired]}`."""

from __future__ import annotations

from typing import ClassVar

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices


class UseCaseStageSettings(RuleSettings):
    """No keys of its own: `when` says which stages may not call models."""

    type_name: ClassVar[str] = "use_case_stage"

    def build(self, name: str, services: PolicyServices) -> UseCaseStage:
        return UseCaseStage(name, self)


class UseCaseStage(CompiledRule):
    stage = Stage.ACCESS
    reach = Reach.CALLER

    def check(self, request: PolicyRequest) -> Finding | None:
        use_case = request.use_case
        if use_case is None:
            return None
        return Finding(
            Action.BLOCK,
            f"the use case {use_case.id} is in stage {use_case.stage.value}",
            details={"use_case": use_case.id, "stage": use_case.stage.value},
            refusal="forbidden",
        )
