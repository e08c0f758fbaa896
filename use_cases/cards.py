"""Model cards: one per model group of `model_list`, written by the council, read by the rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy.engine import Engine
from sqlmodel import select

from gateway.core.audit import add_audit_entry
from gateway.core.bodies import RequestBody
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.core.use_case_terms import CardStatus, DataClass, RiskTier
from use_cases.errors import UseCaseNotFound
from use_cases.tables import ModelCard

# What a card must say, beyond its status, to count as documented.
DOCUMENTED_FIELDS = (
    "provider",
    "version",
    "data_residency",
    "allowed_data_classifications",
    "allowed_risk_tiers",
    "intended_use",
    "known_limitations",
    "evaluation_results",
    "owner",
    "review_due",
)


class ModelNotListed(UseCaseNotFound):
    default_code = "model_not_found"


class CardFields(RequestBody):
    """A card's content, as `PUT /admin/api/models/{model_name}/card` takes it (every field given)."""

    status: CardStatus
    provider: str = Field(default="", max_length=128)
    version: str = Field(default="", max_length=128)
    data_residency: str = Field(default="", max_length=128)
    allowed_data_classifications: list[DataClass] = Field(default_factory=list)
    allowed_risk_tiers: list[RiskTier] = Field(default_factory=list)
    intended_use: str = Field(default="", max_length=4000)
    known_limitations: str = Field(default="", max_length=4000)
    evaluation_results: dict[str, Any] = Field(default_factory=dict)
    owner: str = Field(default="", max_length=128)
    review_due: date | None = None
    experimentation: bool = False
    end_of_life: date | None = None

    @model_validator(mode="after")
    def _deprecation_has_an_end(self) -> CardFields:
        if self.status is CardStatus.DEPRECATED and self.end_of_life is None:
            raise ValueError("a deprecated model needs its end_of_life date")
        return self


def is_documented(card: ModelCard) -> bool:
    return all(getattr(card, name) not in ("", [], {}, None) for name in DOCUMENTED_FIELDS)


def review_overdue(card: ModelCard, today: date) -> bool:
    return card.review_due is not None and card.review_due < today


def put_card(engine: Engine, model_name: str, fields: CardFields, *, actor: str, listed: Sequence[str]) -> ModelCard:
    """Create or replace the card of a listed model group; the audit entry holds the fields changed."""
    if model_name not in listed:
        raise ModelNotListed(f"The model {model_name!r} is not in the gateway's model_list.", param="model_name")
    values = fields.model_dump(mode="json")
    with session_scope(engine) as session:
        card = session.get(ModelCard, model_name)
        before = {} if card is None else {name: _plain(getattr(card, name)) for name in values}
        card = card or ModelCard(model_name=model_name, updated_by=actor)
        for name, value in fields.model_dump().items():
            setattr(card, name, [item.value for item in value] if isinstance(value, list) else value)
        card.status = fields.status.value
        card.updated_by, card.updated_at = actor, utcnow()
        session.add(card)
        changed = {name: value for name, value in values.items() if before.get(name) != value}
        add_audit_entry(session, actor=actor, action="model_card.update", target=f"model:{model_name}", details=changed)
        return card


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def list_cards(engine: Engine) -> dict[str, ModelCard]:
    with session_scope(engine) as session:
        return {card.model_name: card for card in session.exec(select(ModelCard))}


def card_json(card: ModelCard | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {
        "status": card.status,
        **{name: _plain(getattr(card, name)) for name in DOCUMENTED_FIELDS},
        "experimentation": card.experimentation,
        "end_of_life": _plain(card.end_of_life),
        "updated_by": card.updated_by,
        "updated_at": card.updated_at.isoformat(),
    }
