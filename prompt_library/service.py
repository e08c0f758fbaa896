"""The prompt library's operations: propose, review, deprecate, browse, resolve for use, count uses.

Every function takes the database Engine and runs in its own transaction. Who may call what
(the reviewer role, the admin API) is decided by the app; the rules that belong to the data
are enforced here: the owner team adds versions, an author never approves their own version,
and only approved versions can be used by reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.core.db import session_scope
from gateway.core.models import utcnow
from prompt_library.errors import (
    InvalidTemplate,
    InvalidTransition,
    NotPromptOwner,
    PromptExists,
    PromptNotFound,
    PromptNotUsable,
    SelfApprovalRefused,
)
from prompt_library.models import Prompt, PromptState, PromptUsage, PromptVersion
from prompt_library.template import parse_template

PUBLIC_STATES = (PromptState.APPROVED.value, PromptState.DEPRECATED.value)
# Names become file names on export and appear in URLs: letters, digits, dot, dash, underscore.
PROMPT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True, slots=True)
class PromptListing:
    """A prompt with the versions the viewer may see, newest first."""

    prompt: Prompt
    versions: list[PromptVersion]

    @property
    def latest_approved(self) -> PromptVersion | None:
        return next((v for v in self.versions if v.state == PromptState.APPROVED.value), None)


@dataclass(frozen=True, slots=True)
class ReuseFigure:
    """How widely a prompt is reused: distinct teams and requests, in total and per version."""

    prompt: str
    owner_team: str
    teams: int
    requests: int
    requests_by_version: dict[int, int] = field(default_factory=dict)
    teams_list: list[str] = field(default_factory=list)


def _prompt(session: Session, name: str) -> Prompt:
    prompt = session.exec(select(Prompt).where(Prompt.name == name)).first()
    if prompt is None:
        raise PromptNotFound(f"There is no prompt named {name!r}.", param="name")
    return prompt


def _version(session: Session, name: str, version: int) -> tuple[Prompt, PromptVersion]:
    prompt = _prompt(session, name)
    row = session.exec(
        select(PromptVersion).where(PromptVersion.prompt_id == prompt.id, PromptVersion.version == version)
    ).first()
    if row is None:
        raise PromptNotFound(f"The prompt {name!r} has no version {version}.", param="version")
    return prompt, row


def _new_version(
    session: Session, prompt: Prompt, messages: Any, variables: Any, model_hints: Sequence[str], author: str
) -> PromptVersion:
    template = parse_template(messages, variables)
    latest = session.exec(select(func.max(PromptVersion.version)).where(PromptVersion.prompt_id == prompt.id)).one()
    assert prompt.id is not None  # flushed before any version is added
    row = PromptVersion(
        prompt_id=prompt.id,
        version=(latest or 0) + 1,
        messages=[m.model_dump() for m in template.messages],
        variables=[v.model_dump(exclude_defaults=True) for v in template.variables],
        model_hints=list(model_hints),
        author=author,
    )
    session.add(row)
    session.flush()
    return row


def propose_prompt(
    engine: Engine,
    *,
    name: str,
    owner_team: str,
    author: str,
    messages: Any,
    variables: Any = (),
    description: str = "",
    tags: Sequence[str] = (),
    model_hints: Sequence[str] = (),
) -> PromptVersion:
    """Create a prompt and its version 1 as a draft; raise PromptExists if the name is taken."""
    if not PROMPT_NAME.match(name):
        raise InvalidTemplate(
            f"Invalid prompt name {name!r}: use letters, digits, '.', '-' and '_' (at most 128).", param="name"
        )
    try:
        with session_scope(engine) as session:
            if session.exec(select(Prompt.id).where(Prompt.name == name)).first() is not None:
                raise PromptExists(f"A prompt named {name!r} already exists.", param="name")
            prompt = Prompt(name=name, description=description, tags=list(tags), owner_team=owner_team)
            session.add(prompt)
            session.flush()
            return _new_version(session, prompt, messages, variables, model_hints, author)
    except IntegrityError:  # a concurrent proposal took the name between our check and insert
        raise PromptExists(f"A prompt named {name!r} already exists.", param="name") from None


def propose_version(
    engine: Engine,
    name: str,
    *,
    team: str,
    author: str,
    messages: Any,
    variables: Any = (),
    model_hints: Sequence[str] = (),
) -> PromptVersion:
    """Add a new draft version (the next number) to a prompt of the caller's team."""
    with session_scope(engine) as session:
        prompt = _prompt(session, name)
        if prompt.owner_team != team:
            raise NotPromptOwner(f"Only team {prompt.owner_team!r} may add versions to the prompt {name!r}.")
        return _new_version(session, prompt, messages, variables, model_hints, author)


