"""Request-scoped helpers shared by the routes."""

from __future__ import annotations

from starlette.requests import Request

from gateway.auth import bearer_token
from gateway.core.types import Principal
from gateway.state import GatewayState


def gateway_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


async def authenticate(request: Request) -> Principal:
    key = bearer_token(request.headers.get("authorization"), request.headers.get("api-key"))
    return await gateway_state(request).authenticator.authenticate(key)
