"""The shared prompt library for any key: browse and read, propose prompts and versions, submit
them for review, and see how widely a prompt is reused."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from gateway.core.bodies import RequestBody, parse_body
from gateway.proxy.access import KeyPrincipal
from gateway.routes.deps import Database
from prompt_library import service
from prompt_library.payloads import listing_payload, reuse_payload, version_payload

router = APIRouter(prefix="/v1/gateway/prompts")


class PromptIn(RequestBody):
    id: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    tags: list[str] = Field(default_factory=list)
    messages: list[dict[str, Any]]
    variables: list[dict[str, Any]] = Field(default_factory=list)
    model_hints: list[str] = Field(default_factory=list)


class VersionIn(RequestBody):
    messages: list[dict[str, Any]]
    variables: list[dict[str, Any]] = Field(default_factory=list)
    model_hints: list[str] = Field(default_factory=list)


def _json(payload: object, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


@router.get("")
async def list_prompts(
    request: Request,
    principal: KeyPrincipal,
    engine: Database,
    q: str | None = None,
    tag: str | None = None,
    owner_team: str | None = None,
) -> Response:
    listings = await asyncio.to_thread(
        service.list_prompts,
        engine,
        team=principal.team_name,
        query=q,
        tag=tag,
        owner_team=owner_team,
    )
    return _json({"object": "list", "data": [listing_payload(item, with_versions=False) for item in listings]})


@router.get("/{name}")
async def get_prompt(name: str, principal: KeyPrincipal, engine: Database) -> Response:
    listing = await asyncio.to_thread(service.get_prompt, engine, name, team=principal.team_name)
    return _json(listing_payload(listing, with_versions=True))


@router.get("/{name}/reuse")
async def get_reuse(name: str, principal: KeyPrincipal, engine: Database) -> Response:
    figure = await asyncio.to_thread(service.reuse_figure, engine, name)
    return _json(reuse_payload(figure))


@router.post("")
async def propose_prompt(request: Request, principal: KeyPrincipal, engine: Database) -> Response:
    data = await parse_body(request, PromptIn)
    version = await asyncio.to_thread(
        service.propose_prompt,
        engine,
        name=data.id,
        owner_team=principal.team_name,
        author=f"key:{principal.key_prefix}",
        messages=data.messages,
        variables=data.variables,
        description=data.description,
        tags=data.tags,
        model_hints=data.model_hints,
    )
    return _json({"id": data.id, **version_payload(version)}, status=201)


@router.post("/{name}/versions")
async def propose_version(name: str, request: Request, principal: KeyPrincipal, engine: Database) -> Response:
    data = await parse_body(request, VersionIn)
    version = await asyncio.to_thread(
        service.propose_version,
        engine,
        name,
        team=principal.team_name,
        author=f"key:{principal.key_prefix}",
        messages=data.messages,
        variables=data.variables,
        model_hints=data.model_hints,
    )
    return _json({"id": name, **version_payload(version)}, status=201)


@router.post("/{name}/versions/{version}/submit")
async def submit_version(name: str, version: int, principal: KeyPrincipal, engine: Database) -> Response:
    row = await asyncio.to_thread(service.submit_for_review, engine, name, version, team=principal.team_name)
    return _json({"id": name, **version_payload(row)})
