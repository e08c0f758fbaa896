"""The lifecycle's order and the states of a gate (the shared terms live in gateway.core.use_case_terms)."""

from __future__ import annotations

from enum import StrEnum

from gateway.core.use_case_terms import Stage

# The lifecycle in order; a gate moves a use case one step along it, or retires it from any stage.
LIFECYCLE = tuple(Stage)


class GateStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"


def next_stages(current: Stage) -> tuple[Stage, ...]:
    """Where a gate may lead from `current`: the next stage, and retirement from any live stage."""
    if current is Stage.RETIRED:
        return ()
    following = LIFECYCLE[LIFECYCLE.index(current) + 1]
    return (following,) if following is Stage.RETIRED else (following, Stage.RETIRED)
