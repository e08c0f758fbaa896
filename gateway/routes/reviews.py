"""`GET /v1/gateway/reviews/{id}`: the key that made a request reads its review's status, and the
answer once a reviewer released it."""

from __future__ import annotations

import asyncio

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from filters.review_store import ReviewNotFound, ReviewStatus, get_review_item
from gateway.core.errors import NotFound
from gateway.proxy.access import KeyPrincipal
from gateway.routes.deps import Database, ReviewCipher

router = APIRouter()


@router.get("/v1/gateway/reviews/{review_id}")
async def read_review(
    review_id: str,
    principal: KeyPrincipal,
    engine: Database,
    cipher: ReviewCipher,
) -> Response:
    try:
        item = await asyncio.to_thread(get_review_item, engine, review_id)
    except ReviewNotFound:
        item = None
    # Another key's review is reported as missing, not as forbidden: ids must not be probed.
    if item is None or item.key_id != principal.key_id:
        raise NotFound(f"No review '{review_id}' for this key.", code="review_not_found")
    body: dict[str, object] = {
        "id": item.id,
        "object": "gateway.review",
        "status": item.status,
        "request_id": item.request_id,
        "model": item.model,
        "created_at": int(item.created_at.timestamp()),
        "decided_at": int(item.decided_at.timestamp()) if item.decided_at else None,
    }
    if item.erased:
        body["answer_erased"] = True  # after the retention period: the status stays, the text is gone
    elif item.status == ReviewStatus.APPROVED:
        body["released"] = orjson.loads(cipher.decrypt(item.original))
    return Response(orjson.dumps(body), media_type="application/json")
