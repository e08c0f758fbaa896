"""Liveness, readiness (database and Redis reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST
from redis.asyncio import Redis
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.core.db import ping
from gateway.metrics import GatewayMetrics

router = APIRouter()
READY_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """What /readyz checks, and what it reports of the running configuration."""

    engine: Engine
    redis: Redis | None
    describe_filters: Callable[[], dict[str, Any]]
    describe_policies: Callable[[], dict[str, Any]]

    async def report(self) -> tuple[bool, dict[str, Any]]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(asyncio.to_thread(ping, self.engine), READY_TIMEOUT_SECONDS)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is reported, not raised
            checks["database"] = f"unreachable ({type(exc).__name__})"
        if self.redis is None:
            checks["redis"] = "not configured"
        else:
            try:
                await asyncio.wait_for(self.redis.ping(), READY_TIMEOUT_SECONDS)
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"unreachable ({type(exc).__name__})"
        ready = all(value in {"ok", "not configured"} for value in checks.values())
        return ready, {
            "status": "ready" if ready else "not ready",
            "checks": checks,
            "filters": self.describe_filters(),
            "policies": self.describe_policies(),
        }


def _readiness(request: Request) -> Readiness:
    readiness: Readiness = request.app.state.readiness
    return readiness


def _metrics(request: Request) -> GatewayMetrics:
    metrics: GatewayMetrics = request.app.state.metrics
    return metrics


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(readiness: Annotated[Readiness, Depends(_readiness)]) -> Response:
    ready, body = await readiness.report()
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(gateway_metrics: Annotated[GatewayMetrics, Depends(_metrics)]) -> Response:
    return Response(gateway_metrics.render(), media_type=CONTENT_TYPE_LATEST)
