"""OpenAI's Responses API (`POST /v1/responses`, `GET /v1/responses/{id}`), as the openai SDKs and
agents call it: read into a chat completion, it takes the one governed path of
`gateway.proxy.chat`, whatever provider serves the model; a stored response can be continued with
`previous_response_id` by keys of the same team. To a deployment whose upstream speaks Responses
the request itself is sent (`responses_native`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.core.chat_view import REASONING_FIELD, custom_arguments, namespaced
from gateway.core.types import Principal
from gateway.proxy.dialects import StreamEncoder
from gateway.proxy.responses_answers import ResponseFrame, ResponsesEncoder, reasoning_item_id, response_object
from gateway.proxy.responses_native import native_responses_request
from gateway.proxy.responses_requests import chat_body, chat_messages, check_responses_request
from gateway.proxy.stored_responses import History, ResponseStore, new_response_id
from gateway.upstream.base import NativeRequest


def _assistant_turn(response: dict[str, Any]) -> dict[str, Any]:
    """A response's output as the chat message that continues the conversation, with its
    provider's reasoning items (REASONING_FIELD). The reasoning item the gateway wrote for a chat
    answer's reasoning text is left out: no upstream would know it, and chat APIs take no
    reasoning text back."""
    output = response["output"]
    text = "".join(part.get("text", "") for item in output if item["type"] == "message" for part in item["content"])
    calls = [
        {
            "id": item["call_id"],
            "type": "function",
            "function": {
                "name": namespaced(item["name"], item.get("namespace")),
                "arguments": item["arguments"] if item["type"] == "function_call" else custom_arguments(item["input"]),
            },
        }
        for item in output
        if item["type"] in ("function_call", "custom_tool_call")
    ]
    turn: dict[str, Any] = {"role": "assistant", "content": text or None}
    made_here = reasoning_item_id(response["id"])
    thoughts = [item for item in output if item["type"] == "reasoning" and item["id"] != made_here]
    if thoughts:
        turn[REASONING_FIELD] = thoughts  # sent back to an upstream that speaks Responses
    if calls:
        turn["tool_calls"] = calls
    elif not text:
        turn["content"] = ""
    return turn


class ResponsesTranslation:
    provider_fields: frozenset[str] = frozenset()

    def __init__(
        self, body: dict[str, Any], principal: Principal, history: History | None, store: ResponseStore
    ) -> None:
        self._history = history
        self._earlier = history.messages if history else []
        self.chat_body = chat_body(body, self._earlier)
        self._body = body
        self._frame = ResponseFrame(body, new_response_id())
        self._principal = principal
        self._store = store if body.get("store", True) else None

    def _save(self, response: dict[str, Any]) -> None:
        """Stores this turn: the caller's own input (not as governance changed it), read here only
        for a response that is kept (a client keeping no state sends all of it), and the answer."""
        if self._store is not None:
            turn = [*chat_messages(None, self._body.get("input"), reasoning=True), _assistant_turn(response)]
            self._store.save(self._principal, response, turn, self._history)

    async def answer(self, completion: dict[str, Any]) -> dict[str, Any]:
        response = response_object(self._frame, completion)
        self._save(response)
        return response

    def stream_encoder(self) -> StreamEncoder:
        return ResponsesEncoder(self._frame, self._save if self._store is not None else None)

    def native_request(self, governed: dict[str, Any], headers: Mapping[str, str]) -> NativeRequest:
        return native_responses_request(self._body, self._earlier, self.chat_body, governed)


class ResponsesDialect:
    endpoint = "responses"

    def __init__(self, store: ResponseStore) -> None:
        self._store = store

    async def read(self, body: dict[str, Any], principal: Principal) -> ResponsesTranslation:
        check_responses_request(body)
        previous = body.get("previous_response_id")
        history = await self._store.history(principal, previous) if previous else None
        return ResponsesTranslation(body, principal, history, self._store)
