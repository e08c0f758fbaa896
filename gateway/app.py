"""The app factory: wires the rooms together once, at start-up."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin.api import audit as admin_audit
from admin.api import blocklist as admin_blocklist
from admin.api import finance as admin_finance
from admin.api import kpis as admin_kpis
from admin.api import limits as admin_limits
from admin.api import model_cards as admin_model_cards
from admin.api import prompts as admin_prompts
from admin.api import review as admin_review
from admin.api import teams as admin_teams
from admin.api import use_cases as admin_use_cases
from admin.context import AdminContext
from admin.web.install import install_admin_ui
from admin.web.pages import not_found_page, outage_page, wants_page
from gateway import __version__
from gateway.config import AppConfig, load_config
from gateway.core.errors import GatewayError, NotFound
from gateway.core.outages import UNREACHABLE, DatabaseOutages
from gateway.fast_lane import FastLane
from gateway.http_errors import error_response, internal_error_response, method_not_allowed_response
from gateway.logs import install_scrubber
from gateway.offline import apply_offline_defaults
from gateway.proxy import routes as proxy_routes
from gateway.routes import health, prompts, reviews
from gateway.runtime import GatewayRuntime

log = logging.getLogger(__name__)


async def _on_gateway_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, GatewayError)
    return error_response(error)


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404 and wants_page(request):
        return await not_found_page(request)
    if error.status_code == 404:
        return error_response(
            NotFound(f"Unknown request URL: {request.method} {request.url.path}.", code="unknown_url")
        )
    if error.status_code == 405:
        return method_not_allowed_response(request.method, request.url.path)
    generic = GatewayError(str(error.detail))
    generic.status_code = error.status_code
    return error_response(generic)


def _database_outage_handler(outages: DatabaseOutages) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def on_outage(request: Request, error: Exception) -> Response:
        unavailable = outages.seen(error)
        if wants_page(request):
            return await outage_page(request, unavailable.headers)
        return error_response(unavailable)

    return on_outage


async def _on_unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return internal_error_response()


def install_error_handlers(app: FastAPI, outages: DatabaseOutages) -> None:
    """Every error answers as its OpenAI error body; a database outage as a 503 (a page in a browser)."""
    app.add_exception_handler(GatewayError, _on_gateway_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    for unreachable in UNREACHABLE:
        app.add_exception_handler(unreachable, _database_outage_handler(outages))
    app.add_exception_handler(Exception, _on_unexpected_error)


def create_app(config: AppConfig | None = None) -> FastAPI:
    """Build the app; without a config, read the file named by GATEWAY_CONFIG (or the defaults)."""
    apply_offline_defaults()
    if config is None:
        config = load_config(os.environ.get("GATEWAY_CONFIG") or None)
    resolved = config
    outages = DatabaseOutages()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = GatewayRuntime.build(resolved, outages)
        install_scrubber(runtime.scrubber)
        await runtime.start()
        # The models and libraries loaded at start-up are millions of long-lived objects; left in
        # the collected generations, each full collection stalled every request for ~0.4 s.
        gc.collect()
        gc.freeze()
        # At the default threshold (700 allocations) a young collection ran every few requests and
        # promoted the objects of the requests then in flight, which the older collections then
        # walked again: about 4 % of the CPU at concurrency 64, more per request as concurrency rose.
        gc.set_threshold(20_000, 20, 20)
        runtime.install(app)
        app.state.admin = AdminContext(
            engine=runtime.engine,
            admin_key=resolved.core.admin_key.get_secret_value() if resolved.core.admin_key else None,
            finance_key=resolved.core.finance_key.get_secret_value() if resolved.core.finance_key else None,
            cipher=runtime.cipher,
            toxicity_scorer=runtime.filters.toxicity_scorer(),
            announce_change=runtime.notices.announce,
            models=tuple(resolved.core.model_groups()),
            worst_answers=runtime.worst_answers(),
            use_cases=resolved.use_cases,
        )
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title="LLM governance gateway", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    install_error_handlers(app, outages)
    app.include_router(proxy_routes.router)
    app.include_router(health.router)
    app.include_router(admin_teams.router)
    app.include_router(admin_review.router)
    app.include_router(admin_blocklist.router)
    app.include_router(admin_audit.router)
    app.include_router(admin_finance.router)
    app.include_router(admin_limits.router)
    app.include_router(admin_prompts.router)
    app.include_router(admin_use_cases.router)
    app.include_router(admin_model_cards.router)
    app.include_router(admin_kpis.router)
    app.include_router(reviews.router)
    app.include_router(prompts.router)
    install_admin_ui(app)
    # Added last: the outermost of ours.
    app.add_middleware(FastLane, routes=proxy_routes.router.routes, outages=outages)
    return app
