"""What the admin room needs from the running gateway, handed over by the app at start-up."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.engine import Engine
from starlette.requests import Request

from filters.review_crypto import AnswerCipher
from gateway.core.errors import AuthenticationFailed, PermissionDenied


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


@dataclass
class AdminContext:
    engine: Engine
    admin_key: str | None
    finance_key: str | None
    cipher: AnswerCipher

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


def require_role(request: Request, *allowed: Role) -> Caller:
    """The caller's role from its bearer key; 401 without a valid admin credential, 403 if not allowed."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    role = admin_context(request).role_for_key(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if role is None:
        raise AuthenticationFailed("An admin credential is required: send 'Authorization: Bearer <admin key>'.")
    if role is not Role.ADMIN and role not in allowed:
        raise PermissionDenied(f"The role '{role.value}' may not do this.", code="insufficient_role")
    return Caller(role=role, name=f"{role.value}-key")
