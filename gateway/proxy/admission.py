"""The step every door takes between reading a request and calling a model, in one place: which
use case the request serves (its model card checked: blocked refused, deprecated announced), then
the rules the team's policy and the use case set. Chat, Responses and Messages meet the whole
policy; embeddings and moderations the rules their requests carry (see `policies.rules.base.Reach`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from gateway.core.types import Principal
from gateway.core.use_case_terms import UseCaseFacts
from gateway.proxy.accounting import RequestBooks
from gateway.proxy.attribution import Attribution
from gateway.proxy.governance import Governance, Prepared
from policies.rules.base import Door


class Admission:
    def __init__(self, attribution: Attribution, governance: Governance) -> None:
        self._attribution = attribution
        self._governance = governance

    async def admit_chat(
        self, books: RequestBooks, request: Request, principal: Principal, prepared: Prepared, group: str
    ) -> tuple[Principal, Prepared]:
        """The principal with its use case, and the request as the policy leaves it; raises the
        refusal of the card, the use case or an enforced rule (its verdicts are in the books)."""
        principal, use_case = self._attribute(books, request, principal, prepared.body, group, False)
        try:
            prepared = await self._governance.apply_policy(prepared, principal, use_case)
        finally:
            books.add_verdicts(prepared.verdicts)
        return principal, prepared

    async def admit_without_chat(
        self,
        books: RequestBooks,
        request: Request,
        principal: Principal,
        body: dict[str, Any],
        group: str,
        door: Door,
        *,
        answered_here: bool = False,
    ) -> tuple[Principal, dict[str, Any]]:
        """As `admit_chat` for a request without a chat, which meets the rules `door` carries
        (embeddings; moderations, which the gateway answers itself: `answered_here`, see
        `Attribution.attribute`); returns the body as the policy leaves it."""
        principal, use_case = self._attribute(books, request, principal, body, group, answered_here)
        decision = await self._governance.apply_door_rules(body, principal, use_case, door)
        books.add_verdicts(decision.verdicts)
        decision.raise_if_blocked()
        return principal, decision.body

    def _attribute(
        self,
        books: RequestBooks,
        request: Request,
        principal: Principal,
        body: dict[str, Any],
        group: str,
        answered_here: bool,
    ) -> tuple[Principal, UseCaseFacts | None]:
        principal, use_case = self._attribution.attribute(
            principal, request.headers, body, group, books.headers, answered_here=answered_here
        )
        books.identify(principal)
        return principal, use_case
