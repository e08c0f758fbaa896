"""What the admin UI holds while the app runs: its settings, templates and password hashing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from admin.accounts.passwords import PasswordHashing
from admin.web.settings import AdminUISettings
from gateway.core.models import utcnow
from gateway.core.money import format_count, format_usd

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def template_environment() -> Environment:
    """Jinja2 with autoescaping on for every template: shown answers are untrusted text. Every page
    shows money through `usd` and counts through `count`, so amounts read the same everywhere."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["usd"] = format_usd
    environment.filters["count"] = format_count
    return environment


@dataclass
class AdminUI:
    settings: AdminUISettings
    templates: Jinja2Templates
    hashing: PasswordHashing
    # What time it is for the pages' "today" (the spend presets); tests put a fixed clock here.
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def build(cls, settings: AdminUISettings) -> AdminUI:
        return cls(settings, Jinja2Templates(env=template_environment()), PasswordHashing())


def admin_ui(request: Request) -> AdminUI:
    ui: AdminUI = request.app.state.admin_ui
    return ui
