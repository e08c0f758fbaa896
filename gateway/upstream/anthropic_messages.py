"""Native passthrough to an upstream that speaks Anthropic's Messages API: the caller's Messages
request, as governance let it through, goes to `<api_base>/v1/messages` unchanged (no translation
to chat and back by litellm), over the fast path's HTTP/1.1 client (`native_http`). The answer is
read into the chat view the filters and the ledger work on (`anthropic_reading`)."""

from __future__ import annotations

from typing import Any

from gateway.upstream.anthropic_reading import ChunkReader, chat_completion
from gateway.upstream.base import Json
from gateway.upstream.native_http import EventReader, NativeHttpProvider

DEFAULT_API_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


def messages_url(api_base: str | None) -> str:
    """`api_base` as litellm takes it for anthropic/ (the host, or the host and `/v1`)."""
    base = (api_base or DEFAULT_API_BASE).rstrip("/")
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


class AnthropicMessagesProvider(NativeHttpProvider):
    own_params = frozenset({"top_k", "inference_geo"})
    rejection_types = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
    }
    end_events = frozenset({"message_stop"})
    error_events = frozenset({"error"})

    def url(self, api_base: str | None) -> str:
        return messages_url(api_base)

    def headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key is not None:
            headers["x-api-key"] = api_key
        return headers

    def completion(self, answer: Any) -> Json | None:
        return chat_completion(answer) if isinstance(answer.get("content"), list) else None

    def event_reader(self) -> EventReader:
        return ChunkReader()
