"""`GET /v1/models`: the models a key's team may use, as OpenAI lists them."""

from __future__ import annotations

from typing import Any

from gateway.core.types import Principal
from gateway.proxy.access import Access
from gateway.upstream.router import Router


class ModelList:
    def __init__(self, access: Access, router: Router) -> None:
        self._access = access
        self._router = router

    def listing(self, principal: Principal) -> dict[str, Any]:
        groups = self._router.groups
        data = [self._model(group) for group in groups if principal.may_use(group)]
        return {"object": "list", "data": data}

    def one(self, principal: Principal, model_id: str) -> dict[str, Any]:
        self._access.authorise_model(principal, model_id)
        return self._model(model_id)

    def _model(self, group: str) -> dict[str, Any]:
        owner = self._router.groups[group][0].params.provider
        return {"id": group, "object": "model", "created": 0, "owned_by": owner}