def _move(row: PromptVersion, expected: PromptState, target: PromptState, name: str) -> None:
    if row.state != expected.value:
        raise InvalidTransition(
            f"Version {row.version} of {name!r} is {row.state}; "
            f"only a {expected.value} version can become {target.value}."
        )
    row.state = target.value


def submit_for_review(engine: Engine, name: str, version: int, *, team: str) -> PromptVersion:
    """draft → in_review, by the owner team."""
    with session_scope(engine) as session:
        prompt, row = _version(session, name, version)
        if prompt.owner_team != team:
            raise NotPromptOwner(f"Only team {prompt.owner_team!r} may submit versions of {name!r} for review.")
        _move(row, PromptState.DRAFT, PromptState.IN_REVIEW, name)
        row.submitted_at = utcnow()
        session.add(row)
        return row


def approve(engine: Engine, name: str, version: int, *, reviewer: str) -> PromptVersion:
    """in_review → approved; the author of the version may not approve it (SelfApprovalRefused)."""
    with session_scope(engine) as session:
        _, row = _version(session, name, version)
        if row.author == reviewer:
            raise SelfApprovalRefused(f"{reviewer!r} wrote version {version} of {name!r} and cannot approve it.")
        _move(row, PromptState.IN_REVIEW, PromptState.APPROVED, name)
        row.reviewer, row.reviewed_at = reviewer, utcnow()
        session.add(row)
        return row


def reject(engine: Engine, name: str, version: int, *, reviewer: str, reason: str) -> PromptVersion:
    """in_review → rejected, with the reason the author reads; a fix is proposed as a new version."""
    if not reason.strip():
        raise InvalidTransition("A rejection needs a reason.", param="reason")
    with session_scope(engine) as session:
        _, row = _version(session, name, version)
        _move(row, PromptState.IN_REVIEW, PromptState.REJECTED, name)
        row.reviewer, row.reviewed_at, row.reason = reviewer, utcnow(), reason
        session.add(row)
        return row


def deprecate(engine: Engine, name: str, version: int, *, reason: str = "") -> PromptVersion:
    """approved → deprecated: still readable, no longer usable by reference."""
    with session_scope(engine) as session:
        _, row = _version(session, name, version)
        _move(row, PromptState.APPROVED, PromptState.DEPRECATED, name)
        row.deprecated_at = utcnow()
        row.reason = reason or row.reason
        session.add(row)
        return row


def _visible_versions(session: Session, prompt: Prompt, team: str | None) -> list[PromptVersion]:
    query = select(PromptVersion).where(PromptVersion.prompt_id == prompt.id)
    if team != prompt.owner_team:
        query = query.where(col(PromptVersion.state).in_(PUBLIC_STATES))
    return list(session.exec(query.order_by(col(PromptVersion.version).desc())))


def list_prompts(
    engine: Engine,
    *,
    team: str | None = None,
    query: str | None = None,
    tag: str | None = None,
    owner_team: str | None = None,
) -> list[PromptListing]:
    """Prompts with an approved version, plus every prompt of `team`; filtered by text, tag, owner."""
    with session_scope(engine) as session:
        statement = select(Prompt).order_by(Prompt.name)
        if query:
            pattern = f"%{query}%"
            statement = statement.where(or_(col(Prompt.name).ilike(pattern), col(Prompt.description).ilike(pattern)))
        if owner_team:
            statement = statement.where(Prompt.owner_team == owner_team)
        listings = []
        for prompt in session.exec(statement):
            if tag and tag not in prompt.tags:  # JSON lists are queried differently per database: filter here
                continue
            listing = PromptListing(prompt, _visible_versions(session, prompt, team))
            if listing.latest_approved is not None or prompt.owner_team == team:
                listings.append(listing)
        return listings


