"""The OpenAI-compatible endpoints: chat completions (plain and streamed), embeddings, models."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gateway.core.errors import GatewayError, PermissionDenied
from gateway.core.types import Principal
from gateway.http_body import check_chat_body, check_embeddings_body, read_json_body
from gateway.routes.deps import authenticate, gateway_state
from gateway.state import GatewayState
from gateway.streaming import DONE, EventStreamResponse, sse_error, sse_event
from gateway.upstream.base import ChunkBatches
from gateway.upstream.router import CallReport

router = APIRouter()


def _json(payload: object, headers: dict[str, str]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json", headers=headers)


def _authorise_model(state: GatewayState, principal: Principal, group: str) -> None:
    state.router.require_group(group)
    if not principal.may_use(group):
        raise PermissionDenied(
            f"Your team '{principal.team_name}' is not allowed to use the model '{group}'.", param="model"
        )


def _count(state: GatewayState, route: str, group: str, status: int, report: CallReport | None) -> None:
    state.metrics.requests.labels(route, group, str(status)).inc()
    if report is not None:
        if report.retries:
            state.metrics.retries.labels(group).inc(report.retries)
        for fallback in report.fallbacks:
            state.metrics.fallbacks.labels(group, fallback).inc()


@router.post("/v1/chat/completions")
@router.post("/chat/completions", include_in_schema=False)
async def chat_completions(request: Request) -> Response:
    state = gateway_state(request)
    request_id = "req_" + uuid.uuid4().hex
    principal = await authenticate(request)
    body = await read_json_body(request, state.settings.max_request_bytes)
    group = check_chat_body(body)
    _authorise_model(state, principal, group)
    headers = {"x-request-id": request_id}
    if body.get("stream"):
        routed = await state.router.open_stream(group, body)
        _count(state, "chat", group, 200, routed.report)
        return EventStreamResponse(_forward(state, routed.value), headers=headers)
    started = time.perf_counter()
    routed_answer = await state.router.chat(group, body)
    state.metrics.latency.labels("chat").observe(time.perf_counter() - started)
    _count(state, "chat", group, 200, routed_answer.report)
    return _json(routed_answer.value, headers)


async def _forward(state: GatewayState, chunks: ChunkBatches) -> AsyncIterator[bytes]:
    """Frames upstream chunks as they arrive; an upstream failure mid-stream ends with an error event."""
    state.metrics.streams_open.inc()
    finished = False
    try:
        async for batch in chunks:
            yield b"".join(sse_event(payload) for payload in batch)
        finished = True
        yield DONE
    except GatewayError as error:
        finished = True
        yield sse_error(error)
    finally:
        state.metrics.streams_open.dec()
        if not finished:
            state.metrics.client_disconnects.inc()
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


@router.post("/v1/embeddings")
@router.post("/embeddings", include_in_schema=False)
async def embeddings(request: Request) -> Response:
    state = gateway_state(request)
    principal = await authenticate(request)
    body = await read_json_body(request, state.settings.max_request_bytes)
    group = check_embeddings_body(body)
    _authorise_model(state, principal, group)
    routed = await state.router.embeddings(group, body)
    _count(state, "embeddings", group, 200, routed.report)
    return _json(routed.value, {"x-request-id": "req_" + uuid.uuid4().hex})


@router.get("/v1/models")
@router.get("/models", include_in_schema=False)
async def list_models(request: Request) -> Response:
    state = gateway_state(request)
    principal = await authenticate(request)
    data = [
        {"id": group, "object": "model", "created": 0, "owned_by": deployments[0].params.provider}
        for group, deployments in state.router.groups.items()
        if principal.may_use(group)
    ]
    return _json({"object": "list", "data": data}, {})


@router.get("/v1/models/{model_id:path}")
async def get_model(model_id: str, request: Request) -> Response:
    state = gateway_state(request)
    principal = await authenticate(request)
    _authorise_model(state, principal, model_id)
    provider = state.router.groups[model_id][0].params.provider
    return _json({"id": model_id, "object": "model", "created": 0, "owned_by": provider}, {})
