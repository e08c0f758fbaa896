"""The audit log for admins: newest first, paginated, filtered by action prefix."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.guard import Allow
from admin.web.pages import render
from admin.web.paging import Pager, page_number
from gateway.core.audit import list_audit_entries

router = APIRouter(prefix="/admin/audit")
PAGE_SIZE = 50


@router.get("")
async def audit_page(request: Request, person: Annotated[SignedIn, Depends(Allow(Role.ADMIN))]) -> Response:
    page = page_number(request.query_params.get("page"))
    action = request.query_params.get("action", "").strip()[:64]
    # One row more than a page says whether a next page exists, without counting the whole log.
    entries = await asyncio.to_thread(
        list_audit_entries,
        admin_context(request).engine,
        action_prefix=action or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    pager = Pager("/admin/audit", page, PAGE_SIZE, len(entries) > PAGE_SIZE, filters={"action": action})
    return render(request, "audit.html", {"entries": entries[:PAGE_SIZE], "pager": pager, "action": action})
