"""Anthropic's Messages API (`POST /v1/messages`, `POST /v1/messages/count_tokens`), as Claude Code
and the anthropic SDKs call it with a gateway key in `x-api-key`: read into a chat completion, it
takes the one governed path of `gateway.proxy.chat`, whatever provider serves the model. To a
deployment whose upstream speaks Messages the request itself is sent (`messages_native`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.core.types import Principal
from gateway.ledger.tokens import TokenCounter
from gateway.proxy.access import Access
from gateway.proxy.dialects import StreamEncoder
from gateway.proxy.http_body import json_response, read_json_body
from gateway.proxy.messages_answers import MessagesEncoder, message
from gateway.proxy.messages_native import native_messages_request
from gateway.proxy.messages_requests import (
    PROVIDER_FIELDS,
    chat_body,
    chat_messages,
    chat_tools,
    check_messages_request,
)
from gateway.proxy.openai_requests import model_of
from gateway.upstream.base import NativeRequest
from gateway.upstream.router import Router


class MessagesTranslation:
    provider_fields = PROVIDER_FIELDS

    def __init__(self, body: dict[str, Any]) -> None:
        self._model = body["model"]
        self._body = body
        self.chat_body = chat_body(body)

    async def answer(self, completion: dict[str, Any]) -> dict[str, Any]:
        return message(completion, self._model)

    def stream_encoder(self) -> StreamEncoder:
        return MessagesEncoder(self._model)

    def native_request(self, governed: dict[str, Any], headers: Mapping[str, str]) -> NativeRequest:
        return native_messages_request(self._body, self.chat_body, governed, headers)


class MessagesDialect:
    endpoint = "messages"

    async def read(self, body: dict[str, Any], principal: Principal) -> MessagesTranslation:
        check_messages_request(body)
        return MessagesTranslation(body)


class MessageTokens:
    """`count_tokens`: the prompt's tokens as the gateway counts them for limits (tiktoken), for
    clients that size their context before they send it."""

    def __init__(self, access: Access, router: Router, counter: TokenCounter, max_request_bytes: int) -> None:
        self._access = access
        self._router = router
        self._counter = counter
        self._max_request_bytes = max_request_bytes

    async def handle(self, request: Request) -> Response:
        principal = await self._access.principal(request)
        body = await read_json_body(request, self._max_request_bytes)
        check_messages_request(body, count_only=True)
        group = model_of(body)
        self._access.authorise_model(principal, group)
        model = self._router.require_group(group)[0].params.upstream_model
        tokens = self._counter.count_messages(chat_messages(body), model, chat_tools(body))
        return json_response({"input_tokens": tokens}, {})
