"""The library's tests run on SQLite and on the real PostgreSQL server (a throwaway database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine, session_scope
from prompt_library.models import PROMPT_TABLES, Prompt, PromptUsage, PromptVersion
from tests.helpers.servers import create_database, drop_database


@pytest.fixture(scope="session")
def postgres_library_engine() -> Iterator[Engine]:
    """A database of the library's own: its tables without migrations would make the session's
    shared database look half-migrated to the gateways that upgrade it."""
    name, url = create_database()
    engine = create_database_engine(url)
    SQLModel.metadata.create_all(engine, tables=PROMPT_TABLES)
    yield engine
    engine.dispose()
    drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine with the library's tables, empty at the start of each test."""
    if request.param == "sqlite":
        sqlite = create_database_engine(f"sqlite:///{tmp_path}/library.db")
        SQLModel.metadata.create_all(sqlite, tables=PROMPT_TABLES)
        yield sqlite
        sqlite.dispose()
        return
    postgres: Engine = request.getfixturevalue("postgres_library_engine")
    yield postgres
    with session_scope(postgres) as session:
        for table in (PromptUsage, PromptVersion, Prompt):
            session.execute(delete(table))
