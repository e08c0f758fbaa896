"""The model registry's API: every model group of `model_list` with its card; writing a card."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from gateway.core.bodies import parse_body
from gateway.core.models import utcnow
from use_cases.cards import CardFields, card_json, is_documented, list_cards, put_card, review_overdue
from use_cases.reloader import REGISTRY_CHANGED
from use_cases.tables import ModelCard

router = APIRouter(prefix="/admin/api/models")


def model_json(name: str, card: ModelCard | None) -> dict[str, Any]:
    today = utcnow().date()
    return {
        "model_name": name,
        "card": card_json(card),
        "documented": card is not None and is_documented(card),
        "review_overdue": card is not None and review_overdue(card, today),
    }


@router.get("")
async def list_models(request: Request) -> JSONResponse:
    require_role(request, Role.REVIEWER, Role.FINANCE, Role.VIEWER)
    context = admin_context(request)
    cards = await asyncio.to_thread(list_cards, context.engine)
    return JSONResponse({"data": [model_json(name, cards.get(name)) for name in context.models]})


@router.put("/{model_name}/card")
async def write_card(model_name: str, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    fields = await parse_body(request, CardFields)
    context = admin_context(request)
    card = await asyncio.to_thread(
        put_card, context.engine, model_name, fields, actor=caller.name, listed=context.models
    )
    await context.announce_change(REGISTRY_CHANGED)
    return JSONResponse(model_json(model_name, card))
