"""Reading and checking request bodies before anything is sent upstream."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.core.errors import InvalidRequest, PayloadTooLarge
from gateway.core.settings import ROUTING_FIELDS


async def read_json_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object, refusing bodies over `limit` bytes before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
    try:
        body = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise InvalidRequest(
            "We could not parse the JSON body of your request. The body must be a valid JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
    return body


def refuse_routing_fields(body: dict[str, Any]) -> None:
    """Refuse fields that would choose the upstream or its credentials (LiteLLM #31467, #37053)."""
    for name in body:
        if name in ROUTING_FIELDS:
            raise InvalidRequest(
                f"The field '{name}' is not allowed: the gateway chooses where a request goes and with "
                "which credentials.",
                param=name,
                code="forbidden_parameter",
            )


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model", code="missing_required_parameter")
    return model


def check_chat_body(body: dict[str, Any]) -> str:
    """Validate what the gateway itself relies on; the provider validates the rest."""
    refuse_routing_fields(body)
    model = require_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array.", param="messages", code="invalid_type")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise InvalidRequest(
                f"messages[{index}] must be an object with a 'role'.", param=f"messages[{index}]", code="invalid_type"
            )
    if "stream" in body and not isinstance(body["stream"], bool) and body["stream"] is not None:
        raise InvalidRequest("'stream' must be a boolean.", param="stream", code="invalid_type")
    n = body.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1 or n > 128):
        raise InvalidRequest("'n' must be an integer from 1 to 128.", param="n", code="invalid_value")
    return model


def check_embeddings_body(body: dict[str, Any]) -> str:
    refuse_routing_fields(body)
    model = require_model(body)
    value = body.get("input")
    valid = isinstance(value, str) or (isinstance(value, list) and value != [])
    if not valid:
        raise InvalidRequest("'input' must be a string or a non-empty array.", param="input", code="invalid_type")
    return model
