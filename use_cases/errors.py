"""The registry's errors: each a client-facing GatewayError with the right status and code."""

from __future__ import annotations

from gateway.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied


class UseCaseNotFound(NotFound):
    default_code = "use_case_not_found"


class GateNotFound(NotFound):
    default_code = "gate_not_found"


class RegistryConflict(Conflict):
    """A change that contradicts the registry (a name taken, a gate already open or passed)."""


class InvalidUseCase(InvalidRequest):
    """A field names something that does not exist (a team, a person, a model) or a wrong stage."""

    default_code = "invalid_use_case"


class ApprovalRefused(PermissionDenied):
    """The caller does not hold the gate role they approve for, or already approved for another."""

    default_code = "approval_refused"


class UseCaseRefused(PermissionDenied):
    """A request the use case's rules do not allow (its stage, its models); the message says why."""

    default_code = "use_case_refused"
