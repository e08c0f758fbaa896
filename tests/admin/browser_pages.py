"""Browser pages for the admin UI tests: signed in, with script errors and CSP violations collected."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page

from tests.admin.support import sign_in_page

OpenBrowser = Callable[[], BrowserContext]


class WatchedPage:
    """A signed-in page and the console errors, page errors and dialogs it met."""

    def __init__(self, context: BrowserContext, name: str) -> None:
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: self.errors.append(f"dialog opened: {dialog.message}"))
        sign_in_page(self.page, name)
