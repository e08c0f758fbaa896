"""Native passthrough to an upstream that speaks OpenAI's Responses API: the caller's Responses
request, as governance let it through, goes to `<api_base>/responses` (api_base as litellm takes it
for openai/, with its `/v1`) over the fast path's HTTP/1.1 client (`native_http`). The answer is read
into the chat view the filters and the ledger work on (`responses_reading`).

The provider keeps nothing: `store` is always false upstream, since the gateway stores the
response under its own id (and the provider's ids mean nothing to the caller)."""

from __future__ import annotations

from typing import Any

from gateway.upstream.base import Deployment, Json
from gateway.upstream.native_http import EventReader, NativeHttpProvider
from gateway.upstream.responses_reading import ChunkReader, chat_completion

DEFAULT_API_BASE = "https://api.openai.com/v1"


def responses_url(api_base: str | None) -> str:
    base = (api_base or DEFAULT_API_BASE).rstrip("/")
    return base + ("/responses" if base.endswith("/v1") else "/v1/responses")


class OpenAIResponsesProvider(NativeHttpProvider):
    rejection_types = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        409: "conflict_error",
        422: "invalid_request_error",
        429: "rate_limit_error",
    }
    end_events = frozenset({"response.completed", "response.incomplete"})
    error_events = frozenset({"error", "response.failed"})

    def url(self, api_base: str | None) -> str:
        return responses_url(api_base)

    def headers(self, api_key: str | None) -> dict[str, str]:
        return {} if api_key is None else {"Authorization": "Bearer " + api_key}

    def payload(self, deployment: Deployment, body: Json, stream: bool) -> Json:
        return {**super().payload(deployment, body, stream), "store": False}

    def completion(self, answer: Any) -> Json | None:
        return chat_completion(answer) if isinstance(answer.get("output"), list) else None

    def event_reader(self) -> EventReader:
        return ChunkReader()
