"""The OpenAI request endpoints served straight from ASGI, ahead of FastAPI's routing.

For a proxied chat completion, FastAPI's exception middleware, exit-stack middleware, route
matching and dependency solving cost about a fifth of the gateway's CPU at concurrency 16
(py-spy). These endpoints use none of it: each reads the raw request and returns a Response.
So this middleware, the outermost of the app's own, answers them itself; every other request
goes on into the app as before. A GatewayError becomes its OpenAI error here (FastAPI's exception
middleware is inside, skipped); anything else goes up to the app's ServerErrorMiddleware, whose
handler answers the 500 for every route alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.core.errors import GatewayError
from gateway.core.outages import UNREACHABLE, DatabaseOutages
from gateway.http_errors import error_response, method_not_allowed_response

Endpoint = Callable[[Request], Awaitable[Response]]


class FastLane:
    def __init__(self, app: ASGIApp, endpoints: Mapping[tuple[str, str], Endpoint], outages: DatabaseOutages) -> None:
        self.app = app
        self._outages = outages
        self._endpoints = dict(endpoints)  # (method, path) -> endpoint
        self._paths = {path for _, path in endpoints}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        endpoint = self._endpoints.get((scope["method"], scope["path"]))
        if endpoint is None:
            await method_not_allowed_response(request.method, request.url.path)(scope, receive, send)
            return
        try:
            response = await endpoint(request)
        except GatewayError as error:
            response = error_response(error)
        except UNREACHABLE as error:
            response = error_response(self._outages.seen(error))
        await response(scope, receive, send)
