"""The step that ties a request to its use case and its model's card, from memory: the key's
binding or the use case the request names (`x-gateway-use-case`, else `metadata.use_case`), checked
against the team; a blocked model refused, a deprecated one announced in a response header."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from gateway.core.errors import PermissionDenied
from gateway.core.types import Principal
from gateway.core.use_case_terms import CardStatus, DataClass, Stage, UseCaseFacts
from gateway.ledger.use_case_spend import MonthlySpend
from use_cases.snapshot import LiveRegistry, facts_for

USE_CASE_HEADER = "x-gateway-use-case"
DEPRECATION_HEADER = "x-gateway-deprecation"
# Use cases whose spend the request path keeps in memory: those that may call models at all.
SPENDING_STAGES = frozenset({Stage.POC, Stage.PILOT, Stage.PRODUCTION, Stage.MONITOR})


class ModelBlocked(PermissionDenied):
    default_code = "model_blocked"


class Attribution:
    def __init__(self, registry: LiveRegistry, spend: MonthlySpend) -> None:
        self._registry = registry
        self._spend = spend

    def attribute(
        self,
        principal: Principal,
        request_headers: Mapping[str, str],
        body: dict[str, Any],
        group: str,
        response_headers: MutableMapping[str, str],
        *,
        answered_here: bool = False,
    ) -> tuple[Principal, UseCaseFacts | None]:
        """The principal with its use case set, and the facts the policy rules see; raises
        UseCaseRefused (403) for a use case the key may not name, ModelBlocked (403) for a blocked model.

        A request the gateway answers itself (`answered_here`: moderations) sends its text to no
        model, so the card's limits on experiments and data classes do not concern it."""
        snapshot = self._registry.current
        card = snapshot.card(group)
        if card is not None and card.status is CardStatus.BLOCKED:
            raise ModelBlocked(
                f"The model '{group}' is blocked by the model registry and cannot be called; "
                "choose another model or ask the AI council about its card.",
                param="model",
            )
        if card is not None and card.status is CardStatus.DEPRECATED:
            end = f"; end-of-life={card.end_of_life.isoformat()}" if card.end_of_life else ""
            response_headers[DEPRECATION_HEADER] = f"model={group}{end}"
        use_case = snapshot.resolve(principal.team_name, principal.key_id, _named(request_headers, body))
        if use_case is None:
            return principal, None
        facts = facts_for(use_case, card, self._spend.spent(use_case.id))
        if answered_here:
            facts = replace(facts, model_for_experimentation=True, model_allows=frozenset(DataClass))
        return replace(principal, use_case=use_case.id), facts


def _named(headers: Mapping[str, str], body: dict[str, Any]) -> str | None:
    named = headers.get(USE_CASE_HEADER)
    if named:
        return named.strip()
    metadata = body.get("metadata")
    value = metadata.get("use_case") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None
