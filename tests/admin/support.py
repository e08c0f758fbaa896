"""Helpers for the admin UI tests: a migrated database, accounts, and signing in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine

from admin.accounts.passwords import PasswordHashing
from admin.accounts.users import create_user
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database

ADMIN_KEY = "admin-test-key"
PASSWORD = "correct horse battery staple"
ROLE_NAMES = ("admin", "reviewer", "finance", "viewer")
# The people of the use case lifecycle in the browser: name → account role.
REGISTRY_PEOPLE = {"ada": "admin", "alice": "viewer", "bob": "reviewer", "erin": "viewer", "fred": "finance"}
# Cheap Argon2 parameters would hide the real cost; the defaults are kept and users are made once per app.
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


def migrated_database(database_url: str) -> Engine:
    """The database at the newest migration, as `gateway db upgrade` leaves it."""
    upgrade_database(database_url)
    return create_database_engine(database_url)


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


def sign_in_page(page: Page, name: str) -> None:
    """Sign a browser page in as `name` through the login form."""
    page.goto("/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin$"))
