"""The registry as the request path reads it: an immutable snapshot in memory, swapped whole on reload.

`resolve` answers which use case a request belongs to with dictionary look-ups only: no database
round trip, no lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gateway.core.use_case_terms import CardStatus, DataClass, RiskTier, Stage, UseCaseFacts
from use_cases.errors import UseCaseRefused
from use_cases.tables import ModelCard, UseCase


@dataclass(frozen=True, slots=True)
class UseCaseView:
    id: str
    name: str
    team: str
    stage: Stage
    risk_tier: RiskTier
    data_classification: DataClass
    prompts: tuple[str, ...]

    @classmethod
    def of(cls, row: UseCase) -> UseCaseView:
        return cls(
            id=row.id,
            name=row.name,
            team=row.team,
            stage=Stage(row.stage),
            risk_tier=RiskTier(row.risk_tier),
            data_classification=DataClass(row.data_classification),
            prompts=tuple(row.prompts),
        )


@dataclass(frozen=True, slots=True)
class CardView:
    model_name: str
    status: CardStatus
    experimentation: bool
    allowed_data_classifications: frozenset[DataClass]
    end_of_life: date | None

    @classmethod
    def of(cls, card: ModelCard) -> CardView:
        return cls(
            model_name=card.model_name,
            status=CardStatus(card.status),
            experimentation=card.experimentation,
            allowed_data_classifications=frozenset(DataClass(item) for item in card.allowed_data_classifications),
            end_of_life=card.end_of_life,
        )


@dataclass(frozen=True)
class RegistrySnapshot:
    version: str = ""
    use_cases: dict[str, UseCaseView] = field(default_factory=dict)
    bound_keys: dict[int, str] = field(default_factory=dict)  # key id → use case id
    cards: dict[str, CardView] = field(default_factory=dict)

    def resolve(self, team: str, key_id: int, named: str | None) -> UseCaseView | None:
        """The request's use case: the key's binding, else the one the request names (of the team).
        Raises UseCaseRefused for a name that is unknown, of another team, or not the key's own."""
        bound = self.bound_keys.get(key_id)
        if named is None or named == "":
            return self.use_cases.get(bound) if bound is not None else None
        if bound is not None and named != bound:
            raise UseCaseRefused(f"This key is bound to the use case {bound}; it cannot act for {named!r}.")
        found = self.use_cases.get(named)
        if found is None or found.team != team:
            raise UseCaseRefused(f"The team {team!r} has no use case {named!r}.", code="use_case_not_found")
        return found

    def card(self, model: str) -> CardView | None:
        return self.cards.get(model)

    def in_stages(self, stages: frozenset[Stage]) -> list[str]:
        return [view.id for view in self.use_cases.values() if view.stage in stages]


class LiveRegistry:
    """The current snapshot; the reloader swaps it, readers take whichever is current."""

    def __init__(self) -> None:
        self.current = RegistrySnapshot()

    def update(self, snapshot: RegistrySnapshot) -> None:
        self.current = snapshot


def facts_for(use_case: UseCaseView, card: CardView | None, month_spend_nanos: int) -> UseCaseFacts:
    """What the policy rules see of a request's use case and its model's card."""
    return UseCaseFacts(
        id=use_case.id,
        stage=use_case.stage,
        risk_tier=use_case.risk_tier,
        data_classification=use_case.data_classification,
        model_for_experimentation=card is not None and card.experimentation,
        model_allows=card.allowed_data_classifications if card is not None else frozenset(),
        month_spend_nanos=month_spend_nanos,
    )
