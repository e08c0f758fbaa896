"""The review queue's admin API: list, read and decide blocked or flagged answers."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from filters.blocklist import InvalidBlocklistEntry
from filters.review_prompt import prompt_messages
from filters.review_search import SearchIndex
from filters.review_store import (
    PhraseRequired,
    ReviewAlreadyDecided,
    ReviewDecision,
    ReviewItem,
    ReviewNotFound,
    ReviewQuery,
    ReviewStatus,
    decide_review_item,
    get_review_item,
    list_review_items,
)
from gateway.core.audit import list_audit_entries
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.notices import BLOCKLIST_CHANGED

router = APIRouter(prefix="/admin/api/review")
_AGE = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class BulkDecisionIn(RequestBody):
    ids: list[str] = Field(min_length=1, max_length=200)
    decision: Literal["approve", "reject"]
    note: str = Field(min_length=1, max_length=2000)


class DecisionIn(RequestBody):
    decision: ReviewDecision
    phrase: str | None = Field(default=None, max_length=1000)
    phrase_kind: Literal["term", "regex"] = "term"
    scope: Literal["team", "global"] = "team"
    note: str | None = Field(default=None, max_length=2000)


def parse_age(value: str | None) -> timedelta | None:
    """`30m`, `4h`, `2d` (or plain seconds) into a timedelta."""
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    match = _AGE.match(value)
    if match is None:
        raise InvalidRequest("older_than must look like 30m, 4h or 2d.", param="older_than")
    return timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


def item_summary(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "request_id": item.request_id,
        "team": item.team,
        "key_prefix": item.key_prefix,
        "model": item.model,
        "action": item.action,
        "filters": item.filter_names(),
        "status": item.status,
        "created_at": item.created_at.isoformat(),
        "sla_due_at": item.sla_due_at.isoformat(),
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "reviewer": item.reviewer,
        "decision": item.decision,
        "prompt_ref": item.prompt_ref,
    }


@router.get("")
async def list_items(
    request: Request,
    status: str | None = None,
    team: str | None = None,
    filter: str | None = None,
    older_than: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> JSONResponse:
    """`q` finds items by request id, key prefix or item id, or by words of the answer and prompt."""
    require_role(request, Role.REVIEWER)
    if status and status not in {s.value for s in ReviewStatus}:
        raise InvalidRequest(f"status must be one of {', '.join(s.value for s in ReviewStatus)}.", param="status")
    if q is not None and len(q) > 200:
        raise InvalidRequest("q must be at most 200 characters.", param="q")
    search = " ".join(q.split()) if q else None
    query = ReviewQuery(
        status=status,
        team=team,
        filter_name=filter,
        older_than=parse_age(older_than),
        search=search,
        search_words=SearchIndex.from_cipher(admin_context(request).cipher).query(search) if search else [],
        page=max(page, 1),
    )
    items, total = await asyncio.to_thread(list_review_items, admin_context(request).engine, query)
    return JSONResponse(
        {
            "data": [item_summary(item) for item in items],
            "page": query.page,
            "page_size": query.page_size,
            "total": total,
        }
    )


@router.get("/{review_id}")
async def get_item(review_id: str, request: Request) -> JSONResponse:
    require_role(request, Role.REVIEWER)
    context = admin_context(request)
    try:
        item = await asyncio.to_thread(get_review_item, context.engine, review_id)
    except ReviewNotFound as exc:
        raise NotFound(str(exc), code="review_not_found") from None
    history = await asyncio.to_thread(list_audit_entries, context.engine, target=review_id)
    return JSONResponse(
        {
            **item_summary(item),
            "note": item.note,
            "findings": item.findings,
            "erased": item.erased,  # its texts were erased after the retention period
            "original": None if item.erased else context.cipher.decrypt(item.original),
            "delivered": None if item.erased else context.cipher.decrypt(item.delivered),
            "prompt": [
                {"role": message.role, "text": message.text}
                for message in (prompt_messages(context.cipher.decrypt(item.prompt)) if item.prompt else [])
            ],
            "streamed": item.streamed,
            "history": [
                {"at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action, "details": entry.details}
                for entry in reversed(history)
            ],
        }
    )


@router.post("/{review_id}/decision")
async def decide(review_id: str, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, DecisionIn)
    context = admin_context(request)
    try:
        item = await asyncio.to_thread(get_review_item, context.engine, review_id)
        decided = await asyncio.to_thread(
            decide_review_item,
            context.engine,
            review_id,
            data.decision,
            reviewer=caller.name,
            note=data.note,
            phrase=data.phrase,
            phrase_kind=data.phrase_kind,
            blocklist_team=item.team if data.scope == "team" else None,
        )
    except ReviewNotFound as exc:
        raise NotFound(str(exc), code="review_not_found") from None
    except ReviewAlreadyDecided as exc:
        raise InvalidRequest(str(exc), code="already_decided") from None
    except PhraseRequired as exc:
        raise InvalidRequest(str(exc), param="phrase", code="missing_required_parameter") from None
    except InvalidBlocklistEntry as exc:
        raise InvalidRequest(f"The phrase cannot be blocklisted: {exc}", param="phrase") from None
    if data.decision is ReviewDecision.REJECT_AND_BLOCKLIST:
        await context.announce_change(BLOCKLIST_CHANGED)
    return JSONResponse(item_summary(decided))


@router.post("/bulk")
async def decide_many(request: Request) -> JSONResponse:
    """One decision and one note for many items; each is its own audit entry. Items decided
    meanwhile (or unknown) are listed as skipped, the others are decided."""
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, BulkDecisionIn)
    engine = admin_context(request).engine
    decided, skipped = [], []
    for review_id in dict.fromkeys(data.ids):
        try:
            await asyncio.to_thread(
                decide_review_item,
                engine,
                review_id,
                ReviewDecision(data.decision),
                reviewer=caller.name,
                note=data.note,
            )
        except (ReviewNotFound, ReviewAlreadyDecided):
            skipped.append(review_id)
        else:
            decided.append(review_id)
    return JSONResponse({"decided": decided, "skipped": skipped})
