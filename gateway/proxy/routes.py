"""The proxy's endpoints, declared once: chat completions, Responses, embeddings, moderations and
Anthropic's Messages as fast routes (gateway.fast_lane), the model list and stored responses as
FastAPI routes. The OpenAI paths also answer without the `/v1` prefix, as OpenAI's SDKs may be
pointed at either."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from gateway.fast_lane import FastRoute
from gateway.proxy.access import KeyPrincipal
from gateway.proxy.chat import ChatCompletions
from gateway.proxy.embeddings import Embeddings
from gateway.proxy.http_body import json_response
from gateway.proxy.messages_answers import error_response as messages_error
from gateway.proxy.messages_api import MessagesDialect, MessageTokens
from gateway.proxy.models import ModelList
from gateway.proxy.moderations import Moderations
from gateway.proxy.responses_api import ResponsesDialect
from gateway.proxy.stored_responses import ResponseStore

router = APIRouter()


async def chat_completions(request: Request) -> Response:
    chat: ChatCompletions = request.app.state.chat_completions
    return await chat.handle(request)


async def embeddings(request: Request) -> Response:
    service: Embeddings = request.app.state.embeddings
    return await service.handle(request)


async def moderations(request: Request) -> Response:
    service: Moderations = request.app.state.moderations
    return await service.handle(request)


MESSAGES = MessagesDialect()


async def messages(request: Request) -> Response:
    chat: ChatCompletions = request.app.state.chat_completions
    return await chat.handle(request, MESSAGES)


async def responses(request: Request) -> Response:
    chat: ChatCompletions = request.app.state.chat_completions
    dialect: ResponsesDialect = request.app.state.responses_dialect
    return await chat.handle(request, dialect)


async def count_message_tokens(request: Request) -> Response:
    service: MessageTokens = request.app.state.message_tokens
    return await service.handle(request)


for prefix in ("/v1", ""):
    router.routes.append(FastRoute(f"{prefix}/chat/completions", chat_completions, methods=["POST"]))
    router.routes.append(FastRoute(f"{prefix}/embeddings", embeddings, methods=["POST"]))
    router.routes.append(FastRoute(f"{prefix}/responses", responses, methods=["POST"]))
    router.routes.append(FastRoute(f"{prefix}/moderations", moderations, methods=["POST"]))
router.routes.append(FastRoute("/v1/messages", messages, methods=["POST"], errors=messages_error))
router.routes.append(
    FastRoute("/v1/messages/count_tokens", count_message_tokens, methods=["POST"], errors=messages_error)
)


def _model_list(request: Request) -> ModelList:
    models: ModelList = request.app.state.model_list
    return models


Models = Annotated[ModelList, Depends(_model_list)]


@router.get("/v1/models")
@router.get("/models", include_in_schema=False)
async def list_models(principal: KeyPrincipal, models: Models) -> Response:
    return json_response(models.listing(principal), {})


@router.get("/v1/models/{model_id:path}")
async def get_model(model_id: str, principal: KeyPrincipal, models: Models) -> Response:
    return json_response(models.one(principal, model_id), {})


def _response_store(request: Request) -> ResponseStore:
    store: ResponseStore = request.app.state.response_store
    return store


@router.get("/v1/responses/{response_id}")
async def get_response(
    response_id: str, principal: KeyPrincipal, store: Annotated[ResponseStore, Depends(_response_store)]
) -> Response:
    return json_response(await store.response(principal, response_id), {})
