"""The prompt library's review API: approve, reject with a reason, deprecate (reviewer or admin)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from gateway.core.audit import add_audit_entry
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.db import session_scope
from prompt_library import service
from prompt_library.payloads import listing_payload, version_payload

router = APIRouter(prefix="/admin/api/prompts")


class ReasonIn(RequestBody):
    reason: str = Field(default="", max_length=2000)


def _audit(request: Request, actor: str, action: str, name: str, version: int, reason: str = "") -> None:
    with session_scope(admin_context(request).engine) as session:
        details: dict[str, object] = {"version": version, **({"reason": reason} if reason else {})}
        add_audit_entry(session, actor=actor, action=action, target=f"prompt:{name}", details=details)


@router.get("")
async def list_all(request: Request) -> JSONResponse:
    require_role(request, Role.REVIEWER, Role.VIEWER, Role.FINANCE)
    listings = await asyncio.to_thread(service.all_prompts, admin_context(request).engine)
    return JSONResponse({"data": [listing_payload(item, with_versions=True) for item in listings]})


@router.post("/{name}/versions/{version}/approve")
async def approve(name: str, version: int, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    row = await asyncio.to_thread(service.approve, admin_context(request).engine, name, version, reviewer=caller.name)
    await asyncio.to_thread(_audit, request, caller.name, "prompt.approve", name, version)
    return JSONResponse({"id": name, **version_payload(row)})


@router.post("/{name}/versions/{version}/reject")
async def reject(name: str, version: int, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, ReasonIn)
    row = await asyncio.to_thread(
        service.reject, admin_context(request).engine, name, version, reviewer=caller.name, reason=data.reason
    )
    await asyncio.to_thread(_audit, request, caller.name, "prompt.reject", name, version, data.reason)
    return JSONResponse({"id": name, **version_payload(row)})


@router.post("/{name}/versions/{version}/deprecate")
async def deprecate(name: str, version: int, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, ReasonIn)
    row = await asyncio.to_thread(service.deprecate, admin_context(request).engine, name, version, reason=data.reason)
    await asyncio.to_thread(_audit, request, caller.name, "prompt.deprecate", name, version, data.reason)
    return JSONResponse({"id": name, **version_payload(row)})
