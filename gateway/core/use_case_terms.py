"""The words the use case registry and the policy rules share: lifecycle stages, risk tiers, data
classifications, model card statuses, and the facts a rule sees about a request's use case."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    INTAKE = "intake"
    POC = "poc"
    PILOT = "pilot"
    PRODUCTION = "production"
    MONITOR = "monitor"
    RETIRED = "retired"


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class DataClass(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class CardStatus(StrEnum):
    APPROVED = "approved"
    EXPERIMENTAL = "experimental"
    DEPRECATED = "deprecated"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class UseCaseFacts:
    """What the policy rules know about a request's use case and the card of the model it asks for."""

    id: str
    stage: Stage
    risk_tier: RiskTier
    data_classification: DataClass
    # From the requested model's card; a model without a card allows nothing and is not experimental.
    model_for_experimentation: bool = False
    model_allows: frozenset[DataClass] = frozenset()
    # The use case's spend this calendar month (UTC), as the process last read it from the ledger.
    month_spend_nanos: int = 0
