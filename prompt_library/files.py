"""Prompts as YAML files: one file per prompt with all its versions, imported and exported losslessly.

The files are reviewed like code, so a version's workflow state travels with it: an `approved`
version must name a reviewer other than its author. Importing is idempotent: a version already
stored with the same content is left alone, and one stored with different content is a conflict
(versions are immutable). Timestamps are not written, so exports diff cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.core.db import session_scope
from gateway.core.models import utcnow
from prompt_library.errors import PromptConflict
from prompt_library.models import Prompt, PromptState, PromptVersion
from prompt_library.service import all_prompts
from prompt_library.template import PromptTemplate, TemplateMessage, VariableSpec


class PromptFileError(Exception):
    """A prompt file cannot be read or is invalid; the message names the file and the key path."""


class VersionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    state: PromptState = PromptState.DRAFT
    author: str = Field(min_length=1)
    reviewer: str | None = None
    reason: str | None = None
    model_hints: list[str] = Field(default_factory=list)
    variables: list[VariableSpec] = Field(default_factory=list)
    messages: list[TemplateMessage] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        PromptTemplate(messages=self.messages, variables=self.variables)
        reviewed = self.state in (PromptState.APPROVED, PromptState.DEPRECATED, PromptState.REJECTED)
        if reviewed and not self.reviewer:
            raise ValueError(f"a {self.state.value} version needs a reviewer")
        if reviewed and self.state is not PromptState.REJECTED and self.reviewer == self.author:
            raise ValueError(f"the author {self.author!r} cannot also be the reviewer (no self-approval)")
        return self

    def content(self) -> tuple[Any, ...]:
        return (
            [m.model_dump() for m in self.messages],
            [v.model_dump(exclude_defaults=True) for v in self.variables],
            list(self.model_hints),
        )


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    owner_team: str = Field(min_length=1)
    versions: list[VersionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_versions(self) -> Self:
        numbers = [v.version for v in self.versions]
        if len(numbers) != len(set(numbers)):
            raise ValueError("version numbers must be unique")
        return self


@dataclass
class ImportReport:
    """What an import did, for the CLI to print."""

    prompts_created: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)
    versions_unchanged: list[str] = field(default_factory=list)


def read_prompt_file(path: Path) -> PromptFile:
    """Parse and validate one prompt file; PromptFileError names the file and the key path."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptFileError(f"{path}: cannot read the file ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PromptFileError(f"{path}: not valid YAML{where}") from None
    try:
        return PromptFile.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise PromptFileError(f"{path}: {where}: {error['msg'].removeprefix('Value error, ')}") from None


def _stored_content(row: PromptVersion) -> tuple[Any, ...]:
    return (row.messages, row.variables, row.model_hints)


def _import_one(session: Session, spec: PromptFile, report: ImportReport) -> None:
    prompt = session.exec(select(Prompt).where(Prompt.name == spec.name)).first()
    if prompt is None:
        prompt = Prompt(name=spec.name, description=spec.description, tags=spec.tags, owner_team=spec.owner_team)
        session.add(prompt)
        session.flush()
        report.prompts_created.append(spec.name)
    elif prompt.owner_team != spec.owner_team:
        raise PromptConflict(f"{spec.name}: owned by team {prompt.owner_team!r}, the file says {spec.owner_team!r}")
    else:  # description and tags are catalogue data, not part of a version: the file wins
        prompt.description, prompt.tags = spec.description, list(spec.tags)
        session.add(prompt)
    prompt_id = prompt.id
    assert prompt_id is not None  # flushed above
    stored = {
        row.version: row for row in session.exec(select(PromptVersion).where(PromptVersion.prompt_id == prompt_id))
    }
    for entry in spec.versions:
        label = f"{spec.name} v{entry.version}"
        existing = stored.get(entry.version)
        if existing is not None:
            if _stored_content(existing) != entry.content():
                raise PromptConflict(f"{label}: differs from the stored version, and versions are immutable")
            report.versions_unchanged.append(label)
            continue
        messages, variables, hints = entry.content()
        now = utcnow()
        reviewed = entry.state is not PromptState.DRAFT and entry.state is not PromptState.IN_REVIEW
        session.add(
            PromptVersion(
                prompt_id=prompt_id,
                version=entry.version,
                messages=messages,
                variables=variables,
                model_hints=hints,
                state=entry.state.value,
                author=entry.author,
                reviewer=entry.reviewer,
                reason=entry.reason,
                submitted_at=now if entry.state is not PromptState.DRAFT else None,
                reviewed_at=now if reviewed else None,
                deprecated_at=now if entry.state is PromptState.DEPRECATED else None,
            )
        )
        report.versions_created.append(label)


def import_prompts(engine: Engine, directory: str | Path) -> ImportReport:
    """Import every `*.yaml` prompt file of `directory` in one transaction (all or nothing)."""
    root = Path(directory)
    if not root.is_dir():
        raise PromptFileError(f"{root}: no such directory")
    specs = [read_prompt_file(path) for path in sorted(root.glob("*.y*ml"))]
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PromptFileError(f"{root}: more than one file defines the prompt {duplicates[0]!r}")
    report = ImportReport()
    with session_scope(engine) as session:
        for spec in specs:
            _import_one(session, spec, report)
    return report


def _file_data(prompt: Prompt, versions: list[PromptVersion]) -> dict[str, Any]:
    entries = []
    for row in versions:
        entry: dict[str, Any] = {"version": row.version, "state": row.state, "author": row.author}
        if row.reviewer:
            entry["reviewer"] = row.reviewer
        if row.reason:
            entry["reason"] = row.reason
        if row.model_hints:
            entry["model_hints"] = row.model_hints
        if row.variables:
            entry["variables"] = row.variables
        entry["messages"] = row.messages
        entries.append(entry)
    data: dict[str, Any] = {"name": prompt.name, "description": prompt.description, "tags": prompt.tags}
    data["owner_team"] = prompt.owner_team
    data["versions"] = entries
    return data


def export_prompts(engine: Engine, directory: str | Path) -> list[Path]:
    """Write one `<name>.yaml` per prompt, every version included; returns the files written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for listing in all_prompts(engine):
        path = root / f"{listing.prompt.name}.yaml"
        text = yaml.safe_dump(
            _file_data(listing.prompt, listing.versions), sort_keys=False, allow_unicode=True, width=100
        )
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
