"""Rule `allowed_models`: the request's model must match one of the listed names or glob patterns."""

from __future__ import annotations

import fnmatch
import re
from typing import ClassVar

from pydantic import Field

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices


class AllowedModelsSettings(RuleSettings):
    """`models`: model group names; `*` globs allowed (e.g. `gpt-4o*`)."""

    type_name: ClassVar[str] = "allowed_models"

    models: list[str] = Field(min_length=1)

    def build(self, name: str, services: PolicyServices) -> AllowedModels:
        return AllowedModels(name, self)


class AllowedModels(CompiledRule):
    stage = Stage.ACCESS
    reach = Reach.PROVIDER_CALL

    def __init__(self, name: str, settings: AllowedModelsSettings) -> None:
        super().__init__(name, settings)
        # One precompiled alternation instead of fnmatch per pattern per request.
        self._pattern = re.compile("|".join(fnmatch.translate(model) for model in settings.models))

    def check(self, request: PolicyRequest) -> Finding | None:
        if self._pattern.fullmatch(request.model):
            return None
        return Finding(Action.BLOCK, f"model {request.model!r} is not allowed by the policy", param="model")
