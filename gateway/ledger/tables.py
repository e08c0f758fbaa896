"""The tables a batched writer can fill: the usage ledger and the audit log.

Each names its spill-file prefix and the unique column that makes a replayed row count once.
"""

from __future__ import annotations

import base64
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine

from filters.review_store import ReviewItem
from gateway.core.audit import AuditEntry
from gateway.ledger.records import UsageRecord


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

    @cached_property
    def _stored_columns(self) -> tuple[Column[Any], ...]:
        """Every column but an autoincremented id: what a row must carry for the multi-row insert."""
        return tuple(column for column in self.table.columns if column is not self.table.autoincrement_column)

    @cached_property
    def _stored_names(self) -> frozenset[str]:
        return frozenset(column.name for column in self._stored_columns)

    def insert(self, engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` in one transaction, skipping unique keys already stored."""
        if not rows:
            return
        dialect = engine.dialect.name
        if dialect == "sqlite" and all(row.keys() >= self._stored_names for row in rows):
            self._insert_sqlite(engine, rows)
            return
        if dialect == "postgresql":
            statement: Any = postgresql.insert(self.table).on_conflict_do_nothing(index_elements=[self.unique_column])
        elif dialect == "sqlite":
            statement = sqlite.insert(self.table).on_conflict_do_nothing(index_elements=[self.unique_column])
        else:
            raise NotImplementedError(f"the ledger supports SQLite and PostgreSQL, not {dialect}")
        with engine.begin() as connection:
            connection.execute(statement, list(rows))

    def _insert_sqlite(self, engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
        """Many rows per INSERT statement instead of an executemany: SQLite's driver releases the
        GIL around every statement it steps, so an executemany of a batch handed the GIL back and
        forth with the request path once per row (about three thread switches per request)."""
        columns = self._stored_columns
        dialect = engine.dialect
        # A row's values in one C call, then only the columns whose type converts (booleans, times,
        # JSON) through their converter: a usage row has 29 columns and 8 of them convert.
        values_of = operator.itemgetter(*(column.name for column in columns))
        processed = [
            (position, process)
            for position, column in enumerate(columns)
            if (process := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        values: list[Any] = []
        for row in rows:
            row_values = list(values_of(row))
            for position, process in processed:
                row_values[position] = process(row_values[position])
            values += row_values
        per_statement = max(1, dialect.insertmanyvalues_max_parameters // len(columns))
        with engine.begin() as connection:
            for start in range(0, len(rows), per_statement):
                count = min(per_statement, len(rows) - start)
                chunk = values[start * len(columns) : (start + count) * len(columns)]
                connection.exec_driver_sql(self._sqlite_statement(dialect, count), tuple(chunk))

    def _sqlite_statement(self, dialect: Dialect, rows: int) -> str:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(column.name) for column in self._stored_columns)
        one_row = "(" + ", ".join(["?"] * len(self._stored_columns)) + ")"
        return (
            f"INSERT INTO {quote(self.table.name)} ({names}) VALUES {', '.join([one_row] * rows)} "
            f"ON CONFLICT ({quote(self.unique_column)}) DO NOTHING"
        )

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
