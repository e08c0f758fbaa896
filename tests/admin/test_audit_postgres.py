"""The audit search on PostgreSQL, where the database itself writes the CSV (COPY): the same
pages and, byte for byte, the same CSV as the row-by-row export on SQLite."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from gateway.app import create_app
from gateway.config import load_config
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from tests.admin.audit_seed import FORMULA_HOUR, MARCH, seed_audit_hours
from tests.admin.support import ADMIN_KEY
from tests.helpers.servers import create_database, drop_database

BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}
SEARCHES = [MARCH, {**MARCH, "actor": "dave"}, {**MARCH, "action": "review.", "team": "support"}, {"to": "2031-03-02"}]


@pytest.fixture(scope="module")
def postgres_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    name, url = create_database()
    try:
        upgrade_database(url)
        engine = create_database_engine(url)
        seed_audit_hours(engine)
        engine.dispose()
        workdir: Path = tmp_path_factory.mktemp("audit-postgres")
        config = {"database_url": url, "admin_key": ADMIN_KEY, "state_dir": str(workdir)}
        (workdir / "gateway.yaml").write_text(yaml.safe_dump(config))
        app = create_app(load_config(workdir / "gateway.yaml", environ={}))
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield client
    finally:
        drop_database(name)


@pytest.fixture(scope="module")
def sqlite_app(ui_app: TestClient, ui_database: tuple[str, Engine]) -> TestClient:
    seed_audit_hours(ui_database[1])
    return ui_app


def csv_rows(client: TestClient, **params: str) -> list[dict[str, str]]:
    response = client.get("/admin/api/audit.csv", params=params, headers=BEARER)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_postgres_writes_the_filtered_set_newest_first(postgres_app: TestClient) -> None:
    rows = csv_rows(postgres_app, **MARCH, actor="dave")
    assert len(rows) == 80 and rows[0]["at"] == "2031-03-05T23:00:00.000000+00:00"
    assert rows[-1]["at"] == "2031-03-01T01:00:00.000000+00:00"
    assert json.loads(rows[0]["details"]) == {"hour": 119} and rows[0]["use_case"] == ""


def test_postgres_does_not_hand_a_spreadsheet_a_formula(postgres_app: TestClient) -> None:
    [row] = [row for row in csv_rows(postgres_app, **MARCH) if json.loads(row["details"])["hour"] == FORMULA_HOUR]
    assert row["object"] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize("params", SEARCHES)
def test_postgres_and_sqlite_write_the_same_csv(
    postgres_app: TestClient, sqlite_app: TestClient, params: dict[str, str]
) -> None:
    from_postgres = postgres_app.get("/admin/api/audit.csv", params=params, headers=BEARER)
    from_sqlite = sqlite_app.get("/admin/api/audit.csv", params={**params, "from": "2031-01-01"}, headers=BEARER)
    assert from_postgres.content == from_sqlite.content


def test_postgres_counts_and_jumps_to_the_last_page(postgres_app: TestClient) -> None:
    found = postgres_app.get("/admin/api/audit", params={**MARCH, "page": "3"}, headers=BEARER).json()
    assert (found["total"], found["pages"]) == (120, 3)
    assert [entry["details"]["hour"] for entry in found["data"]] == list(range(19, -1, -1))
