"""The review queue's pages: the filters a queue URL carries, the rows with their snippets (only a
page's rows are decrypted), and the item page's context; shared by the pages and the forms that
show them again with a message."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from admin.api.review import parse_age
from admin.context import admin_context
from admin.web.highlight import answer_views, delivered_text, sla_state, toxicity_weigher
from admin.web.pages import render
from admin.web.paging import Pager, page_number
from filters.review_crypto import AnswerCipher, UndecryptableAnswer
from filters.review_prompt import PromptMessage, last_user_text, prompt_messages
from filters.review_search import SearchIndex
from filters.review_store import PAGE_SIZE, ReviewItem, ReviewQuery, ReviewStatus, answer_text, list_review_items
from gateway.core.audit import list_audit_entries
from gateway.core.errors import InvalidRequest
from gateway.core.models import utcnow

AGES = {
    "": "any age",
    "1h": "older than 1 hour",
    "4h": "older than 4 hours",
    "1d": "older than 1 day",
    "7d": "older than 7 days",
}
KNOWN_FILTERS = ("pii", "toxicity", "blocklist")
ALL_STATUSES = "all"
FILTER_FIELDS = ("status", "team", "filter", "older_than", "q")
SNIPPET_CHARS = 160
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class QueueFilters:
    """The queue a reviewer works in, as its URL says it; every link and form of the queue keeps it."""

    values: dict[str, str]

    @classmethod
    def read(cls, params: Mapping[str, str]) -> QueueFilters:
        status = params.get("status", "pending") or ALL_STATUSES
        if status not in {ALL_STATUSES, *(s.value for s in ReviewStatus)}:
            status = "pending"
        age = params.get("older_than", "")
        try:
            parse_age(age)
        except InvalidRequest:
            age = ""
        values = {
            "status": status,
            "team": params.get("team", "").strip(),
            "filter": params.get("filter", "") if params.get("filter", "") in KNOWN_FILTERS else "",
            "older_than": age,
            "q": " ".join(params.get("q", "").split())[:MAX_SEARCH_CHARS],
        }
        return cls(values)

    def query(self, cipher: AnswerCipher, page: int = 1) -> ReviewQuery:
        search = self.values["q"]
        return ReviewQuery(
            status=None if self.values["status"] == ALL_STATUSES else self.values["status"],
            team=self.values["team"] or None,
            filter_name=self.values["filter"] or None,
            older_than=parse_age(self.values["older_than"]),
            search=search or None,
            search_words=SearchIndex.from_cipher(cipher).query(search) if search else [],
            page=page,
        )

    def query_string(self, **extra: str) -> str:
        """`?status=…&…` with the non-empty filters (status always: its absence means pending)."""
        params = {key: value for key, value in {**self.values, **extra}.items() if value}
        return "?" + urlencode(params)


@dataclass(frozen=True)
class QueueRow:
    item: ReviewItem
    sla: str
    answer: str
    prompt: str


def snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def queue_row(cipher: AnswerCipher, item: ReviewItem, now: datetime) -> QueueRow:
    """One row, its answer and the user's last message decrypted for the snippets."""
    if item.erased:
        return QueueRow(item, sla_state(item.status, item.sla_due_at, now), "(erased after the retention period)", "")
    try:
        answer = snippet(answer_text(cipher.decrypt(item.original)))
        prompt = snippet(last_user_text(prompt_messages(cipher.decrypt(item.prompt)))) if item.prompt else ""
    except UndecryptableAnswer:
        answer, prompt = "(cannot be decrypted with the configured keys)", ""
    return QueueRow(item, sla_state(item.status, item.sla_due_at, now), answer, prompt)


def _queue_page(
    engine: Engine, cipher: AnswerCipher, filters: QueueFilters, page: int
) -> tuple[list[QueueRow], int, int]:
    query = filters.query(cipher, page)
    items, total = list_review_items(engine, query)
    now = utcnow()
    return [queue_row(cipher, item, now) for item in items], total, query.page


async def render_queue(
    request: Request,
    filters: QueueFilters,
    page: int,
    *,
    error: str = "",
    selected: frozenset[str] = frozenset(),
    note: str = "",
    status_code: int = 200,
) -> Response:
    context = admin_context(request)
    rows, total, page = await asyncio.to_thread(_queue_page, context.engine, context.cipher, filters, page)
    pager = Pager("/admin/review", page, PAGE_SIZE, page * PAGE_SIZE < total, total, filters.values)
    return render(
        request,
        "review_list.html",
        {
            "rows": rows,
            "total": total,
            "pager": pager,
            "filters": filters.values,
            "queue_query": filters.query_string(),
            "statuses": [s.value for s in ReviewStatus],
            "ages": AGES,
            "known_filters": KNOWN_FILTERS,
            "bulk_error": error,
            "selected": selected,
            "bulk_note": note,
        },
        status_code=status_code,
    )


def read_page(params: Mapping[str, str]) -> int:
    return page_number(params.get("page"))


@dataclass(frozen=True)
class DecisionForm:
    """What the reviewer entered, to show again when the decision could not be taken."""

    note: str = ""
    phrase: str | None = None
    phrase_kind: str = "term"
    scope: str = "team"
    error: str = ""


def _detail_context(engine: Any, cipher: AnswerCipher, scorer: Any, item: ReviewItem) -> dict[str, Any]:
    original = delivered = ""
    prompt: list[PromptMessage] = []
    undecryptable = False
    if not item.erased:  # erased after the retention period: the template says so
        try:
            original = cipher.decrypt(item.original)
            delivered = cipher.decrypt(item.delivered)
            prompt = prompt_messages(cipher.decrypt(item.prompt)) if item.prompt else []
        except UndecryptableAnswer:
            original = delivered = ""
            prompt = []
            undecryptable = True
    views = answer_views(original, item.findings, toxicity_weigher(scorer))
    history = list_audit_entries(engine, target=item.id)
    return {
        "item": item,
        "sla": sla_state(item.status, item.sla_due_at, utcnow()),
        "views": views,
        "delivered": delivered_text(delivered),
        "prompt": prompt,
        "undecryptable": undecryptable,
        "phrase": next((view.phrase for view in views if view.phrase), ""),
        "history": list(reversed(history)),
        "open": item.status in {ReviewStatus.PENDING.value, ReviewStatus.ESCALATED.value},
    }


async def render_detail(
    request: Request, item: ReviewItem, filters: QueueFilters, form: DecisionForm | None = None, status_code: int = 200
) -> Response:
    context = admin_context(request)
    page = await asyncio.to_thread(_detail_context, context.engine, context.cipher, context.toxicity_scorer, item)
    form = form or DecisionForm()
    if form.phrase is not None:
        page["phrase"] = form.phrase
    return render(
        request,
        "review_detail.html",
        {**page, "form": form, "queue_query": filters.query_string(), "filters": filters.values},
        status_code=status_code,
    )
