"""Rule `max_output_tokens`: a cap on `max_tokens` / `max_completion_tokens`, refused or lowered to the cap."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import Body, CompiledRule, Finding, RuleSettings, Stage
from policies.services import PolicyServices

TOKEN_LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")


class MaxOutputTokensSettings(RuleSettings):
    """`limit`: the cap; `action`: `block` refuses a larger request, `clamp` lowers it to the cap;
    `require`: refuse (or, with clamp, set the cap on) a request that names no limit at all."""

    type_name: ClassVar[str] = "max_output_tokens"

    limit: int = Field(gt=0)
    action: Literal["block", "clamp"] = "block"
    require: bool = False

    def build(self, name: str, services: PolicyServices) -> MaxOutputTokens:
        return MaxOutputTokens(name, self)


class MaxOutputTokens(CompiledRule):
    stage = Stage.ACCESS

    def __init__(self, name: str, settings: MaxOutputTokensSettings) -> None:
        super().__init__(name, settings)
        self._limit = settings.limit
        self._clamp = settings.action == "clamp"
        self._require = settings.require

    def check(self, request: PolicyRequest) -> Finding | None:
        asked = {field: request.body[field] for field in TOKEN_LIMIT_FIELDS if request.body.get(field) is not None}
        too_high = [field for field, value in asked.items() if not isinstance(value, int) or value > self._limit]
        if not too_high and (asked or not self._require):
            return None
        param = too_high[0] if too_high else "max_tokens"
        reason = (
            f"{param} exceeds the cap of {self._limit}"
            if too_high
            else f"a max_tokens of at most {self._limit} is required"
        )
        if not self._clamp:
            return Finding(Action.BLOCK, reason, param=param)
        fields = too_high or ["max_tokens"]
        return Finding(
            Action.TRANSFORM, reason, param=param, details={"cap": self._limit}, transform=self._clamped(fields)
        )

    def _clamped(self, fields: list[str]) -> Any:
        def transform(body: Body) -> Body:
            return {**body, **dict.fromkeys(fields, self._limit)}

        return transform
