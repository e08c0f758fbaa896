"""The OpenAI-compatible endpoints: chat completions (plain and streamed), embeddings, models."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gateway.core.errors import GatewayError
from gateway.fast_lane import Endpoint
from gateway.ledger.tokens import TokenUsage, provider_usage
from gateway.proxy.accounting import END_USER_HEADER, RequestBooks
from gateway.proxy.chat import authorise_model, handle_chat, json_response
from gateway.proxy.http_body import read_json_body
from gateway.proxy.openai_requests import check_embeddings_request, model_of
from gateway.routes.deps import authenticate, gateway_state

router = APIRouter()


async def chat_completions(request: Request) -> Response:
    return await handle_chat(gateway_state(request), request)


async def embeddings(request: Request) -> Response:
    state = gateway_state(request)
    books = RequestBooks(state, "embeddings")
    try:
        principal = await authenticate(request)
        books.identify(principal)
        body = await read_json_body(request, state.settings.max_request_bytes)
        books.describe_request(body, request.headers.get(END_USER_HEADER))
        group = check_embeddings_request(body, state.router.extra_params(model_of(body)))
        authorise_model(state, principal, group)
        deployment = state.router.require_group(group)[0]  # the group's first: the price budgets reserve at
        model = deployment.params.upstream_model
        await books.reserve(
            principal, body, deployment, lambda: state.counter.count_embedding_input(body["input"], model)
        )
        result = await state.router.embeddings(group, body, books.route)
        reported = provider_usage(result)
        usage = reported or TokenUsage(state.counter.count_embedding_input(body["input"], model), 0, counted=True)
        books.used(usage, books.route.deployment)
        return json_response(result, books.headers)
    except GatewayError as error:
        books.failed(error)
        raise
    except Exception:
        books.crashed()
        raise
    finally:
        books.close()


# Served by gateway.fast_lane, ahead of FastAPI's routing (with and without the /v1 prefix, as
# OpenAI's SDKs may be pointed at either).
FAST_ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("POST", "/v1/chat/completions"): chat_completions,
    ("POST", "/chat/completions"): chat_completions,
    ("POST", "/v1/embeddings"): embeddings,
    ("POST", "/embeddings"): embeddings,
}


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
    return json_response({"object": "list", "data": data}, {})


@router.get("/v1/models/{model_id:path}")
async def get_model(model_id: str, request: Request) -> Response:
    state = gateway_state(request)
    principal = await authenticate(request)
    authorise_model(state, principal, model_id)
    provider = state.router.groups[model_id][0].params.provider
    return json_response({"id": model_id, "object": "model", "created": 0, "owned_by": provider}, {})
