"""Rule `request_parameters`: forbidden request fields and allowed ranges or values for the others."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices


class ParameterRange(BaseModel):
    """Bounds for a numeric parameter; a missing bound is open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self

    def admits(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class RequestParametersSettings(RuleSettings):
    """`forbidden`: fields that must be absent (e.g. logit_bias); `ranges`: numeric bounds
    (e.g. temperature 0..1); `allowed_values`: the only values a field may take, compared as JSON values."""

    type_name: ClassVar[str] = "request_parameters"

    forbidden: list[str] = Field(default_factory=list)
    ranges: dict[str, ParameterRange] = Field(default_factory=dict)
    allowed_values: dict[str, list[Any]] = Field(default_factory=dict)

    def build(self, name: str, services: PolicyServices) -> RequestParameters:
        return RequestParameters(name, self)


class RequestParameters(CompiledRule):
    stage = Stage.ACCESS
    reach = Reach.PROVIDER_CALL

    def __init__(self, name: str, settings: RequestParametersSettings) -> None:
        super().__init__(name, settings)
        self._forbidden = tuple(settings.forbidden)
        self._ranges = dict(settings.ranges)
        self._allowed_values = dict(settings.allowed_values)

    def check(self, request: PolicyRequest) -> Finding | None:
        body = request.body
        for parameter in self._forbidden:
            if body.get(parameter) is not None:
                return Finding(Action.BLOCK, f"the parameter {parameter!r} is not allowed", param=parameter)
        for parameter, bounds in self._ranges.items():
            value = body.get(parameter)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not bounds.admits(value):
                return Finding(
                    Action.BLOCK,
                    f"the parameter {parameter!r} must be between {bounds.min} and {bounds.max}",
                    param=parameter,
                )
        for parameter, values in self._allowed_values.items():
            value = body.get(parameter)
            if value is not None and value not in values:
                return Finding(
                    Action.BLOCK, f"the parameter {parameter!r} may only be one of {values}", param=parameter
                )
        return None
