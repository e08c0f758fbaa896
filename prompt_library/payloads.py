"""JSON shapes of prompts and versions, shared by the teams' API and the admin API."""

from __future__ import annotations

from typing import Any

from prompt_library.models import PromptVersion
from prompt_library.service import PromptListing, ReuseFigure


def version_payload(version: PromptVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "state": version.state,
        "messages": version.messages,
        "variables": version.variables,
        "model_hints": version.model_hints,
        "author": version.author,
        "reviewer": version.reviewer,
        "reason": version.reason,
        "created_at": version.created_at.isoformat(),
        "submitted_at": version.submitted_at.isoformat() if version.submitted_at else None,
        "reviewed_at": version.reviewed_at.isoformat() if version.reviewed_at else None,
        "deprecated_at": version.deprecated_at.isoformat() if version.deprecated_at else None,
    }


def listing_payload(listing: PromptListing, *, with_versions: bool) -> dict[str, Any]:
    prompt = listing.prompt
    latest = listing.latest_approved
    payload: dict[str, Any] = {
        "id": prompt.name,
        "object": "gateway.prompt",
        "description": prompt.description,
        "tags": prompt.tags,
        "owner_team": prompt.owner_team,
        "latest_approved_version": latest.version if latest else None,
        "created_at": prompt.created_at.isoformat(),
    }
    if with_versions:
        payload["versions"] = [version_payload(version) for version in listing.versions]
    return payload


def reuse_payload(figure: ReuseFigure) -> dict[str, Any]:
    return {
        "id": figure.prompt,
        "owner_team": figure.owner_team,
        "teams": figure.teams,
        "requests": figure.requests,
        "requests_by_version": {str(k): v for k, v in figure.requests_by_version.items()},
        "teams_list": figure.teams_list,
    }
