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


@pytest.fixture(scope="session")
def postgres_library_engine(session_postgres_url: str) -> Iterator[Engine]:
    engine = create_database_engine(session_postgres_url)
    SQLModel.metadata.create_all(engine, tables=PROMPT_TABLES)
    yield engine
    engine.dispose()


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
