"""What the admin room needs from the running gateway, handed over by the app at start-up."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sqlalchemy.engine import Engine
from starlette.requests import Request

from filters.review_crypto import AnswerCipher
from filters.toxicity import ToxicityScorer
from gateway.core.errors import AuthenticationFailed, PermissionDenied
from gateway.ledger.use_case_stats import UseCaseStats
from gateway.limits.estimate import WorstAnswer
from use_cases.settings import UseCasesSettings

# Where the admin UI's session middleware puts the signed-in person (see admin/web/session_middleware.py).
SIGNED_IN_SCOPE_KEY = "admin.signed_in"
# Set instead when the session could not be looked up (the database is down): raised where the
# person is asked for, inside the app, whose handlers turn it into a 503.
SESSION_ERROR_SCOPE_KEY = "admin.session_error"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    FINANCE = "finance"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Caller:
    """Who is calling the admin API: a role, and a name for the audit log."""

    role: Role
    name: str


class Announce(Protocol):
    """gateway.core.notices.ChangeNotices.announce, as the admin room calls it."""

    def __call__(self, topic: str, subject: str = "") -> Awaitable[None]: ...


class SessionPerson(Protocol):
    """What require_role needs of a signed-in person (admin.accounts.sessions.SignedIn)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def csrf_token(self) -> str: ...


@dataclass
class AdminContext:
    engine: Engine
    admin_key: str | None
    finance_key: str | None
    cipher: AnswerCipher
    # The gateway's toxicity scorer, asked which words of a flagged answer carried its score.
    toxicity_scorer: ToxicityScorer | None
    # Tells every gateway process that a shared setting changed (a topic of gateway.core.notices,
    # and optionally its subject), returning once they have re-read it.
    announce_change: Announce
    # The model groups of `model_list`, in order: what model cards and use cases may name.
    models: tuple[str, ...] = ()
    # Per model group, the most one answer may cost: a budget below it is warned about when set.
    worst_answers: Mapping[str, WorstAnswer] = field(default_factory=dict)
    use_cases: UseCasesSettings = field(default_factory=UseCasesSettings)
    # The KPI queries, with the daily rollup they keep current (one per process); the spend pages
    # and the budget bars read the same rollup through it.
    kpi_stats: UseCaseStats = field(init=False)

    def __post_init__(self) -> None:
        self.kpi_stats = UseCaseStats(self.engine, self.use_cases.rollup_refresh_seconds)

    def role_for_key(self, key: str) -> Role | None:
        # Constant-time comparisons: the admin key must not leak through timing.
        if self.admin_key and hmac.compare_digest(key.encode(), self.admin_key.encode()):
            return Role.ADMIN
        if self.finance_key and hmac.compare_digest(key.encode(), self.finance_key.encode()):
            return Role.FINANCE
        return None


def admin_context(request: Request) -> AdminContext:
    context: AdminContext = request.app.state.admin
    return context


def session_person(request: Request) -> SessionPerson | None:
    """The person the middleware found signed in; re-raises its error if it could not look."""
    error: Exception | None = request.scope.get(SESSION_ERROR_SCOPE_KEY)
    if error is not None:
        raise error
    person: SessionPerson | None = request.scope.get(SIGNED_IN_SCOPE_KEY)
    return person


def require_role(request: Request, *allowed: Role) -> Caller:
    """The caller's role from its bearer key or its UI session; 401 without a valid admin credential,
    403 if not allowed. A session-authenticated change must carry the session's CSRF token in the
    `X-CSRF-Token` header: a cookie alone is sent by the browser on any site's behalf."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    role = admin_context(request).role_for_key(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    name = f"{role.value}-key" if role is not None else ""
    person = session_person(request) if role is None else None
    if role is None and person is not None:
        sent = request.headers.get("x-csrf-token", "")
        if request.method not in SAFE_METHODS and not hmac.compare_digest(sent.encode(), person.csrf_token.encode()):
            raise PermissionDenied("A change made with a session needs its CSRF token in X-CSRF-Token.", code="csrf")
        role, name = person.role, f"user:{person.name}"
    if role is None:
        raise AuthenticationFailed("An admin credential is required: send 'Authorization: Bearer <admin key>'.")
    if role is not Role.ADMIN and role not in allowed:
        raise PermissionDenied(f"The role '{role.value}' may not do this.", code="insufficient_role")
    return Caller(role=role, name=name)
