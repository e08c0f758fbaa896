"""Rule `approved_prompts_only`: the request must use an approved prompt from the library by reference."""

from __future__ import annotations

from typing import ClassVar

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, RuleSettings, Stage
from policies.services import PolicyServices


class ApprovedPromptsOnlySettings(RuleSettings):
    """No keys of its own: the app tells `evaluate` whether a library prompt was rendered in."""

    type_name: ClassVar[str] = "approved_prompts_only"

    def build(self, name: str, services: PolicyServices) -> ApprovedPromptsOnly:
        return ApprovedPromptsOnly(name, self)


class ApprovedPromptsOnly(CompiledRule):
    stage = Stage.ACCESS

    def check(self, request: PolicyRequest) -> Finding | None:
        if request.used_prompt:
            return None
        return Finding(Action.BLOCK, "the request does not use a prompt from the library", param="prompt")
