"""The areas of the admin UI and which roles may enter each: the home page and the menu read this."""

from __future__ import annotations

from dataclasses import dataclass

from admin.context import Role

EVERYONE = (Role.ADMIN, Role.REVIEWER, Role.FINANCE, Role.VIEWER)


@dataclass(frozen=True)
class Area:
    title: str
    path: str
    roles: tuple[Role, ...]  # admins enter every area
    summary: str

    def open_to(self, role: Role) -> bool:
        return role is Role.ADMIN or role in self.roles


AREAS = (
    Area("Review queue", "/admin/review", (Role.REVIEWER,), "Blocked and flagged answers waiting for a decision."),
    Area(
        "Blocklist",
        "/admin/blocklist",
        (Role.REVIEWER,),
        "Blocked phrases and patterns: search, scope, disable, delete.",
    ),
    Area("Spend", "/admin/finance", (Role.FINANCE,), "Spend per team, model and day; budgets; CSV export."),
    Area("Prompt library", "/admin/prompts", EVERYONE, "Shared prompts, their versions, diffs and approvals."),
    Area("Use cases", "/admin/use-cases", EVERYONE, "Registered use cases, their risk, stage and gates."),
    Area("Use case KPIs", "/admin/kpis", (Role.FINANCE,), "Adoption, cost, incidents, reuse and velocity."),
    Area("Models", "/admin/models", EVERYONE, "Every model's card: status, allowed data, review due."),
    Area("Teams and keys", "/admin/teams", (Role.ADMIN,), "Create teams and keys with budgets and limits; revoke."),
    Area("People", "/admin/users", (Role.ADMIN,), "Accounts, roles and access to this UI."),
    Area("Policies", "/admin/policies", (Role.ADMIN,), "Active policies and how often each rule fired."),
    Area("Audit log", "/admin/audit", (Role.ADMIN,), "Who did what, and when."),
)


def areas_for(role: Role) -> list[Area]:
    return [area for area in AREAS if area.open_to(role)]
