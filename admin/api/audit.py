"""The audit log's admin API: search by time, actor, team, action and object, a page at a time
with the total, or the whole filtered set as a streamed CSV (admins only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse

from admin.audit_search import AuditFilter, audit_csv, csv_filename, search_audit
from admin.context import Role, admin_context, require_role
from gateway.core.audit import AuditEntry
from gateway.core.errors import InvalidRequest
from gateway.core.models import as_utc

router = APIRouter(prefix="/admin/api")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def positive(request: Request, name: str, default: int, maximum: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise InvalidRequest(f"{name} must be a whole number from 1 to {maximum}.", param=name)
    return int(value)


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": as_utc(entry.at).isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "team": entry.team,
        "object": entry.target,
        "use_case": entry.use_case,
        "details": entry.details,
    }


@router.get("/audit")
async def search(request: Request) -> JSONResponse:
    require_role(request, Role.ADMIN)
    search = AuditFilter.from_params(request.query_params)
    page_size = positive(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = positive(request, "page", 1, 10_000_000)
    found = await asyncio.to_thread(search_audit, admin_context(request).engine, search, page=page, page_size=page_size)
    return JSONResponse(
        {
            "data": [entry_json(entry) for entry in found.entries],
            "page": page,
            "page_size": page_size,
            "total": found.total,
            "pages": max(1, -(-found.total // page_size)),
        }
    )


@router.get("/audit.csv")
async def export(request: Request) -> StreamingResponse:
    require_role(request, Role.ADMIN)
    search = AuditFilter.from_params(request.query_params)
    return StreamingResponse(
        audit_csv(admin_context(request).engine, search),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{csv_filename(search)}"'},
    )
