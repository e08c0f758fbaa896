"""Applies the Alembic migrations to a database, from code (the CLI and the embedded default)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from gateway.core.db import normalise_database_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an INI file: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", normalise_database_url(database_url).replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
