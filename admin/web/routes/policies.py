"""Policies for admins: the policies in force, their rules and modes, and how often each rule fired."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.guard import Allow
from admin.web.pages import render
from admin.web.policy_stats import rule_firings
from gateway.core.models import utcnow
from policies import loader
from policies.loader import PolicyError, load_policies

router = APIRouter(prefix="/admin/policies")
PERIODS = {"1": "last 24 hours", "7": "last 7 days", "30": "last 30 days", "90": "last 90 days"}
SHIPPED_POLICIES = Path(loader.__file__).resolve().parent  # holds default.yaml and teams/


def policy_directory(request: Request) -> Path:
    """The directory the running policy engine reads, else the policies shipped with the project."""
    governance = getattr(getattr(request.app.state, "gateway", None), "governance", None)
    directory = getattr(getattr(governance, "policies", None), "directory", None)
    return Path(directory) if directory else SHIPPED_POLICIES


def _load(directory: Path) -> dict[str, Any]:
    try:
        policy_set = load_policies(directory)
    except PolicyError as exc:
        return {"policies": [], "version": "", "problems": [str(p) for p in exc.problems]}
    return {"policies": list(policy_set.policies.values()), "version": policy_set.version, "problems": []}


@router.get("")
async def policies_page(request: Request, person: Annotated[SignedIn, Depends(Allow(Role.ADMIN))]) -> Response:
    days = request.query_params.get("days", "7")
    days = days if days in PERIODS else "7"
    directory = policy_directory(request)
    loaded = await asyncio.to_thread(_load, directory)
    firings = await asyncio.to_thread(rule_firings, admin_context(request).engine, utcnow() - timedelta(days=int(days)))
    return render(
        request,
        "policies.html",
        {**loaded, "directory": str(directory), "firings": firings, "days": days, "periods": PERIODS},
    )
