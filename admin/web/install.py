"""Installs the admin web UI into the gateway's app: routes, static files, middleware, error pages.

The app factory calls `install_admin_ui(app)` once; it needs `app.state.admin` (the AdminContext
the lifespan builds) at request time, not at install time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from admin.web.middleware import AdminUIMiddleware
from admin.web.pages import install_page_errors
from admin.web.routes import (
    audit,
    blocklist,
    finance,
    kept,
    keys,
    kpis,
    model_cards,
    policies,
    prompts,
    review,
    session,
    teams,
    use_cases,
    users,
)
from admin.web.settings import AdminUISettings
from admin.web.ui import STATIC, AdminUI

ROUTERS = (
    session,
    kept,
    review,
    blocklist,
    teams,
    keys,
    users,
    audit,
    finance,
    prompts,
    policies,
    use_cases,
    model_cards,
    kpis,
)


def install_admin_ui(app: FastAPI, environ: Mapping[str, str] | None = None) -> AdminUI:
    """Add the UI under /admin; settings come from the environment (see admin.web.settings)."""
    ui = AdminUI.build(AdminUISettings.from_environ(os.environ if environ is None else environ))
    app.state.admin_ui = ui
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
    app.add_middleware(AdminUIMiddleware)
    install_page_errors(app)
    return ui
