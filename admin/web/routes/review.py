"""The review queue for reviewers: the list (filtered, searched, paged), one item with its flagged
spans and prompt, the decision (then the next item of the same queue), and bulk decisions."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect
from admin.web.review_views import FILTER_FIELDS, DecisionForm, QueueFilters, read_page, render_detail, render_queue
from filters.blocklist import InvalidBlocklistEntry
from filters.review_store import (
    PhraseRequired,
    ReviewAlreadyDecided,
    ReviewDecision,
    ReviewItem,
    ReviewNotFound,
    decide_review_item,
    get_review_item,
    next_review_item,
)
from gateway.core.notices import BLOCKLIST_CHANGED

router = APIRouter(prefix="/admin/review")
Reviewer = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
BULK_DECISIONS = {
    ReviewDecision.APPROVE.value: ReviewDecision.APPROVE,
    ReviewDecision.REJECT.value: ReviewDecision.REJECT,
}
MAX_BULK = 200  # four pages of the queue


async def _posted_filters(request: Request) -> QueueFilters:
    """The queue a form was sent from: its filters travel as hidden fields."""
    form = await request.form()
    return QueueFilters.read({name: value for name in FILTER_FIELDS if isinstance(value := form.get(name), str)})


@router.get("")
async def queue(request: Request, person: Reviewer) -> Response:
    params = request.query_params
    return await render_queue(request, QueueFilters.read(params), read_page(params))


async def _item(request: Request, review_id: str) -> ReviewItem:
    try:
        return await asyncio.to_thread(get_review_item, admin_context(request).engine, review_id)
    except ReviewNotFound:
        raise PageError(
            404, "No such review item", f"There is no review item {review_id}.", back="/admin/review"
        ) from None


@router.get("/{review_id}")
async def detail(review_id: str, request: Request, person: Reviewer) -> Response:
    return await render_detail(request, await _item(request, review_id), QueueFilters.read(request.query_params))


@router.post("/bulk")
async def bulk(request: Request, person: Reviewer) -> Response:
    """One decision and one note for the selected items; each decision is its own audit entry."""
    filters = await _posted_filters(request)
    page = read_page({"page": await form_text(request, "page")})
    selected = [value for value in (await request.form()).getlist("item") if isinstance(value, str) and value]
    note = (await form_text(request, "note"))[:2000]
    decision = BULK_DECISIONS.get(await form_text(request, "decision"))
    problem = (
        "Select at least one item."
        if not selected
        else f"Select at most {MAX_BULK} items at once."
        if len(selected) > MAX_BULK
        else "Choose approve or reject."
        if decision is None
        else "Write a note: it goes into the history of every selected item."
        if not note
        else ""
    )
    if problem or decision is None:
        return await render_queue(
            request, filters, page, error=problem, selected=frozenset(selected), note=note, status_code=400
        )
    engine = admin_context(request).engine
    for review_id in selected:
        try:
            await asyncio.to_thread(decide_review_item, engine, review_id, decision, reviewer=person.actor, note=note)
        except (ReviewNotFound, ReviewAlreadyDecided):
            continue  # decided by someone else meanwhile, or gone: the others still count
    return redirect("/admin/review", "bulk_decided", **filters.values, page=str(page))


@router.post("/{review_id}/decision")
async def decide(review_id: str, request: Request, person: Reviewer) -> Response:
    filters = await _posted_filters(request)
    item = await _item(request, review_id)
    note = (await form_text(request, "note"))[:2000]
    phrase = (await form_text(request, "phrase"))[:1000]
    kind = "regex" if await form_text(request, "phrase_kind") == "regex" else "term"
    scope = "global" if await form_text(request, "scope") == "global" else "team"

    async def again(message: str) -> Response:
        form = DecisionForm(note=note, phrase=phrase, phrase_kind=kind, scope=scope, error=message)
        return await render_detail(request, item, filters, form, status_code=400)

    try:
        decision = ReviewDecision(await form_text(request, "decision"))
    except ValueError:
        return await again("Choose a decision: approve, reject, reject and blocklist, or escalate.")
    if decision is ReviewDecision.ESCALATE and not note:
        return await again("Escalating needs a note for the person who takes it over.")
    engine = admin_context(request).engine
    try:
        await asyncio.to_thread(
            decide_review_item,
            engine,
            review_id,
            decision,
            reviewer=person.actor,
            note=note or None,
            phrase=phrase or None,
            phrase_kind=kind,
            blocklist_team=None if scope == "global" else item.team,
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
            back=f"/admin/review/{review_id}{filters.query_string()}",
        ) from None
    except PhraseRequired:
        return await again("Reject and blocklist needs the phrase to block: select it in the answer or type it.")
    except InvalidBlocklistEntry as exc:
        return await again(f"The phrase cannot be blocklisted: {exc}")
    if decision is ReviewDecision.REJECT_AND_BLOCKLIST:
        await admin_context(request).announce_change(BLOCKLIST_CHANGED)
    following = await asyncio.to_thread(next_review_item, engine, filters.query(admin_context(request).cipher), item)
    if following is None:
        return redirect("/admin/review", "decided_last", **filters.values)
    return redirect(f"/admin/review/{following}", "decided", **filters.values)
