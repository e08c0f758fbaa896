"""Inserts ledger rows in bulk, once each: a replayed request id is skipped, never counted twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from gateway.usage.records import UsageRecord

TABLE = UsageRecord.__table__  # type: ignore[attr-defined]


def insert_rows(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` in one transaction (an executemany), skipping request ids already stored."""
    if not rows:
        return
    dialect = engine.dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(TABLE).on_conflict_do_nothing(index_elements=["request_id"])
    elif dialect == "sqlite":
        statement = sqlite.insert(TABLE).on_conflict_do_nothing(index_elements=["request_id"])
    else:
        raise NotImplementedError(f"the usage ledger supports SQLite and PostgreSQL, not {dialect}")
    with engine.begin() as connection:
        connection.execute(statement, list(rows))
