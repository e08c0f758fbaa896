"""Helpers for the admin UI tests: a database with every table, accounts, and signing in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from gateway.core.db import create_database_engine

PASSWORD = "correct horse battery staple"
ROLE_NAMES = ("admin", "reviewer", "finance", "viewer")
# Cheap Argon2 parameters would hide the real cost; the defaults are kept and users are made once per app.
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def import_every_table() -> None:
    """Every module that defines a table, so create_all knows the whole schema (until migrations)."""
    import admin.accounts.models  # noqa: F401
    import gateway.limits.models
    import gateway.usage.records  # noqa: F401
    import prompt_library.models  # noqa: F401
    from gateway.tables import import_all_tables

    import_all_tables()


def create_every_table(database_url: str) -> Engine:
    import_every_table()
    engine = create_database_engine(database_url)
    SQLModel.metadata.create_all(engine)
    return engine


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory}/gateway.db"


def add_user(engine: Engine, hashing: PasswordHashing, name: str, role: str, team: str | None = None) -> None:
    create_user(engine, hashing, name=name, role=role, password=PASSWORD, min_password_length=12, team=team)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Open the login form (for its token cookie) and post it; returns the post's response."""
    form = client.get("/admin/login")
    token = LOGIN_TOKEN.search(form.text)
    assert token is not None, form.text
    return client.post(
        "/admin/login", data={"name": name, "password": password, "login_token": token.group(1), "next": "/admin"}
    )


def csrf_token(client: httpx.Client, page: str = "/admin") -> str:
    """The CSRF token the signed-in session's pages carry."""
    found = CSRF.search(client.get(page).text)
    assert found is not None
    return found.group(1)
