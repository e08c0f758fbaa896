"""The review queue for reviewers: the list, one item with its flagged spans, and the decision."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.api.review import parse_age
from admin.context import Role, admin_context
from admin.web.guard import Allow, form_text
from admin.web.highlight import answer_views, delivered_text, sla_state
from admin.web.pages import PageError, redirect, render
from admin.web.paging import Pager, page_number
from filters.blocklist import InvalidBlocklistEntry
from filters.review_crypto import UndecryptableAnswer
from filters.review_store import (
    PhraseRequired,
    ReviewAlreadyDecided,
    ReviewDecision,
    ReviewNotFound,
    ReviewQuery,
    ReviewStatus,
    decide_review_item,
    get_review_item,
    list_review_items,
)
from gateway.core.audit import list_audit_entries
from gateway.core.errors import InvalidRequest
from gateway.core.models import utcnow
from gateway.core.notices import BLOCKLIST_CHANGED

router = APIRouter(prefix="/admin/review")
Reviewer = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
AGES = {
    "": "any age",
    "1h": "older than 1 hour",
    "4h": "older than 4 hours",
    "1d": "older than 1 day",
    "7d": "older than 7 days",
}
KNOWN_FILTERS = ("pii", "toxicity", "blocklist")


@router.get("")
async def queue(request: Request, person: Reviewer) -> Response:
    params = request.query_params
    status = params.get("status", "pending")
    if status not in {"", *(s.value for s in ReviewStatus)}:
        status = "pending"
    age = params.get("older_than", "")
    try:
        older_than = parse_age(age)
    except InvalidRequest:
        age, older_than = "", None
    query = ReviewQuery(
        status=status or None,
        team=params.get("team") or None,
        filter_name=params.get("filter") or None,
        older_than=older_than,
        page=page_number(params.get("page")),
    )
    items, total = await asyncio.to_thread(list_review_items, admin_context(request).engine, query)
    now = utcnow()
    filters = {"status": status or "", "team": query.team or "", "filter": query.filter_name or "", "older_than": age}
    pager = Pager("/admin/review", query.page, query.page_size, query.page * query.page_size < total, total, filters)
    return render(
        request,
        "review_list.html",
        {
            "rows": [(item, sla_state(item.status, item.sla_due_at, now)) for item in items],
            "total": total,
            "pager": pager,
            "filters": filters,
            "statuses": [s.value for s in ReviewStatus],
            "ages": AGES,
            "known_filters": KNOWN_FILTERS,
        },
    )


@router.get("/{review_id}")
async def detail(review_id: str, request: Request, person: Reviewer) -> Response:
    context = admin_context(request)
    try:
        item = await asyncio.to_thread(get_review_item, context.engine, review_id)
    except ReviewNotFound:
        raise PageError(
            404, "No such review item", f"There is no review item {review_id}.", back="/admin/review"
        ) from None
    try:
        original = context.cipher.decrypt(item.original)
        delivered = context.cipher.decrypt(item.delivered)
    except UndecryptableAnswer:
        original = delivered = ""
        undecryptable = True
    else:
        undecryptable = False
    history = await asyncio.to_thread(list_audit_entries, context.engine, target=review_id)
    views = answer_views(original, item.findings)
    return render(
        request,
        "review_detail.html",
        {
            "item": item,
            "sla": sla_state(item.status, item.sla_due_at, utcnow()),
            "views": views,
            "delivered": delivered_text(delivered),
            "undecryptable": undecryptable,
            "phrase": next((view.phrase for view in views if view.phrase), ""),
            "history": list(reversed(history)),
            "open": item.status in {ReviewStatus.PENDING.value, ReviewStatus.ESCALATED.value},
        },
    )


@router.post("/{review_id}/decision")
async def decide(review_id: str, request: Request, person: Reviewer) -> Response:
    back = f"/admin/review/{review_id}"
    try:
        decision = ReviewDecision(await form_text(request, "decision"))
    except ValueError:
        raise PageError(400, "Choose a decision", "The form did not say which decision to take.", back=back) from None
    phrase = await form_text(request, "phrase")
    kind = "regex" if await form_text(request, "phrase_kind") == "regex" else "term"
    note = (await form_text(request, "note"))[:2000] or None
    if decision is ReviewDecision.ESCALATE and note is None:
        raise PageError(
            400, "Say why", "Escalating needs a note for the person who takes it over.", "Go back and add one.", back
        )
    engine = admin_context(request).engine
    try:
        item = await asyncio.to_thread(get_review_item, engine, review_id)
        scope_global = await form_text(request, "scope") == "global"
        await asyncio.to_thread(
            decide_review_item,
            engine,
            review_id,
            decision,
            reviewer=person.actor,
            note=note,
            phrase=phrase[:1000] or None,
            phrase_kind=kind,
            blocklist_team=None if scope_global else item.team,
        )
    except ReviewNotFound:
        raise PageError(
            404, "No such review item", f"There is no review item {review_id}.", back="/admin/review"
        ) from None
    except ReviewAlreadyDecided:
        raise PageError(
            409,
            "Already decided",
            "Someone decided this item while you were looking at it; your decision was not recorded.",
            "Open the item again to see who decided what in its history.",
            back=back,
        ) from None
    except PhraseRequired:
        raise PageError(
            400, "A phrase is needed", "Reject and blocklist needs the phrase to block.", "Go back and enter it.", back
        ) from None
    except InvalidBlocklistEntry as exc:
        raise PageError(400, "The phrase cannot be blocklisted", str(exc), "Go back and correct it.", back) from None
    if decision is ReviewDecision.REJECT_AND_BLOCKLIST:
        await admin_context(request).announce_change(BLOCKLIST_CHANGED)
    return redirect("/admin/review", "decided")
