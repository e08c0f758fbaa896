"""Rule `prompt_injection`: block prompts that try to override instructions or jailbreak the model.

Each named detector scores the normalised prompt; the rule fires when the highest score reaches
`threshold`. `patterns` is the built-in weighted-pattern detector (with the policy's
`extra_patterns` added); any other name is a detector the app registered in PolicyServices
(for example a classifier).
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.core.types import Action
from policies.injection_patterns import BUILTIN_PATTERNS, InjectionPattern, PatternInjectionDetector
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, RuleSettings, Stage
from policies.services import InjectionDetector, MissingService, PolicyServices

BUILTIN_DETECTOR = "patterns"


class ExtraPattern(BaseModel):
    """A pattern a policy adds to the built-in ones (matched on normalised text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    pattern: str
    weight: float = Field(gt=0)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class PromptInjectionSettings(RuleSettings):
    """`threshold`: the score that fires the rule; `detectors`: which detectors score the prompt;
    `extra_patterns`: weighted patterns added to the built-in detector."""

    type_name: ClassVar[str] = "prompt_injection"

    threshold: float = Field(default=0.8, gt=0)
    detectors: list[str] = Field(default_factory=lambda: [BUILTIN_DETECTOR], min_length=1)
    extra_patterns: list[ExtraPattern] = Field(default_factory=list)

    def build(self, name: str, services: PolicyServices) -> PromptInjection:
        detectors: dict[str, InjectionDetector] = {}
        for detector in self.detectors:
            if detector == BUILTIN_DETECTOR:
                extra = [InjectionPattern(p.name, p.pattern, p.weight) for p in self.extra_patterns]
                detectors[detector] = PatternInjectionDetector([*BUILTIN_PATTERNS, *extra])
            elif detector in services.injection_detectors:
                detectors[detector] = services.injection_detectors[detector]
            else:
                raise MissingService(
                    f"rule {name!r} names the injection detector {detector!r}, which is not registered"
                )
        return PromptInjection(name, self, detectors)


class PromptInjection(CompiledRule):
    stage = Stage.CONTENT

    def __init__(self, name: str, settings: PromptInjectionSettings, detectors: dict[str, InjectionDetector]) -> None:
        super().__init__(name, settings)
        self._threshold = settings.threshold
        self._detectors = detectors

    def check(self, request: PolicyRequest) -> Finding | None:
        text = request.normalised_text
        best_name, best = "", None
        for name, detector in self._detectors.items():
            result = detector.score(text)
            if best is None or result.score > best.score:
                best_name, best = name, result
        if best is None or best.score < self._threshold:
            return None
        return Finding(
            Action.BLOCK,
            "the prompt looks like a prompt injection or jailbreak attempt",
            param="messages",
            details={"detector": best_name, "score": best.score, "signals": list(best.signals)},
        )