def get_prompt(engine: Engine, name: str, *, team: str | None = None) -> PromptListing:
    """One prompt with the versions `team` may see; PromptNotFound if it may see none."""
    with session_scope(engine) as session:
        prompt = _prompt(session, name)
        versions = _visible_versions(session, prompt, team)
        if not versions and prompt.owner_team != team:
            raise PromptNotFound(f"There is no prompt named {name!r}.", param="name")
        return PromptListing(prompt, versions)


def resolve_for_use(engine: Engine, name: str, version: int | None = None) -> tuple[Prompt, PromptVersion]:
    """The approved version a request refers to (`None`: the latest approved one)."""
    with session_scope(engine) as session:
        prompt = session.exec(select(Prompt).where(Prompt.name == name)).first()
        if prompt is None:
            raise PromptNotFound(f"There is no prompt named {name!r} in the library.", param="prompt.id")
        statement = select(PromptVersion).where(PromptVersion.prompt_id == prompt.id)
        if version is None:
            statement = statement.where(PromptVersion.state == PromptState.APPROVED.value)
            row = session.exec(statement.order_by(col(PromptVersion.version).desc())).first()
            if row is None:
                raise PromptNotUsable(f"The prompt {name!r} has no approved version yet.", param="prompt.id")
            return prompt, row
        row = session.exec(statement.where(PromptVersion.version == version)).first()
        if row is None:
            raise PromptNotFound(f"The prompt {name!r} has no version {version}.", param="prompt.version")
        if row.state != PromptState.APPROVED.value:
            raise PromptNotUsable(
                f"Version {version} of the prompt {name!r} is {row.state}; only approved versions can be used.",
                param="prompt.version",
            )
        return prompt, row


def record_uses(engine: Engine, counts: Mapping[tuple[int, str], int]) -> None:
    """Add request counts per (prompt version id, team), as a batched usage writer collects them."""
    for attempt in range(2):
        try:
            with session_scope(engine) as session:
                now = utcnow()
                for (version_id, team), requests in sorted(counts.items()):
                    result = session.execute(
                        update(PromptUsage)
                        .where(col(PromptUsage.version_id) == version_id, col(PromptUsage.team) == team)
                        .values(requests=PromptUsage.requests + requests, last_used_at=now)
                    )
                    if result.rowcount == 0:  # type: ignore[attr-defined]
                        session.add(PromptUsage(version_id=version_id, team=team, requests=requests, last_used_at=now))
            return
        except IntegrityError:
            # Another process inserted the same (version, team) row first; the retry updates it.
            if attempt:
                raise


def record_use(engine: Engine, version_id: int, team: str) -> None:
    """Count one request by `team` with the prompt version `version_id`."""
    record_uses(engine, {(version_id, team): 1})


def reuse_figure(engine: Engine, name: str) -> ReuseFigure:
    """How many teams and requests used the prompt, over all its versions."""
    with session_scope(engine) as session:
        prompt = _prompt(session, name)
        rows = session.exec(
            select(PromptVersion.version, PromptUsage.team, PromptUsage.requests)
            .join(PromptUsage, col(PromptUsage.version_id) == col(PromptVersion.id))
            .where(PromptVersion.prompt_id == prompt.id)
        ).all()
    by_version: dict[int, int] = {}
    for version, _, requests in rows:
        by_version[version] = by_version.get(version, 0) + requests
    teams = sorted({team for _, team, _ in rows})
    return ReuseFigure(
        prompt=prompt.name,
        owner_team=prompt.owner_team,
        teams=len(teams),
        requests=sum(by_version.values()),
        requests_by_version=dict(sorted(by_version.items())),
        teams_list=teams,
    )


def all_prompts(engine: Engine) -> list[PromptListing]:
    """Every prompt with every version (oldest first), for export."""
    with session_scope(engine) as session:
        listings = []
        for prompt in session.exec(select(Prompt).order_by(Prompt.name)):
            versions = session.exec(
                select(PromptVersion).where(PromptVersion.prompt_id == prompt.id).order_by(col(PromptVersion.version))
            )
            listings.append(PromptListing(prompt, list(versions)))
        return listings
