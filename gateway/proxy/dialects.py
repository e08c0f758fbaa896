"""The APIs a chat completion can be asked for in. Each request in another API's shape (Responses,
Messages) is read into a chat completions body, goes through the one governed path of
`gateway.proxy.chat`, and its answer (plain or streamed, already filtered) is written back in the
caller's API. A `Dialect` reads a request; the `Translation` it returns writes the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gateway.core.chat_view import REVIEW_ID_FIELD
from gateway.core.errors import GatewayError
from gateway.core.types import Principal
from gateway.proxy.streaming import DONE, sse_error, sse_events
from gateway.upstream.base import NativeRequest


class StreamEncoder(Protocol):
    def events(self, payloads: list[bytes]) -> bytes:
        """The caller's events for chat chunks the filters released."""
        ...

    def end(self, payloads: list[bytes]) -> bytes:
        """The last released chunks (review id and usage among them), then the stream's end."""
        ...

    def error(self, error: GatewayError) -> bytes:
        """The event that ends a stream that failed."""
        ...


class Translation(Protocol):
    chat_body: dict[str, Any]
    # Fields of the caller's API that its chat body carries and only its own providers take
    # (Messages' top_k): refused as unsupported, not unknown, by a model asked in chat.
    provider_fields: frozenset[str]

    async def answer(self, completion: dict[str, Any]) -> dict[str, Any]:
        """The filtered chat completion as the caller's API returns it."""
        ...

    def stream_encoder(self) -> StreamEncoder: ...

    def native_request(self, governed: dict[str, Any], headers: Mapping[str, str]) -> NativeRequest | None:
        """The request in its own API, as governance let it through (`governed` is the chat body
        after it, `headers` the caller's), for deployments whose upstream speaks that API; None
        where only chat applies."""
        ...


class Dialect(Protocol):
    endpoint: str  # as the ledger names it

    async def read(self, body: dict[str, Any], principal: Principal) -> Translation:
        """The request as a chat completions body; InvalidRequest for what its API does not define."""
        ...


class ChatEncoder:
    """Chat completions' own stream: each chunk as a server-sent event, then `[DONE]`."""

    def events(self, payloads: list[bytes]) -> bytes:
        return sse_events(payloads)

    def end(self, payloads: list[bytes]) -> bytes:
        return self.events(payloads) + DONE

    def error(self, error: GatewayError) -> bytes:
        return sse_error(error)


class ChatTranslation:
    provider_fields: frozenset[str] = frozenset()

    def __init__(self, body: dict[str, Any]) -> None:
        self.chat_body = body

    async def answer(self, completion: dict[str, Any]) -> dict[str, Any]:
        return completion

    def stream_encoder(self) -> StreamEncoder:
        return ChatEncoder()

    def native_request(self, governed: dict[str, Any], headers: Mapping[str, str]) -> NativeRequest | None:
        return None


class ChatDialect:
    endpoint = "chat"

    async def read(self, body: dict[str, Any], principal: Principal) -> Translation:
        return ChatTranslation(body)


class StreamTail:
    """What a chat stream carries besides its answer, for the APIs that report it at the end: the
    usage (its last chunk) and the review id (the screen's closing chunk)."""

    def __init__(self) -> None:
        self.usage: dict[str, Any] | None = None
        self.review_id: str | None = None

    def first_choice(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        """The chunk's choices of the first answer (the other APIs have one); notes the rest."""
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if chunk.get(REVIEW_ID_FIELD):
            self.review_id = chunk[REVIEW_ID_FIELD]
        return [choice for choice in chunk.get("choices") or [] if int(choice.get("index", 0)) == 0]
