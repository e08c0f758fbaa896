"""The tables a batched writer can fill: the usage ledger and the audit log.

Each names its spill-file prefix and the unique column that makes a replayed row count once.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import DateTime, LargeBinary, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from filters.review_store import ReviewItem
from gateway.core.audit import AuditEntry
from gateway.usage.records import UsageRecord


@dataclass(frozen=True)
class LedgerTable:
    name: str
    table: Table
    unique_column: str

    @cached_property
    def _datetime_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.columns if isinstance(column.type, DateTime))

    @cached_property
    def _binary_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.columns if isinstance(column.type, LargeBinary))

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
        """A row made JSON-safe for the spill file (datetimes as ISO text, bytes as base64)."""
        data = dict(row)
        for name in self._datetime_columns:
            if data.get(name) is not None:
                data[name] = data[name].isoformat()
        for name in self._binary_columns:
            if data.get(name) is not None:
                data[name] = base64.b64encode(data[name]).decode()
        return data

    def from_json(self, data: dict[str, Any]) -> dict[str, Any]:
        row = dict(data)
        for name in self._datetime_columns:
            if row.get(name) is not None:
                row[name] = datetime.fromisoformat(row[name])
        for name in self._binary_columns:
            if row.get(name) is not None:
                row[name] = base64.b64decode(row[name])
        return row


USAGE_TABLE = LedgerTable("usage", UsageRecord.__table__, "request_id")  # type: ignore[attr-defined]
AUDIT_TABLE = LedgerTable("audit", AuditEntry.__table__, "uid")  # type: ignore[attr-defined]
# Review items are written like ledger rows: their id is handed to the client at once, and an
# outage of the database must not lose the (encrypted) answer a reviewer has to see.
REVIEW_TABLE = LedgerTable("review", ReviewItem.__table__, "id")  # type: ignore[attr-defined]
