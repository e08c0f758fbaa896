"""The database engine: SQLite by default, PostgreSQL by URL, the same SQLModel code for both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def normalise_database_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain PostgreSQL URLs (the one the lock file installs)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _json_text(value: Any) -> str:
    # JSON columns through orjson: the stdlib encoder was a quarter of a usage row's insert CPU.
    # Integer keys become strings, as the stdlib's do.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_database_engine(url: str) -> Engine:
    url = normalise_database_url(url)
    json = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800, **json)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the usage writer writes; NORMAL sync is safe with WAL.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


Bind = Engine | Session  # where a change is made: a transaction of its own, or the caller's


@contextmanager
def session_scope(bind: Bind) -> Iterator[Session]:
    """A session that commits on success and rolls back on error; given a session, that session,
    whose caller commits it, so that several changes (and their audit entry) land together."""
    if isinstance(bind, Session):
        yield bind
        return
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
