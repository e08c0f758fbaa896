"""Migration b0004 on SQLite and PostgreSQL: blocklist entries made by reviews before it stay in
force (enabled, with who added them and from which review), and it downgrades and upgrades again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from filters.blocklist import BlocklistEntry
from filters.blocklist_changes import BlocklistQuery, list_blocklist
from filters.blocklist_store import load_blocklist
from gateway.core.db import create_database_engine
from gateway.core.migrate import alembic_config, upgrade_database
from tests.helpers.servers import create_database, drop_database

BEFORE = "u0003"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrated.db"
        return
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)


def test_entries_made_by_reviews_before_the_migration_stay_in_force(database_url: str) -> None:
    upgrade_database(database_url, BEFORE)
    engine = create_database_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO blocklist_entries (team, kind, value, created_by, created_at, source_review_id) "
                "VALUES ('support', 'term', 'Project Auk', 'user:rita', :at, 'rev_0001')"
            ),
            {"at": datetime(2030, 1, 2, 3, 4, tzinfo=UTC)},
        )
    engine.dispose()
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    try:
        assert load_blocklist(engine)[1] == [BlocklistEntry("Project Auk", "term", "support")]
        [entry] = list_blocklist(engine, BlocklistQuery())
        assert (entry.enabled, entry.created_by, entry.source_review_id) == (True, "user:rita", "rev_0001")
    finally:
        engine.dispose()


def test_the_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    upgrade_database(database_url)
    command.downgrade(alembic_config(database_url), BEFORE)
    engine = create_database_engine(database_url)
    try:
        assert "blocklist_revision" not in inspect(engine).get_table_names()
        assert "ix_audit_log_at" in {index["name"] for index in inspect(engine).get_indexes("audit_log")}
    finally:
        engine.dispose()
    upgrade_database(database_url)
    engine = create_database_engine(database_url)
    try:
        indexes = {index["name"] for index in inspect(engine).get_indexes("audit_log")}
        assert {"ix_audit_log_at_id", "ix_audit_log_actor_at"} <= indexes and "ix_audit_log_at" not in indexes
    finally:
        engine.dispose()
