"""Liveness, readiness (database and Redis reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.core.db import ping
from gateway.routes.deps import gateway_state

router = APIRouter()
READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    state = gateway_state(request)
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(asyncio.to_thread(ping, state.engine), READY_TIMEOUT_SECONDS)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason is reported, not raised
        checks["database"] = f"unreachable ({type(exc).__name__})"
    if state.redis is None:
        checks["redis"] = "not configured"
    else:
        try:
            await asyncio.wait_for(state.redis.ping(), READY_TIMEOUT_SECONDS)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable ({type(exc).__name__})"
    ready = all(value in {"ok", "not configured"} for value in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "filters": state.filters.describe(),
        "policies": {"version": state.governance.policies.version, "problems": len(state.governance.policies.problems)},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(gateway_state(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
