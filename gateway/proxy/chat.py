"""A chat completion from request to ledger: governance before the call, limits, the upstream call
(plain or streamed), and the books closed whatever way the request ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from gateway.core.errors import GatewayError, PermissionDenied
from gateway.core.types import Principal
from gateway.ledger.stream import StreamUsageTracker, client_wants_usage, with_usage_requested
from gateway.proxy.accounting import END_USER_HEADER, RequestBooks
from gateway.proxy.answer_filter import REVIEW_HEADER, filter_answer
from gateway.proxy.http_body import read_json_body
from gateway.proxy.openai_requests import check_chat_request, model_of
from gateway.proxy.stream_filter import StreamFilter
from gateway.proxy.streaming import DONE, EventStreamResponse, sse_error, sse_event
from gateway.routes.deps import authenticate
from gateway.state import GatewayState
from gateway.upstream.base import ChunkBatches, Deployment


def authorise_model(state: GatewayState, principal: Principal, group: str) -> None:
    state.router.require_group(group)
    if not principal.may_use(group):
        raise PermissionDenied(
            f"Your team '{principal.team_name}' is not allowed to use the model '{group}'.", param="model"
        )


def json_response(payload: object, headers: dict[str, str]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json", headers=headers)


async def handle_chat(state: GatewayState, request: Request) -> Response:
    books = RequestBooks(state, "chat")
    streaming = False
    try:
        principal = await authenticate(request)
        books.identify(principal)
        body = await read_json_body(request, state.settings.max_request_bytes)
        books.describe_request(body, request.headers.get(END_USER_HEADER))
        prepared = await state.governance.render_prompt(body)
        if prepared.prompt is not None:
            books.used_prompt(prepared.prompt)
        group = check_chat_request(prepared.body, state.router.extra_params(model_of(prepared.body)))
        authorise_model(state, principal, group)
        try:
            prepared = await state.governance.apply_policy(prepared, principal)
        finally:
            books.add_verdicts(prepared.verdicts)
        body = prepared.body
        deployment = state.router.require_group(group)[0]  # the group's first: the price budgets reserve at
        model = deployment.params.upstream_model
        await books.reserve(
            principal,
            body,
            deployment,
            lambda: state.counter.count_messages(body["messages"], model, body.get("tools")),
        )
        if body.get("stream"):
            response = await _open_stream(state, books, principal, group, body)
            streaming = True
            return response
        answer = await state.router.chat(group, body, books.route)
        books.used(state.counter.usage_of_response(answer, body["messages"], model), books.route.deployment)
        filtered = await filter_answer(
            state, principal, answer, request_id=books.request_id, model=group, prompt_ref=books.prompt_ref
        )
        books.add_verdicts(filtered.verdicts)
        if filtered.review_id is not None:
            books.headers[REVIEW_HEADER] = filtered.review_id
        return json_response(filtered.body, books.headers)
    except GatewayError as error:
        books.failed(error)
        raise
    except Exception:
        books.crashed()
        raise
    finally:
        if not streaming:
            books.close()


async def _open_stream(
    state: GatewayState, books: RequestBooks, principal: Principal, group: str, body: dict[str, Any]
) -> Response:
    books.event.streamed = True
    batches = await state.router.open_stream(group, with_usage_requested(body), books.route)
    deployment = books.route.deployment
    assert deployment is not None
    tracker = StreamUsageTracker(
        state.counter, deployment.params.upstream_model, body, forward_usage_chunk=client_wants_usage(body)
    )
    guard = StreamFilter(state, principal, request_id=books.request_id, model=group, prompt_ref=books.prompt_ref)
    relay = StreamRelay(state, books, batches, tracker, guard, deployment)
    return EventStreamResponse(relay.events(), headers=books.headers, on_close=relay.finish)


class StreamRelay:
    """Forwards one upstream stream to the client and closes its books exactly once, however it
    ends: completed, failed upstream, or the client gone (even before the first byte)."""

    def __init__(
        self,
        state: GatewayState,
        books: RequestBooks,
        batches: ChunkBatches,
        tracker: StreamUsageTracker,
        guard: StreamFilter,
        deployment: Deployment,
    ) -> None:
        self._state = state
        self._books = books
        self._batches = batches
        self._tracker = tracker
        self._guard = guard
        self._deployment = deployment
        self._finished = False
        self._closed = False
        state.metrics.streams_open.inc()

    async def events(self) -> AsyncIterator[bytes]:
        """Frames upstream chunks once the filters released them; a failure mid-stream ends with
        an error event (and what the filters still held is never sent)."""
        try:
            async for batch in self._batches:
                released = await self._guard.process(self._tracker.feed_batch(batch))
                if released:
                    self._books.first_token()
                    yield b"".join(sse_event(payload) for payload in released)
            tail = await self._guard.close()
            self._books.add_verdicts(self._guard.verdicts)
            self._finished = True
            yield b"".join(sse_event(payload) for payload in tail) + DONE
        except GatewayError as error:
            self._finished = True
            self._books.failed(error)
            yield sse_error(error)

    async def finish(self) -> None:
        """A client that left is charged for what was generated until then."""
        if self._closed:
            return
        self._closed = True
        self._state.metrics.streams_open.dec()
        if not self._finished:
            self._books.event.disconnected = True
            self._state.metrics.client_disconnects.inc()
        await self._batches.aclose()  # type: ignore[attr-defined]
        self._books.used(self._tracker.usage(), self._deployment)
        self._books.close()
