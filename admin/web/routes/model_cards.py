"""The model registry for people: every model with its card's state; a card's page and its form."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.areas import EVERYONE
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect, render
from gateway.core.errors import GatewayError
from gateway.core.models import utcnow
from gateway.core.use_case_terms import CardStatus, DataClass, RiskTier
from use_cases.cards import CardFields, is_documented, list_cards, put_card, review_overdue
from use_cases.reloader import REGISTRY_CHANGED

router = APIRouter(prefix="/admin/models")
Reader = Annotated[SignedIn, Depends(Allow(*EVERYONE))]
Editor = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
TEXT_FIELDS = ("provider", "version", "data_residency", "intended_use", "known_limitations", "owner")


@router.get("")
async def models_page(request: Request, person: Reader) -> Response:
    context = admin_context(request)
    cards = await asyncio.to_thread(list_cards, context.engine)
    today = utcnow().date()
    rows = [
        {
            "name": name,
            "card": cards.get(name),
            "documented": name in cards and is_documented(cards[name]),
            "overdue": name in cards and review_overdue(cards[name], today),
        }
        for name in context.models
    ]
    return render(request, "models.html", {"rows": rows})


def _card_page(
    request: Request, name: str, card: Any, person: SignedIn, error: str = "", status: int = 200
) -> Response:
    context = {
        "name": name,
        "card": card,
        "error": error,
        "can_edit": person.role in {Role.ADMIN, Role.REVIEWER},
        "statuses": list(CardStatus),
        "classes": list(DataClass),
        "tiers": list(RiskTier),
    }
    return render(request, "model_card.html", context, status)


def _known(request: Request, name: str) -> None:
    if name not in admin_context(request).models:
        raise PageError(404, "No such model", f"{name!r} is not in the gateway's model_list.", back="/admin/models")


@router.get("/{model_name}")
async def card_page(model_name: str, request: Request, person: Reader) -> Response:
    _known(request, model_name)
    cards = await asyncio.to_thread(list_cards, admin_context(request).engine)
    return _card_page(request, model_name, cards.get(model_name), person)


def _evaluation(text: str) -> dict[str, str]:
    """`metric: result` lines into a mapping."""
    pairs = (line.partition(":") for line in text.splitlines() if line.strip())
    return {key.strip(): value.strip() for key, _, value in pairs}


async def _refused(request: Request, name: str, person: SignedIn, message: str, status: int) -> Response:
    """The card's page again, with the stored card and why the new one was not saved."""
    cards = await asyncio.to_thread(list_cards, admin_context(request).engine)
    return _card_page(request, name, cards.get(name), person, message, status)


@router.post("/{model_name}/card")
async def save_card(model_name: str, request: Request, person: Editor) -> Response:
    _known(request, model_name)
    context = admin_context(request)
    form = await request.form()
    raw: dict[str, Any] = {name: await form_text(request, name) for name in TEXT_FIELDS}
    raw["status"] = await form_text(request, "status")
    raw["allowed_data_classifications"] = form.getlist("allowed_data_classifications")
    raw["allowed_risk_tiers"] = form.getlist("allowed_risk_tiers")
    raw["evaluation_results"] = _evaluation(await form_text(request, "evaluation_results"))
    raw["experimentation"] = await form_text(request, "experimentation") == "yes"
    for day in ("review_due", "end_of_life"):
        raw[day] = await form_text(request, day) or None
    try:
        fields = CardFields.model_validate(raw)
        await asyncio.to_thread(put_card, context.engine, model_name, fields, actor=person.actor, listed=context.models)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = f"{'.'.join(str(part) for part in first['loc']) or 'card'}: {first['msg']}"
        return await _refused(request, model_name, person, message, 400)
    except GatewayError as exc:
        return await _refused(request, model_name, person, exc.message, exc.status_code)
    await context.announce_change(REGISTRY_CHANGED)
    return redirect(f"/admin/models/{model_name}", "card_saved")
