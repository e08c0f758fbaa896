"""Tables of the prompt library: prompts, their immutable versions, and use counts per team."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.core.models import utcnow
from prompt_library.template import PromptTemplate


class PromptState(StrEnum):
    """draft → in_review → approved → deprecated; a reviewer may instead reject (terminal)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DEPRECATED = "deprecated"


class Prompt(SQLModel, table=True):
    """A named prompt, owned by a team; its text lives in versions."""

    __tablename__ = "prompts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=128)
    description: str = Field(default="", max_length=2000)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner_team: str = Field(index=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class PromptVersion(SQLModel, table=True):
    """One immutable version of a prompt's template, and who moved it through the workflow when."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("prompt_id", "version", name="uq_prompt_versions_prompt_version"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompts.id", index=True)
    version: int = Field(ge=1)
    messages: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    variables: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_hints: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(default=PromptState.DRAFT.value, max_length=16, index=True)  # a PromptState value
    author: str = Field(max_length=128)
    reviewer: str | None = Field(default=None, max_length=128)
    reason: str | None = Field(default=None, max_length=2000)  # why it was rejected or deprecated
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    deprecated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))

    def template(self) -> PromptTemplate:
        """The validated template (messages and variables) of this version."""
        return PromptTemplate.model_validate({"messages": self.messages, "variables": self.variables})


class PromptUsage(SQLModel, table=True):
    """How many requests one team made with one prompt version."""

    __tablename__ = "prompt_usage"
    __table_args__ = (UniqueConstraint("version_id", "team", name="uq_prompt_usage_version_team"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="prompt_versions.id", index=True)
    team: str = Field(max_length=128, index=True)
    requests: int = Field(default=0, ge=0)
    last_used_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


PROMPT_TABLES = [Prompt.__table__, PromptVersion.__table__, PromptUsage.__table__]  # type: ignore[attr-defined]
