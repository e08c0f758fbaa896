"""Alembic environment: runs migrations on the engine for the configured database URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.migrations.schema import import_all_tables

import_all_tables()
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_database_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
