"""Tables of the accounts room: users, their login sessions, and recent failed logins.

Register this module with the app's table registry (gateway/migrations/schema.py) and the migrations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from gateway.core.models import utcnow


class User(SQLModel, table=True):
    """A person with one role. `credential_version` grows whenever role, password or status change,
    which invalidates every session opened before."""

    __tablename__ = "admin_users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=64)
    role: str = Field(max_length=16)  # an admin.context.Role value
    team: str | None = Field(default=None, max_length=128, description="the team this person authors prompts for")
    password_hash: str = Field(max_length=256)
    disabled: bool = False
    credential_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class UserSession(SQLModel, table=True):
    """One login. Only the SHA-256 of the cookie's value is stored: a database leak opens no session."""

    __tablename__ = "admin_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="admin_users.id", index=True)
    credential_version: int
    csrf_secret: str = Field(max_length=64)
    client_ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    idle_expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LoginFailure(SQLModel, table=True):
    """One failed login, counted per user name and per client address to slow password guessing."""

    __tablename__ = "admin_login_failures"
    __table_args__ = (Index("ix_admin_login_failures_subject_at", "subject", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=160, description="user:<name> or ip:<address>")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class KeptForm(SQLModel, table=True):
    """A form a person sent after their session expired, kept for them to send again once signed in
    (see admin.accounts.kept_forms). Only that person may see or resend it."""

    __tablename__ = "admin_kept_forms"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="admin_users.id", index=True)
    action: str = Field(max_length=300, description="the path the form was posted to")
    fields: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [name, value]s
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


ACCOUNT_TABLES = [
    User.__table__,  # type: ignore[attr-defined]
    UserSession.__table__,  # type: ignore[attr-defined]
    LoginFailure.__table__,  # type: ignore[attr-defined]
    KeptForm.__table__,  # type: ignore[attr-defined]
]
