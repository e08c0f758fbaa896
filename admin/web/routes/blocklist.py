"""The blocklist for reviewers and admins: every phrase and pattern with who added it, when and
from which review; search; add; change the scope; disable or enable; delete after a confirmation.
Each change is audited and reaches every gateway process before the page answers."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect, render
from filters.blocklist import InvalidBlocklistEntry
from filters.blocklist_changes import (
    UNCHANGED,
    BlocklistChange,
    BlocklistEntryNotFound,
    BlocklistQuery,
    change_blocklist_entry,
    create_blocklist_entry,
    delete_blocklist_entry,
    get_blocklist_entry,
    list_blocklist,
)
from filters.blocklist_store import DuplicateBlocklistEntry
from gateway.core import keys
from gateway.core.notices import BLOCKLIST_CHANGED

router = APIRouter(prefix="/admin/blocklist")
Reviewer = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
EVERY_TEAM = "every"  # the scope of an entry for every team; a team's scope is "team:<name>"
TEAM_SCOPE = "team:"


class UnknownScope(ValueError):
    """A scope that is neither every team nor an existing team's."""


def team_of_scope(scope: str, teams: list[str]) -> str | None:
    """The team a scope names (None: every team); raises UnknownScope."""
    if scope == EVERY_TEAM:
        return None
    team = scope.removeprefix(TEAM_SCOPE)
    if scope.startswith(TEAM_SCOPE) and team in teams:
        return team
    raise UnknownScope(f"There is no team {team!r}: choose one of the list, or every team.")


def listing_query(show: str, text: str) -> BlocklistQuery:
    if show == EVERY_TEAM:
        return BlocklistQuery(every_team=True, text=text)
    if show.startswith(TEAM_SCOPE):
        return BlocklistQuery(team=show.removeprefix(TEAM_SCOPE), text=text)
    return BlocklistQuery(text=text)


async def _team_names(request: Request) -> list[str]:
    return [team.name for team in await asyncio.to_thread(keys.list_teams, admin_context(request).engine)]


async def _listing(
    request: Request, status_code: int = 200, *, error: str = "", show: str | None = None, q: str | None = None
) -> Response:
    """The page: the entries `show` (a scope) and `q` (a text) select, from the query string if not given."""
    show = (request.query_params.get("show", "") if show is None else show)[:140]
    text = (request.query_params.get("q", "") if q is None else q).strip()[:200]
    entries = await asyncio.to_thread(list_blocklist, admin_context(request).engine, listing_query(show, text))
    context: dict[str, Any] = {
        "entries": entries,
        "teams": await _team_names(request),
        "show": show,
        "q": text,
        "error": error,
        "every_team": EVERY_TEAM,
    }
    return render(request, "blocklist.html", context, status_code)


async def _return_to(request: Request) -> dict[str, str]:
    """The listing's filters the form came from, to show the same list after the change."""
    return {"show": await form_text(request, "show"), "q": await form_text(request, "q")}


async def _announce(request: Request) -> None:
    await admin_context(request).announce_change(BLOCKLIST_CHANGED)


@router.get("")
async def blocklist_page(request: Request, person: Reviewer) -> Response:
    return await _listing(request)


@router.post("")
async def add(request: Request, person: Reviewer) -> Response:
    back = await _return_to(request)
    phrase = (await form_text(request, "phrase"))[:1000]
    kind = "regex" if await form_text(request, "kind") == "regex" else "term"
    try:
        team = team_of_scope(await form_text(request, "scope"), await _team_names(request))
    except UnknownScope as exc:
        return await _listing(request, 400, error=f"Nothing was added: {exc}", **back)
    if not phrase:
        return await _listing(request, 400, error="Nothing was added: enter the phrase or pattern to block.", **back)
    try:
        await asyncio.to_thread(
            create_blocklist_entry,
            admin_context(request).engine,
            value=phrase,
            kind=kind,
            team=team,
            actor=person.actor,
        )
    except InvalidBlocklistEntry as exc:
        return await _listing(request, 400, error=f"Nothing was added: {exc}", **back)
    except DuplicateBlocklistEntry as exc:
        return await _listing(request, 409, error=f"Nothing was added: {exc}.", **back)
    await _announce(request)
    return redirect("/admin/blocklist", "blocklist_added", **back)


@router.post("/{entry_id}")
async def change(entry_id: str, request: Request, person: Reviewer) -> Response:
    number = _entry_number(entry_id)
    back = await _return_to(request)
    scope = await form_text(request, "scope")
    enabled = {"true": True, "false": False}.get(await form_text(request, "enabled"))
    try:
        team = team_of_scope(scope, await _team_names(request)) if scope else UNCHANGED
    except UnknownScope as exc:
        return await _listing(request, 400, error=f"Nothing was changed: {exc}", **back)
    try:
        await asyncio.to_thread(
            change_blocklist_entry,
            admin_context(request).engine,
            number,
            BlocklistChange(enabled=enabled, team=team),
            actor=person.actor,
        )
    except BlocklistEntryNotFound:
        raise _not_found(entry_id) from None
    except DuplicateBlocklistEntry as exc:
        return await _listing(request, 409, error=f"Nothing was changed: {exc}.", **back)
    await _announce(request)
    return redirect("/admin/blocklist", "blocklist_changed", **back)


def _entry_number(entry_id: str) -> int:
    if not entry_id.isdigit() or len(entry_id) > 18:
        raise _not_found(entry_id)
    return int(entry_id)


def _not_found(entry_id: str) -> PageError:
    return PageError(
        404,
        "No such blocklist entry",
        f"There is no blocklist entry {entry_id}: someone may have deleted it.",
        back="/admin/blocklist",
    )


@router.get("/{entry_id}/delete")
async def confirm_delete(entry_id: str, request: Request, person: Reviewer) -> Response:
    number = _entry_number(entry_id)
    try:
        entry = await asyncio.to_thread(get_blocklist_entry, admin_context(request).engine, number)
    except BlocklistEntryNotFound:
        raise _not_found(entry_id) from None
    return render(request, "blocklist_delete.html", {"entry": entry})


@router.post("/{entry_id}/delete")
async def delete(entry_id: str, request: Request, person: Reviewer) -> Response:
    number = _entry_number(entry_id)
    try:
        await asyncio.to_thread(delete_blocklist_entry, admin_context(request).engine, number, actor=person.actor)
    except BlocklistEntryNotFound:
        raise _not_found(entry_id) from None
    await _announce(request)
    return redirect("/admin/blocklist", "blocklist_deleted")
