"""The tables a batched writer can fill: the usage ledger and the audit log.

Each names its spill-file prefix, the unique column that makes a replayed row count once, and its
time column (datetimes are stored as ISO text in spill files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from gateway.core.audit import AuditEntry
from gateway.usage.records import UsageRecord


@dataclass(frozen=True)
class LedgerTable:
    name: str
    table: Table
    unique_column: str
    time_column: str

    def insert(self, engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` in one transaction (an executemany), skipping unique keys already stored."""
        if not rows:
            return
        dialect = engine.dialect.name
        if dialect == "postgresql":
            statement: Any = postgresql.insert(self.table).on_conflict_do_nothing(index_elements=[self.unique_column])
        elif dialect == "sqlite":
            statement = sqlite.insert(self.table).on_conflict_do_nothing(index_elements=[self.unique_column])
        else:
            raise NotImplementedError(f"the ledger supports SQLite and PostgreSQL, not {dialect}")
        with engine.begin() as connection:
            connection.execute(statement, list(rows))

    def to_json(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row made JSON-safe for the spill file."""
        return {**row, self.time_column: row[self.time_column].isoformat()}

    def from_json(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, self.time_column: datetime.fromisoformat(data[self.time_column])}


USAGE_TABLE = LedgerTable("usage", UsageRecord.__table__, "request_id", "time")  # type: ignore[attr-defined]
AUDIT_TABLE = LedgerTable("audit", AuditEntry.__table__, "uid", "at")  # type: ignore[attr-defined]
