"""The prompt library's errors: each a client-facing GatewayError with the right status and code."""

from __future__ import annotations

from gateway.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied


class PromptNotFound(NotFound):
    """No prompt (or version) of that name that the caller may see."""

    default_code = "prompt_not_found"


class PromptConflict(Conflict):
    """A change to a prompt that contradicts what is stored."""


class PromptExists(PromptConflict):
    default_code = "prompt_exists"


class InvalidTransition(PromptConflict):
    """A workflow step from the wrong state, e.g. approving a draft that was never submitted."""

    default_code = "invalid_state"


class SelfApprovalRefused(PermissionDenied):
    """The author of a version tried to approve it: approval needs a second person."""

    default_code = "self_approval"


class NotPromptOwner(PermissionDenied):
    """Only the owner team may add versions to a prompt or submit them for review."""

    default_code = "not_prompt_owner"


class InvalidTemplate(InvalidRequest):
    """A proposed template is malformed (unknown placeholder, bad default, …); `param` says where."""

    default_code = "invalid_prompt_template"


class InvalidPromptVariables(InvalidRequest):
    """The variables of a request's `prompt` are missing, unknown or of the wrong type."""

    default_code = "invalid_prompt_variables"


class PromptNotUsable(InvalidRequest):
    """The referenced version exists but is not approved (a draft, in review, rejected or deprecated)."""

    default_code = "prompt_not_approved"
