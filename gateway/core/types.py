"""Types shared by every room: who is calling, and what a check decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request, resolved from its virtual key."""

    team_id: int
    team_name: str
    key_id: int
    key_prefix: str
    allowed_models: frozenset[str] | None = None  # None: every model
    policy: str | None = None
    # The request's use case (its key's binding, or the one the request names): set per request.
    use_case: str | None = None

    def may_use(self, model_group: str) -> bool:
        return self.allowed_models is None or model_group in self.allowed_models


class Action(StrEnum):
    ALLOW = "allow"
    TRANSFORM = "transform"
    REDACT = "redact"
    FLAG = "flag"
    BLOCK = "block"


@dataclass(slots=True)
class Verdict:
    """What one policy rule or filter decided about one request or answer."""

    source: str  # e.g. "policy:deny_list" or "filter:pii"
    action: Action
    mode: str = "enforce"  # enforce | monitor
    reason: str = ""
    details: dict[str, object] = field(default_factory=dict)

    def as_record(self) -> dict[str, object]:
        return {"source": self.source, "action": self.action.value, "mode": self.mode, "reason": self.reason}
