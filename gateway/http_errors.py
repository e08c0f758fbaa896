"""Gateway errors as HTTP responses: the OpenAI error body, its status and its headers."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from gateway.core.errors import GatewayError, InvalidRequest


def error_response(error: GatewayError) -> Response:
    return Response(
        orjson.dumps(error.body()), status_code=error.status_code, media_type="application/json", headers=error.headers
    )


def internal_error_response() -> Response:
    """An unexpected error: the client learns only that it was logged."""
    return error_response(GatewayError("The gateway hit an internal error; it has been logged.", code="internal_error"))


def method_not_allowed_response(method: str, path: str) -> Response:
    error = InvalidRequest(f"The method {method} is not allowed on {path}.", code="method_not_allowed")
    error.status_code = 405
    return error_response(error)
