"""Rule `experiment_limits`: a use case still experimenting (the default policy applies it to poc
and pilot) may use only models whose card marks them for experimentation, and spend at most
`monthly_spend_usd` per calendar month (UTC)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices

NANOS_PER_USD = 1_000_000_000


class ExperimentLimitsSettings(RuleSettings):
    type_name: ClassVar[str] = "experiment_limits"

    experimental_models_only: bool = True
    monthly_spend_usd: Decimal | None = Field(default=None, ge=0, description="None: no cap")

    def build(self, name: str, services: PolicyServices) -> ExperimentLimits:
        return ExperimentLimits(name, self)


class ExperimentLimits(CompiledRule):
    stage = Stage.ACCESS
    reach = Reach.CALLER

    def __init__(self, name: str, settings: ExperimentLimitsSettings) -> None:
        super().__init__(name, settings)
        self._models_only = settings.experimental_models_only
        cap = settings.monthly_spend_usd
        self._cap_nanos = None if cap is None else int(cap * NANOS_PER_USD)
        self._cap_text = None if cap is None else f"{cap:f}"

    def check(self, request: PolicyRequest) -> Finding | None:
        use_case = request.use_case
        if use_case is None:
            return None
        details: dict[str, object] = {"use_case": use_case.id, "stage": use_case.stage.value}
        if self._models_only and not use_case.model_for_experimentation:
            reason = f"the model {request.model!r} is not marked for experimentation on its card"
            return Finding(Action.BLOCK, reason, param="model", details=details, refusal="forbidden")
        if self._cap_nanos is not None and use_case.month_spend_nanos >= self._cap_nanos:
            reason = f"the use case {use_case.id} has spent its {self._cap_text} USD for this month"
            return Finding(Action.BLOCK, reason, details=details, refusal="quota")
        return None
