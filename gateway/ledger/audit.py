"""Audit entries from the request path (policy verdicts), handed to a batched, durable writer."""

from __future__ import annotations

from typing import Any, Protocol

from gateway.core.ids import time_ordered_hex
from gateway.core.models import utcnow


class RowSink(Protocol):
    """Takes a row for later insertion; never blocks, never raises."""

    def submit_row(self, row: dict[str, Any]) -> None: ...


class AuditSink:
    def __init__(self, sink: RowSink) -> None:
        self._sink = sink

    def record(
        self,
        *,
        actor: str,
        action: str,
        team: str | None,
        target: str | None,
        details: dict[str, Any],
        use_case: str | None = None,
    ) -> None:
        self._sink.submit_row(
            {
                "uid": time_ordered_hex(),
                "at": utcnow(),
                "actor": actor,
                "action": action,
                "team": team,
                "target": target,
                "details": details,
                "use_case": use_case,
            }
        )
