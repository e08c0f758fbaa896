"""Logging set-up: one format, and a scrubber on every handler so no secret reaches a log line."""

from __future__ import annotations

import logging

from gateway.core.scrub import Scrubber, ScrubbingFilter

LOGGERS_WITH_HANDLERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # litellm logs request details at INFO; keep it to warnings.
    logging.getLogger("LiteLLM").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def install_scrubber(scrubber: Scrubber) -> None:
    """Attach the scrubber to every handler that may write a line (idempotent)."""
    for name in LOGGERS_WITH_HANDLERS:
        for handler in logging.getLogger(name).handlers:
            handler.filters = [f for f in handler.filters if not isinstance(f, ScrubbingFilter)]
            handler.addFilter(ScrubbingFilter(scrubber))
