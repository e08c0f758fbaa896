"""The blocklist's admin API: list and search every entry, add one, change its scope or switch it
off, delete it. Each change is audited and reaches every gateway process before the answer."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field, StrictBool
from starlette.requests import Request
from starlette.responses import JSONResponse

from admin.context import Role, admin_context, require_role
from filters.blocklist import InvalidBlocklistEntry
from filters.blocklist_changes import (
    UNCHANGED,
    BlocklistChange,
    BlocklistEntryNotFound,
    BlocklistQuery,
    change_blocklist_entry,
    create_blocklist_entry,
    delete_blocklist_entry,
    list_blocklist,
)
from filters.blocklist_store import DuplicateBlocklistEntry, StoredBlocklistEntry
from gateway.core import keys
from gateway.core.bodies import RequestBody, parse_body
from gateway.core.errors import Conflict, InvalidRequest, NotFound
from gateway.core.models import as_utc
from gateway.core.notices import BLOCKLIST_CHANGED

router = APIRouter(prefix="/admin/api/blocklist")


class NewEntryIn(RequestBody):
    phrase: str = Field(min_length=1, max_length=1000)
    kind: Literal["term", "regex"] = "term"
    team: str | None = Field(default=None, min_length=1, max_length=128, description="None: every team")


class EntryChangeIn(RequestBody):
    enabled: StrictBool | None = None
    team: str | None = Field(default=None, min_length=1, max_length=128, description="null: every team")


def entry_json(entry: StoredBlocklistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "phrase": entry.value,
        "kind": entry.kind,
        "team": entry.team,
        "added_by": entry.created_by,
        "added_at": as_utc(entry.created_at).isoformat(),
        "review_id": entry.source_review_id,
        "enabled": entry.enabled,
    }


def check_team(request: Request, team: str | None) -> None:
    """An entry may name only a team that exists: a typo would block nothing, silently."""
    if team is None:
        return
    try:
        keys.find_team(admin_context(request).engine, team)
    except keys.UnknownTeam as exc:
        raise NotFound(str(exc), param="team", code="team_not_found") from None


def entry_number(entry_id: str) -> int:
    """The entry's id from the path; anything but a number names no entry."""
    if not entry_id.isdigit() or len(entry_id) > 18:
        raise NotFound(f"no blocklist entry {entry_id!r}", code="blocklist_entry_not_found")
    return int(entry_id)


def duplicate_error(exc: DuplicateBlocklistEntry) -> Conflict:
    return Conflict(f"{exc}.", param="phrase", code="duplicate_entry")


@router.get("")
async def list_entries(request: Request, team: str | None = None, q: str | None = None) -> JSONResponse:
    require_role(request, Role.REVIEWER)
    query = BlocklistQuery(team=team or None, text=(q or "").strip()[:200])
    entries = await asyncio.to_thread(list_blocklist, admin_context(request).engine, query)
    return JSONResponse({"data": [entry_json(entry) for entry in entries]})


@router.post("")
async def create_entry(request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    data = await parse_body(request, NewEntryIn)
    phrase = data.phrase.strip()
    if not phrase:
        raise InvalidRequest("phrase: must not be blank.", param="phrase")
    await asyncio.to_thread(check_team, request, data.team)
    context = admin_context(request)
    try:
        entry = await asyncio.to_thread(
            create_blocklist_entry, context.engine, value=phrase, kind=data.kind, team=data.team, actor=caller.name
        )
    except InvalidBlocklistEntry as exc:
        raise InvalidRequest(f"The phrase cannot be blocklisted: {exc}", param="phrase") from None
    except DuplicateBlocklistEntry as exc:
        raise duplicate_error(exc) from None
    await context.announce_change(BLOCKLIST_CHANGED)
    return JSONResponse(entry_json(entry), status_code=201)


@router.patch("/{entry_id}")
async def change_entry(entry_id: str, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    number = entry_number(entry_id)
    data = await parse_body(request, EntryChangeIn)
    if not data.model_fields_set:
        raise InvalidRequest("Give 'enabled', 'team' (null: every team), or both.", param="enabled")
    if "enabled" in data.model_fields_set and data.enabled is None:
        raise InvalidRequest("enabled: must be true or false.", param="enabled")
    team: object = data.team if "team" in data.model_fields_set else UNCHANGED
    if isinstance(team, str):
        await asyncio.to_thread(check_team, request, team)
    context = admin_context(request)
    try:
        entry = await asyncio.to_thread(
            change_blocklist_entry,
            context.engine,
            number,
            BlocklistChange(enabled=data.enabled, team=team),
            actor=caller.name,
        )
    except BlocklistEntryNotFound as exc:
        raise NotFound(str(exc), code="blocklist_entry_not_found") from None
    except DuplicateBlocklistEntry as exc:
        raise duplicate_error(exc) from None
    await context.announce_change(BLOCKLIST_CHANGED)
    return JSONResponse(entry_json(entry))


@router.delete("/{entry_id}")
async def delete_entry(entry_id: str, request: Request) -> JSONResponse:
    caller = require_role(request, Role.REVIEWER)
    number = entry_number(entry_id)
    context = admin_context(request)
    try:
        entry = await asyncio.to_thread(delete_blocklist_entry, context.engine, number, actor=caller.name)
    except BlocklistEntryNotFound as exc:
        raise NotFound(str(exc), code="blocklist_entry_not_found") from None
    await context.announce_change(BLOCKLIST_CHANGED)
    return JSONResponse({"id": entry.id, "object": "blocklist.entry", "deleted": True})
