"""`POST /v1/moderations`: texts checked against the calling team's output filters (with its
thresholds), answered in OpenAI's moderation format, so a team can test a text against the
company's rules before it calls a model. No provider is called: the request costs nothing, counts
its tokens against the team's rate limits and leaves one ledger row. Like every door, it is
attributed to a use case whose stage and rules apply."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from filters.base import FilterContext
from filters.moderation import moderation_result
from filters.pipeline import FilterPipeline
from gateway.ledger.tokens import TokenCounter, TokenUsage
from gateway.proxy.access import Access
from gateway.proxy.accounting import END_USER_HEADER, Accounting
from gateway.proxy.admission import Admission
from gateway.proxy.fields import Check, array_of, check_fields, invalid_type, invalid_value, shape, string, tagged
from gateway.proxy.http_body import json_response, read_json_body
from policies.rules.base import MODERATIONS_DOOR

# The `model` of every answer: the gateway's filters judge, whatever model the request names.
MODERATION_MODEL = "gateway-filters"


def _image_part(value: Any, path: str) -> None:
    raise invalid_value(path, "image inputs are not supported: the gateway's filters read text only.")


_part = tagged("type", {"text": shape({"type": string(), "text": string()}, ("text",)), "image_url": _image_part})
_strings = array_of(string(), min_items=1)
_parts = array_of(_part, min_items=1)


def _input(value: Any, path: str) -> None:
    """A string, an array of strings, or an array of content parts (not a mix, as in OpenAI's API)."""
    if isinstance(value, str):
        return
    if not isinstance(value, list):
        raise invalid_type(path, "a string or an array", value)
    (_strings if value and isinstance(value[0], str) else _parts)(value, path)


MODERATION_FIELDS: dict[str, Check] = {"input": _input, "model": string()}


def input_texts(value: str | list[Any]) -> list[str]:
    """One text per result: each string of an array, or an array of parts as one text (its parts
    joined by newlines), as OpenAI gives one result for a multi-modal input."""
    if isinstance(value, str):
        return [value]
    if isinstance(value[0], str):
        return list(value)
    return ["\n".join(part["text"] for part in value)]


class Moderations:
    def __init__(
        self,
        *,
        access: Access,
        admission: Admission,
        pipeline: FilterPipeline,
        counter: TokenCounter,
        accounting: Accounting,
        max_request_bytes: int,
    ) -> None:
        self._access = access
        self._admission = admission
        self._pipeline = pipeline
        self._counter = counter
        self._accounting = accounting
        self._max_request_bytes = max_request_bytes

    async def handle(self, request: Request) -> Response:
        books = self._accounting.open("moderations")
        with books.kept():
            principal = await self._access.principal(request)
            books.identify(principal)
            body = await read_json_body(request, self._max_request_bytes)
            books.describe_request(body, request.headers.get(END_USER_HEADER))
            check_fields(body, MODERATION_FIELDS, ("input",), "")
            # The model named is checked against its card (a blocked one is refused on every door).
            # No provider receives the model or the texts: only the caller's rules apply.
            principal, _ = await self._admission.admit_without_chat(
                books,
                request,
                principal,
                body,
                body.get("model") or MODERATION_MODEL,
                MODERATIONS_DOOR,
                answered_here=True,
            )
            texts = input_texts(body["input"])
            tokens = sum(self._counter.count_text(text, MODERATION_MODEL) for text in texts)
            await books.reserve_unpriced(principal, tokens)
            books.used(TokenUsage(tokens, 0, counted=True), None)
            outcomes = await asyncio.gather(
                *(
                    self._pipeline.scan_text(
                        text,
                        FilterContext(
                            team=principal.team_name, request_id=books.request_id, field="input", choice_index=index
                        ),
                    )
                    for index, text in enumerate(texts)
                )
            )
            answer = {
                "id": "modr-" + books.request_id.removeprefix("req_"),
                "model": MODERATION_MODEL,
                "results": [moderation_result(outcome) for outcome in outcomes],
            }
            return json_response(answer, books.headers)
