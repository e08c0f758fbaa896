"""A chat completion from request to ledger: governance before the call, limits, the upstream call
(plain or streamed), the answer's filters, and the books closed whatever way the request ends.

Every API that asks for a chat (chat completions, Responses, Messages) takes this one path: its
`Dialect` reads the request into a chat body and writes the filtered answer back in its shape. A
deployment whose upstream speaks the caller's API is sent the caller's request itself (governed),
and its provider hands back the chat view of the answer, so filters and books read one shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from filters.answer_screen import screen_answer
from filters.screening import Screening
from filters.stream_screen import StreamScreen
from gateway.core.errors import GatewayError
from gateway.core.types import Principal
from gateway.ledger.stream import StreamUsageTracker, client_wants_usage, with_usage_requested
from gateway.ledger.tokens import TokenCounter
from gateway.metrics import GatewayMetrics
from gateway.proxy.access import Access
from gateway.proxy.accounting import END_USER_HEADER, Accounting, RequestBooks
from gateway.proxy.admission import Admission
from gateway.proxy.dialects import ChatDialect, Dialect, StreamEncoder
from gateway.proxy.governance import Governance
from gateway.proxy.http_body import json_response, read_json_body
from gateway.proxy.openai_requests import check_chat_request, model_of
from gateway.proxy.streaming import EventStreamResponse
from gateway.upstream.base import ChunkBatches, Deployment, NativeRequest
from gateway.upstream.router import Router

REVIEW_HEADER = "x-gateway-review-id"
CHAT = ChatDialect()


class ChatCompletions:
    def __init__(
        self,
        *,
        access: Access,
        admission: Admission,
        governance: Governance,
        router: Router,
        counter: TokenCounter,
        accounting: Accounting,
        screening: Screening,
        metrics: GatewayMetrics,
        max_request_bytes: int,
    ) -> None:
        self._access = access
        self._admission = admission
        self._governance = governance
        self._router = router
        self._counter = counter
        self._accounting = accounting
        self._screening = screening
        self._metrics = metrics
        self._max_request_bytes = max_request_bytes

    async def handle(self, request: Request, dialect: Dialect = CHAT) -> Response:
        books = self._accounting.open(dialect.endpoint)
        with books.kept():
            principal = await self._access.principal(request)
            books.identify(principal)
            translation = await dialect.read(await read_json_body(request, self._max_request_bytes), principal)
            body = translation.chat_body
            books.describe_request(body, request.headers.get(END_USER_HEADER))
            prepared = await self._governance.render_prompt(body)
            if prepared.prompt is not None:
                books.used_prompt(prepared.prompt)
            extras = self._router.extra_params(model_of(prepared.body))
            group = check_chat_request(prepared.body, extras, translation.provider_fields)
            self._access.authorise_model(principal, group)
            principal, prepared = await self._admission.admit_chat(books, request, principal, prepared, group)
            body = prepared.body
            deployment = self._router.require_group(group)[0]  # the group's first: the price budgets reserve at
            model = deployment.params.upstream_model
            await books.reserve(
                principal,
                body,
                deployment,
                lambda: self._counter.count_messages(body["messages"], model, body.get("tools")),
            )
            native = translation.native_request(body, request.headers)
            if body.get("stream"):
                return await self._open_stream(
                    books, principal, group, body, native, translation.stream_encoder(), prepared.withhold_flags
                )
            answer = await self._router.chat(group, body, books.route, native)
            books.used(self._counter.usage_of_response(answer, body["messages"], model), books.route.deployment)
            screened = await screen_answer(
                self._screening,
                principal,
                answer,
                request_id=books.request_id,
                model=group,
                prompt_ref=books.prompt_ref,
                withhold_flags=prepared.withhold_flags,
                messages=body.get("messages"),
            )
            books.add_verdicts(screened.verdicts)
            if screened.review_id is not None:
                books.headers[REVIEW_HEADER] = screened.review_id
            return json_response(await translation.answer(screened.body), books.headers)

    async def _open_stream(
        self,
        books: RequestBooks,
        principal: Principal,
        group: str,
        body: dict[str, Any],
        native: NativeRequest | None,
        encoder: StreamEncoder,
        withhold_flags: bool,
    ) -> Response:
        books.event.streamed = True
        batches = await self._router.open_stream(group, with_usage_requested(body), books.route, native)
        deployment = books.route.deployment
        assert deployment is not None
        tracker = StreamUsageTracker(
            self._counter, deployment.params.upstream_model, body, forward_usage_chunk=client_wants_usage(body)
        )
        screen = StreamScreen(
            self._screening,
            principal,
            request_id=books.request_id,
            model=group,
            prompt_ref=books.prompt_ref,
            withhold_flags=withhold_flags,
            messages=body.get("messages"),
        )
        relay = StreamRelay(self._metrics, books, batches, tracker, screen, deployment, encoder)
        books.close_when_stream_ends()
        return EventStreamResponse(relay.events(), headers=books.headers, on_close=relay.finish)


class StreamRelay:
    """Forwards one upstream stream to the client and closes its books exactly once, however it
    ends: completed, failed upstream, or the client gone (even before the first byte)."""

    def __init__(
        self,
        metrics: GatewayMetrics,
        books: RequestBooks,
        batches: ChunkBatches,
        tracker: StreamUsageTracker,
        screen: StreamScreen,
        deployment: Deployment,
        encoder: StreamEncoder,
    ) -> None:
        self._metrics = metrics
        self._books = books
        self._batches = batches
        self._tracker = tracker
        self._screen = screen
        self._deployment = deployment
        self._encoder = encoder
        self._finished = False
        self._closed = False
        metrics.streams_open.inc()

    async def events(self) -> AsyncIterator[bytes]:
        """Frames upstream chunks once the filters released them; a failure mid-stream ends with
        an error event (and what the filters still held is never sent)."""
        try:
            async for batch in self._batches:
                released = await self._screen.process(self._tracker.feed_batch(batch))
                if released:
                    self._books.first_token()
                    frames = self._encoder.events(released)
                    if frames:
                        yield frames
            tail = await self._screen.close()
            self._books.add_verdicts(self._screen.verdicts)
            self._finished = True
            yield self._encoder.end(tail)
        except GatewayError as error:
            self._finished = True
            self._books.failed(error)
            yield self._encoder.error(error)

    async def finish(self) -> None:
        """A client that left is charged for what was generated until then."""
        if self._closed:
            return
        self._closed = True
        self._metrics.streams_open.dec()
        if not self._finished:
            self._books.event.disconnected = True
            self._metrics.client_disconnects.inc()
        await self._batches.aclose()  # type: ignore[attr-defined]
        self._books.used(self._tracker.usage(), self._deployment)
        self._books.close()
