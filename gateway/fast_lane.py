"""Routes served straight from ASGI, ahead of FastAPI's routing: a property of a route.

For a proxied chat completion, FastAPI's exception middleware, exit-stack middleware, route
matching and dependency solving cost about a fifth of the gateway's CPU at concurrency 16
(py-spy, `benchmarks.proxy --variants gateway-unfiltered`). A `FastRoute` is an ordinary route of
its router (FastAPI serves it like any other if this middleware is absent); the `FastLane`
middleware, the outermost of the app's own, answers the fast routes of the routers it is given
itself, and passes every other request on. A GatewayError becomes its error response here
(FastAPI's exception middleware is inside, skipped); anything else goes up to the app's
ServerErrorMiddleware, whose handler answers the 500 for every route alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.core.errors import GatewayError
from gateway.core.outages import UNREACHABLE, DatabaseOutages
from gateway.http_errors import error_response, method_not_allowed_response

Endpoint = Callable[[Request], Awaitable[Response]]
ErrorRenderer = Callable[[GatewayError], Response]


class FastRoute(Route):
    """A route with a fixed path whose endpoint takes the Request and returns a Response; its
    errors are rendered in its API's format (OpenAI's unless told otherwise)."""

    def __init__(
        self, path: str, endpoint: Endpoint, *, methods: list[str], errors: ErrorRenderer = error_response
    ) -> None:
        if "{" in path:
            raise ValueError(f"a fast route has a fixed path, not {path!r}")
        super().__init__(path, self._rendering_errors(endpoint, errors), methods=methods, include_in_schema=False)
        self.fast_endpoint = endpoint
        self.render_error = errors

    @staticmethod
    def _rendering_errors(endpoint: Endpoint, errors: ErrorRenderer) -> Endpoint:
        """The endpoint as FastAPI serves it without the fast lane: its errors in its format too."""
        if errors is error_response:
            return endpoint  # the app's own handlers write OpenAI's format

        async def rendered(request: Request) -> Response:
            try:
                return await endpoint(request)
            except GatewayError as error:
                return errors(error)

        return rendered


class FastLane:
    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute], outages: DatabaseOutages) -> None:
        self.app = app
        self._outages = outages
        self._endpoints: dict[tuple[str, str], FastRoute] = {}  # (method, path) -> its route
        for route in routes:
            if isinstance(route, FastRoute):
                for method in route.methods or ():
                    self._endpoints[(method, route.path)] = route
        self._paths = {path for _, path in self._endpoints}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self._paths:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        route = self._endpoints.get((scope["method"], scope["path"]))
        if route is None:
            await method_not_allowed_response(request.method, request.url.path)(scope, receive, send)
            return
        try:
            response = await route.fast_endpoint(request)
        except GatewayError as error:
            response = route.render_error(error)
        except UNREACHABLE as error:
            response = route.render_error(self._outages.seen(error))
        await response(scope, receive, send)
