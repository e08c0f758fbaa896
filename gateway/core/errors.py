"""Errors in OpenAI's wire format: one exception type per failure, one place that renders them."""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Base of every error the gateway returns to a client."""

    status_code = 500
    error_type = "api_error"
    default_code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(GatewayError):
    status_code = 400
    error_type = "invalid_request_error"


class ContentFiltered(InvalidRequest):
    """A prompt refused by a policy (Azure OpenAI's convention: 400 with code content_filter)."""

    default_code = "content_filter"


class AuthenticationFailed(GatewayError):
    status_code = 401
    error_type = "invalid_request_error"
    default_code = "invalid_api_key"


class PermissionDenied(GatewayError):
    status_code = 403
    error_type = "invalid_request_error"
    default_code = "model_not_allowed"


class NotFound(GatewayError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class ModelNotFound(NotFound):
    default_code = "model_not_found"


class Conflict(GatewayError):
    """The change contradicts what is stored (a name taken, a state that does not allow the step)."""

    status_code = 409
    error_type = "invalid_request_error"
    default_code = "conflict"


class PayloadTooLarge(GatewayError):
    status_code = 413
    error_type = "invalid_request_error"
    default_code = "request_too_large"


class RateLimited(GatewayError):
    status_code = 429
    error_type = "requests"
    default_code = "rate_limit_exceeded"


class QuotaExceeded(GatewayError):
    status_code = 429
    error_type = "insufficient_quota"
    default_code = "insufficient_quota"


class ServiceUnavailable(GatewayError):
    status_code = 503
    error_type = "api_error"
    default_code = "service_unavailable"


class UpstreamError(GatewayError):
    """The provider failed (connection, 5xx after retries, malformed answer)."""

    status_code = 502
    error_type = "api_error"
    default_code = "upstream_error"


class UpstreamTimeout(UpstreamError):
    status_code = 504
    default_code = "upstream_timeout"


class UpstreamRejected(GatewayError):
    """A 4xx from the provider, passed through with its status and (scrubbed) message."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_type: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.status_code = status_code
        self.error_type = error_type or "invalid_request_error"
