"""The audit log for admins: search by time, actor, team, action and object; the total, jumps to
any page; the filtered set as CSV."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from admin.accounts.sessions import SignedIn
from admin.audit_search import FILTER_PARAMS, AuditFilter, AuditPage, audit_csv, csv_filename, search_audit
from admin.context import Role, admin_context
from admin.web.guard import Allow
from admin.web.pages import render
from admin.web.paging import Pager, page_number
from gateway.core.errors import InvalidRequest

router = APIRouter(prefix="/admin")
Admin = Annotated[SignedIn, Depends(Allow(Role.ADMIN))]
PAGE_SIZE = 50


@router.get("/audit")
async def audit_page(request: Request, person: Admin) -> Response:
    try:
        search = AuditFilter.from_params(request.query_params)
    except InvalidRequest as exc:
        values = {name: request.query_params.get(name, "")[:128] for name in FILTER_PARAMS}
        refused: dict[str, Any] = {"entries": [], "pager": None, "values": values, "error": exc.message, "csv_link": ""}
        return render(request, "audit.html", refused, status_code=400)
    page = page_number(request.query_params.get("page"))
    found: AuditPage = await asyncio.to_thread(
        search_audit, admin_context(request).engine, search, page=page, page_size=PAGE_SIZE
    )
    filters = dict(search.params)
    pager = Pager("/admin/audit", page, PAGE_SIZE, page * PAGE_SIZE < found.total, found.total, filters)
    csv_link = Pager("/admin/audit.csv", 1, PAGE_SIZE, False, filters=filters).query()
    context: dict[str, Any] = {
        "entries": found.entries,
        "pager": pager,
        "values": search.values,
        "error": "",
        "csv_link": csv_link,
    }
    return render(request, "audit.html", context)


@router.get("/audit.csv")
async def audit_export(request: Request, person: Admin) -> Response:
    try:
        search = AuditFilter.from_params(request.query_params)
    except InvalidRequest as exc:
        return Response(exc.message + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    return StreamingResponse(
        audit_csv(admin_context(request).engine, search),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{csv_filename(search)}"'},
    )
