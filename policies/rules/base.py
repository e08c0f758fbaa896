"""The rule protocol: a validated YAML section that builds a compiled rule, which checks a request.

A rule file defines two things: a `RuleSettings` subclass (its YAML keys, validated by pydantic,
with `type_name` naming it in policy files) and the compiled rule its `build` returns, whose
`check` looks at a request and returns a `Finding` when the rule fires, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from gateway.core.types import Action
from gateway.core.use_case_terms import DataClass, RiskTier, UseCaseFacts
from gateway.core.use_case_terms import Stage as LifecycleStage
from policies.request import PolicyRequest
from policies.services import PolicyServices

Body = dict[str, Any]
Mode = Literal["enforce", "monitor"]
# How an enforced block is answered: 400 content_filter (the prompt), 403 (the use case may not do
# this), 429 insufficient_quota (the use case's spend cap).
Refusal = Literal["content_filter", "forbidden", "quota"]


class Stage(IntEnum):
    """When a rule runs: checks on the request's shape, then its content, then the transforms.

    Content checks see the client's own text (before redaction or an added system prompt), and
    redaction offsets refer to the messages as the client sent them.
    """

    ACCESS = 0  # model, parameters, limits, approved prompts
    CONTENT = 1  # deny-list, injection
    REDACT = 2  # input PII
    SHAPE = 3  # required system prompt


class Reach(StrEnum):
    """What of a request a rule judges, hence which doors it holds on (see `Door`)."""

    CALLER = "caller"  # the caller, its use case, the model's card: every door
    PROVIDER_CALL = "provider_call"  # the model and parameters a provider is called with
    SENT_TEXT = "sent_text"  # the text a provider receives: a chat's messages, embeddings' input
    CHAT = "chat"  # a chat's shape, prompts, limits or answers: only doors with a chat


Door = frozenset[Reach]
# Moderations are answered by the gateway's own filters: no provider receives the model or the text.
CHAT_DOOR: Door = frozenset(Reach)
EMBEDDINGS_DOOR: Door = frozenset({Reach.CALLER, Reach.PROVIDER_CALL, Reach.SENT_TEXT})
MODERATIONS_DOOR: Door = frozenset({Reach.CALLER})


@dataclass(slots=True)
class Finding:
    """What a rule found. A TRANSFORM or REDACT finding carries the function that rewrites the body."""

    action: Action
    reason: str
    param: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    transform: Callable[[Body], Body] | None = None
    refusal: Refusal = "content_filter"
    withhold_flags: bool = False  # enforced: the answer's filters withhold what they would flag


class Rule(Protocol):
    """A compiled rule: built once per policy version, then called for every request."""

    name: str
    mode: Mode
    message: str

    @property
    def stage(self) -> Stage:
        """When the rule runs relative to the others."""
        ...

    @property
    def reach(self) -> Reach:
        """What the rule judges: it holds on the doors whose requests carry that."""
        ...

    def applies(self, request: PolicyRequest) -> bool:
        """False when the rule's `when` names use cases this request's is not (or it has none)."""
        ...

    def check(self, request: PolicyRequest) -> Finding | None:
        """A finding when the rule fires on `request`, else None; never mutates the request."""
        ...


class UseCaseCondition(BaseModel):
    """`when:` of a rule: it applies only to requests whose use case has one of the listed stages,
    tiers and data classifications (a list left out matches any). A request without a use case
    matches no condition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stages: frozenset[LifecycleStage] | None = None
    risk_tiers: frozenset[RiskTier] | None = None
    data_classifications: frozenset[DataClass] | None = None

    def matches(self, use_case: UseCaseFacts | None) -> bool:
        if use_case is None:
            return False
        return (
            (self.stages is None or use_case.stage in self.stages)
            and (self.risk_tiers is None or use_case.risk_tier in self.risk_tiers)
            and (self.data_classifications is None or use_case.data_classification in self.data_classifications)
        )


class RuleSettings(BaseModel):
    """The keys every rule has in a policy file; each rule type adds its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type_name: ClassVar[str]

    type: str
    mode: Mode = "enforce"
    message: str = ""
    when: UseCaseCondition | None = None

    def build(self, name: str, services: PolicyServices) -> Rule:
        """The compiled rule (regexes compiled, tokenizer loaded) for the rule named `name`."""
        raise NotImplementedError


class CompiledRule:
    """A convenient base for compiled rules: keeps the name, mode and message from the settings."""

    stage: ClassVar[Stage] = Stage.ACCESS
    reach: ClassVar[Reach] = Reach.CHAT

    def __init__(self, name: str, settings: RuleSettings) -> None:
        self.name = name
        self.mode: Mode = settings.mode
        self.message = settings.message
        self.when = settings.when

    def applies(self, request: PolicyRequest) -> bool:
        return self.when is None or self.when.matches(request.use_case)

    def check(self, request: PolicyRequest) -> Finding | None:
        raise NotImplementedError
