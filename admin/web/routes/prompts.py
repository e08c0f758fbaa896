"""The prompt library: every role browses; authors propose versions; reviewers approve or reject them."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response

from admin.accounts.sessions import SignedIn
from admin.context import Role, admin_context
from admin.web.areas import EVERYONE
from admin.web.diff import side_by_side, version_text
from admin.web.guard import Allow, form_text
from admin.web.pages import PageError, redirect, render
from admin.web.prompt_form import InvalidPromptForm, read_version_form, variables_text
from admin.web.sdk_snippet import openai_snippet
from gateway.core.db import session_scope
from gateway.core.errors import GatewayError
from prompt_library import service
from prompt_library.errors import PromptNotFound
from prompt_library.models import Prompt, PromptState, PromptVersion

router = APIRouter(prefix="/admin/prompts")
Reader = Annotated[SignedIn, Depends(Allow(*EVERYONE))]
# Authors and reviewers: a viewer only reads, finance has no part in prompts.
Author = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]
Reviewer = Annotated[SignedIn, Depends(Allow(Role.REVIEWER))]


def sees_everything(person: SignedIn) -> bool:
    """Reviewers and admins see drafts and versions in review of every team: they approve them."""
    return person.role in {Role.ADMIN, Role.REVIEWER}


def _awaiting_review(engine: Engine) -> list[tuple[Prompt, PromptVersion]]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Prompt, PromptVersion)
            .join(PromptVersion, col(PromptVersion.prompt_id) == col(Prompt.id))
            .where(PromptVersion.state == PromptState.IN_REVIEW.value)
            .order_by(col(PromptVersion.submitted_at))
        )
        return [(prompt, version) for prompt, version in rows]


def _listing(engine: Engine, name: str, person: SignedIn) -> service.PromptListing:
    if not sees_everything(person):
        return service.get_prompt(engine, name, team=person.team)
    with session_scope(engine) as session:
        prompt = session.exec(select(Prompt).where(Prompt.name == name)).first()
        if prompt is None:
            raise PromptNotFound(f"There is no prompt named {name!r}.")
        versions = session.exec(
            select(PromptVersion)
            .where(PromptVersion.prompt_id == prompt.id)
            .order_by(col(PromptVersion.version).desc())
        )
        return service.PromptListing(prompt, list(versions))


def _owner_team(person: SignedIn, requested: str) -> str:
    if person.role is Role.ADMIN and requested:
        return requested
    if not person.team:
        raise PageError(
            400,
            "Your account has no team",
            "Prompts belong to a team, and your account is not an author for any team.",
            "Ask an admin to set your team in “People”.",
            "/admin/prompts",
        )
    return person.team


@router.get("")
async def library(request: Request, person: Reader) -> Response:
    engine = admin_context(request).engine
    query = request.query_params.get("q", "").strip()[:100]
    tag = request.query_params.get("tag", "").strip()[:64]
    listings = await asyncio.to_thread(
        service.list_prompts, engine, team=person.team, query=query or None, tag=tag or None
    )
    waiting = await asyncio.to_thread(_awaiting_review, engine) if sees_everything(person) else []
    tags = sorted({t for listing in listings for t in listing.prompt.tags})
    return render(
        request,
        "prompts.html",
        {
            "listings": listings,
            "q": query,
            "tag": tag,
            "tags": tags,
            "waiting": waiting,
            "can_author": person.role in {Role.ADMIN, Role.REVIEWER},
        },
    )


@router.get("/new")
async def new_prompt_form(request: Request, person: Author) -> Response:
    return render(request, "prompt_new.html", {"error": "", "form": {}})


@router.post("")
async def propose_prompt(request: Request, person: Author) -> Response:
    form = {
        key: await form_text(request, key)
        for key in ("name", "description", "tags", "owner_team", "system", "user", "variables", "model_hints")
    }
    try:
        messages, variables, hints = await read_version_form(request)
        version = await asyncio.to_thread(
            service.propose_prompt,
            admin_context(request).engine,
            name=form["name"],
            owner_team=_owner_team(person, form["owner_team"]),
            author=person.actor,
            messages=messages,
            variables=variables,
            description=form["description"][:2000],
            tags=[t.strip() for t in form["tags"].split(",") if t.strip()],
            model_hints=hints,
        )
    except (InvalidPromptForm, GatewayError) as exc:
        message = exc.message if isinstance(exc, GatewayError) else str(exc)
        return render(request, "prompt_new.html", {"error": message, "form": form}, status_code=400)
    return await _after_proposal(request, person, form["name"], version.version)


async def _after_proposal(request: Request, person: SignedIn, name: str, version: int) -> Response:
    if await form_text(request, "submit_now") == "yes":
        listing = await asyncio.to_thread(_listing, admin_context(request).engine, name, person)
        await asyncio.to_thread(
            service.submit_for_review, admin_context(request).engine, name, version, team=listing.prompt.owner_team
        )
    return redirect(f"/admin/prompts/{name}", "proposed")


@router.get("/{name}")
async def prompt_page(name: str, request: Request, person: Reader) -> Response:
    engine = admin_context(request).engine
    try:
        listing = await asyncio.to_thread(_listing, engine, name, person)
    except PromptNotFound:
        raise PageError(
            404, "No such prompt", f"There is no prompt named {name!r} that you may see.", back="/admin/prompts"
        ) from None
    reuse = await asyncio.to_thread(service.reuse_figure, engine, name)
    by_number = {v.version: v for v in listing.versions}
    numbers = sorted(by_number)
    right = _version_param(request, "right", numbers[-1] if numbers else None)
    left = _version_param(request, "left", numbers[-2] if len(numbers) > 1 else right)
    diff = []
    if left in by_number and right in by_number:
        diff = side_by_side(version_text(by_number[left].messages), version_text(by_number[right].messages))
    latest = listing.versions[0] if listing.versions else None
    usable = next((v for v in listing.versions if v.state == "approved"), None)
    snippet = ""
    if usable is not None:
        models = usable.model_hints or list(admin_context(request).models) or ["gpt-4o-mini"]
        snippet = openai_snippet(str(request.base_url), models[0], name, usable.version, usable.variables)
    is_owner = person.team == listing.prompt.owner_team or person.role is Role.ADMIN
    return render(
        request,
        "prompt_detail.html",
        {
            "listing": listing,
            "reuse": reuse,
            "left": left,
            "right": right,
            "numbers": numbers,
            "diff": diff,
            "latest": latest,
            "usable": usable,
            "snippet": snippet,
            "latest_variables": variables_text(latest.variables) if latest else "",
            "latest_messages": {m["role"]: m["content"] for m in latest.messages} if latest else {},
            "can_propose": is_owner and person.role in {Role.ADMIN, Role.REVIEWER},
            "can_review": person.role in {Role.ADMIN, Role.REVIEWER},
            "actor": person.actor,
        },
    )


def _submitter_team(engine: Engine, name: str, person: SignedIn) -> str:
    # Admins act for the owner team; everyone else submits for their own team (the service checks it).
    return _listing(engine, name, person).prompt.owner_team if person.role is Role.ADMIN else (person.team or "")


def _version_param(request: Request, key: str, default: int | None) -> int | None:
    value = request.query_params.get(key, "")
    return int(value) if value.isdigit() else default


@router.post("/{name}/versions")
async def propose_version(name: str, request: Request, person: Author) -> Response:
    engine = admin_context(request).engine
    back = f"/admin/prompts/{name}"
    try:
        listing = await asyncio.to_thread(_listing, engine, name, person)
        messages, variables, hints = await read_version_form(request)
        team = listing.prompt.owner_team if person.role is Role.ADMIN else (person.team or "")
        version = await asyncio.to_thread(
            service.propose_version,
            engine,
            name,
            team=team,
            author=person.actor,
            messages=messages,
            variables=variables,
            model_hints=hints,
        )
    except InvalidPromptForm as exc:
        raise PageError(400, "The version was not proposed", str(exc), "Go back and correct it.", back) from None
    except GatewayError as exc:
        raise PageError(
            exc.status_code, "The version was not proposed", exc.message, "Go back and correct it.", back
        ) from None
    return await _after_proposal(request, person, name, version.version)


@router.post("/{name}/versions/{version}/{step}")
async def review_step(name: str, version: int, step: str, request: Request, person: Reviewer) -> Response:
    engine = admin_context(request).engine
    back = f"/admin/prompts/{name}"
    reason = (await form_text(request, "reason"))[:2000]
    steps: dict[str, Any] = {
        "approve": lambda: service.approve(engine, name, version, reviewer=person.actor),
        "reject": lambda: service.reject(engine, name, version, reviewer=person.actor, reason=reason),
        "deprecate": lambda: service.deprecate(engine, name, version, reason=reason),
        "submit": lambda: service.submit_for_review(engine, name, version, team=_submitter_team(engine, name, person)),
    }
    if step not in steps:
        raise PageError(404, "Unknown step", f"{step!r} is not a step of the review workflow.", back=back)
    try:
        await asyncio.to_thread(steps[step])
    except GatewayError as exc:
        raise PageError(exc.status_code, f"Could not {step} version {version}", exc.message, back=back) from None
    done = {"approve": "approved", "reject": "rejected", "deprecate": "deprecated", "submit": "submitted"}[step]
    return redirect(back, done)
