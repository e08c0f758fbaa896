"""What waits for the signed-in person, for the home page: one check per kind of work, each
registered for the roles that do it (an admin does every kind)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Table, func, select

from admin.context import Role
from admin.web.spend_rollup import budget_spent_reader
from filters.review_store import OPEN_STATUSES, ReviewItem
from gateway.ledger.use_case_stats import UseCaseStats
from gateway.limits.status import budgets_status
from prompt_library.models import Prompt, PromptState, PromptVersion

REVIEWS: Table = ReviewItem.__table__  # type: ignore[attr-defined]
VERSIONS: Table = PromptVersion.__table__  # type: ignore[attr-defined]
PROMPTS: Table = Prompt.__table__  # type: ignore[attr-defined]
NAMED = 5  # items named on the home page; the link shows the rest


@dataclass(frozen=True)
class Waiting:
    """One kind of work waiting: how many, a few of them by name, and where to do it."""

    key: str
    title: str
    count: int
    names: list[str]
    link: str


Check = Callable[[UseCaseStats, str, datetime], Waiting | None]


def overdue_reviews(stats: UseCaseStats, person: str, now: datetime) -> Waiting | None:
    statement = select(func.count()).where(
        REVIEWS.c.status.in_([status.value for status in OPEN_STATUSES]), REVIEWS.c.sla_due_at < now.astimezone(UTC)
    )
    with stats.engine.connect() as connection:
        count = int(connection.execute(statement).scalar_one())
    return Waiting("reviews", "Reviews past their SLA", count, [], "/admin/review") if count else None


def prompts_to_approve(stats: UseCaseStats, person: str, now: datetime) -> Waiting | None:
    """Versions in review that someone else wrote (nobody approves their own)."""
    versions, prompts = VERSIONS.c, PROMPTS.c
    statement = (
        select(prompts.name, versions.version)
        .join(PROMPTS, prompts.id == versions.prompt_id)
        .where(versions.state == PromptState.IN_REVIEW.value, versions.author != person)
        .order_by(versions.submitted_at, versions.id)
    )
    with stats.engine.connect() as connection:
        rows = connection.execute(statement).all()
    if not rows:
        return None
    names = [f"{name} v{version}" for name, version in rows[:NAMED]]
    return Waiting("prompts", "Prompt versions to approve", len(rows), names, "/admin/prompts")


def budgets_past_warning(stats: UseCaseStats, person: str, now: datetime) -> Waiting | None:
    past = []
    for budget in budgets_status(stats.engine, now, spent=budget_spent_reader(stats, now)):
        amount, used = Decimal(budget["amount_usd"]), Decimal(budget["used_usd"])
        threshold = budget["soft_threshold"] if budget["soft_threshold"] is not None else 1.0
        if used > 0 and (amount <= 0 or used / amount >= Decimal(str(threshold))):
            scope = f"key {budget['key_prefix']}" if budget["scope"] == "key" else "team"
            past.append(f"{budget['team_name'] or '?'} ({scope}, {budget['period']})")
    if not past:
        return None
    return Waiting("budgets", "Budgets past their warning threshold", len(past), past[:NAMED], "/admin/finance")


REVIEWERS = frozenset({Role.ADMIN, Role.REVIEWER})
FINANCE = frozenset({Role.ADMIN, Role.FINANCE})
# One line per kind of waiting work, with the roles it waits for.
CHECKS: tuple[tuple[frozenset[Role], Check], ...] = (
    (REVIEWERS, overdue_reviews),
    (REVIEWERS, prompts_to_approve),
    (FINANCE, budgets_past_warning),
)


def waiting_for(stats: UseCaseStats, person: str, role: Role, now: datetime) -> list[Waiting]:
    """Everything waiting for a person of `role`, in the order of CHECKS (`stats` holds the
    database and the daily rollup the budgets are read from)."""
    found = (check(stats, person, now) for roles, check in CHECKS if role in roles)
    return [waiting for waiting in found if waiting is not None]
