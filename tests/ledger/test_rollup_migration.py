"""Migration f0004 makes `usage_daily` exactly as the model declares it, on SQLite and PostgreSQL,
and steps back down to the KPI-only rollup."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

from gateway.core.db import create_database_engine
from gateway.core.migrate import alembic_config, upgrade_database
from gateway.ledger.daily import DAILY


def test_the_rollup_table_matches_its_model_after_upgrade(any_database_url: str) -> None:
    upgrade_database(any_database_url)
    engine = create_database_engine(any_database_url)
    only_daily = MetaData()
    DAILY.to_metadata(only_daily)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), only_daily)
    engine.dispose()
    assert [d for d in differences if "usage_daily" in repr(d)] == []
    assert SQLModel.metadata.tables["usage_daily"] is DAILY


def test_downgrade_restores_the_kpi_rollup_and_upgrade_comes_back(any_database_url: str) -> None:
    upgrade_database(any_database_url)
    command.downgrade(alembic_config(any_database_url), "u0003")
    engine = create_database_engine(any_database_url)
    assert "key_id" not in {column["name"] for column in inspect(engine).get_columns("usage_daily")}
    upgrade_database(any_database_url)
    assert {"team_id", "key_id", "total_tokens"} <= {c["name"] for c in inspect(engine).get_columns("usage_daily")}
    engine.dispose()
