"""The first checks of every proxied request: which key is calling, and may its team use the model."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from gateway.auth import KeyAuthenticator, bearer_token
from gateway.core.errors import PermissionDenied
from gateway.core.types import Principal
from gateway.upstream.router import Router


class Access:
    def __init__(self, authenticator: KeyAuthenticator, router: Router) -> None:
        self._authenticator = authenticator
        self._router = router

    async def principal(self, request: Request) -> Principal:
        """From `Authorization: Bearer`, Azure's `api-key` or Anthropic's `x-api-key`."""
        headers = request.headers
        key = bearer_token(headers.get("authorization"), headers.get("api-key") or headers.get("x-api-key"))
        return await self._authenticator.authenticate(key)

    def authorise_model(self, principal: Principal, group: str) -> None:
        self._router.require_group(group)
        if not principal.may_use(group):
            raise PermissionDenied(
                f"Your team '{principal.team_name}' is not allowed to use the model '{group}'.", param="model"
            )


async def key_principal(request: Request) -> Principal:
    """A FastAPI dependency: the calling key's principal (401 without a valid key)."""
    access: Access = request.app.state.access
    return await access.principal(request)


KeyPrincipal = Annotated[Principal, Depends(key_principal)]
