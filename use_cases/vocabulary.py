"""The registry's fixed words: lifecycle stages, risk tiers, data classifications, card statuses."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    INTAKE = "intake"
    POC = "poc"
    PILOT = "pilot"
    PRODUCTION = "production"
    MONITOR = "monitor"
    RETIRED = "retired"


# The lifecycle in order; a gate moves a use case one step along it, or retires it from any stage.
LIFECYCLE = tuple(Stage)


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


class GateStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"


def next_stages(current: Stage) -> tuple[Stage, ...]:
    """Where a gate may lead from `current`: the next stage, and retirement from any live stage."""
    if current is Stage.RETIRED:
        return ()
    following = LIFECYCLE[LIFECYCLE.index(current) + 1]
    return (following,) if following is Stage.RETIRED else (following, Stage.RETIRED)
