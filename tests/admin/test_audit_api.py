"""The audit log's admin API: filters by time, actor, team, action and object; the total and any
page; the filtered set as a streamed CSV; admins only. Entries are seeded at fixed instants and
read back through explicit date ranges, so the calendar day of the run does not matter."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.admin.audit_seed import MARCH, seed_audit_hours
from tests.admin.support import ADMIN_KEY, csrf_token, sign_in

BEARER = {"authorization": f"Bearer {ADMIN_KEY}"}
MakeClient = Callable[[], TestClient]


@pytest.fixture(scope="module", autouse=True)
def seeded(ui_database: tuple[str, Engine]) -> None:
    seed_audit_hours(ui_database[1])


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/admin/api/audit", params={**MARCH, **params}, headers=BEARER)
    assert response.status_code == 200, response.text
    return dict(response.json())


def hours(found: dict[str, Any]) -> list[int]:
    return [entry["details"]["hour"] for entry in found["data"]]


def test_a_date_range_includes_whole_days_newest_first(ui_app: TestClient) -> None:
    found = search(ui_app, **{"from": "2031-03-02", "to": "2031-03-02"}, page_size=100)
    assert found["total"] == 24 and hours(found) == list(range(47, 23, -1))
    assert found["data"][0]["at"] == "2031-03-02T23:00:00+00:00"


def test_a_date_time_range_starts_at_from_and_stops_before_to(ui_app: TestClient) -> None:
    found = search(ui_app, **{"from": "2031-03-01T10:00:00Z", "to": "2031-03-01T13:00:00+00:00"})
    assert hours(found) == [12, 11, 10]


def test_an_actor_is_found_by_their_name_or_as_written(ui_app: TestClient) -> None:
    by_name = search(ui_app, actor="carol", page_size=500)
    assert by_name["total"] == 40 and {e["actor"] for e in by_name["data"]} == {"user:carol"}
    assert search(ui_app, actor="user:carol")["total"] == 40


def test_team_action_and_object_narrow_the_search(ui_app: TestClient) -> None:
    assert search(ui_app, team="research")["total"] == 60
    assert search(ui_app, action="review.")["total"] == 80
    assert search(ui_app, action="key.revoke", team="support")["total"] == 20
    found = search(ui_app, object="rev_0042")
    assert found["total"] == 1 and found["data"][0]["object"] == "rev_0042"


def test_the_total_and_the_page_count_come_with_every_page(ui_app: TestClient) -> None:
    found = search(ui_app, page_size=50)
    assert (found["total"], found["pages"], found["page"], len(found["data"])) == (120, 3, 1, 50)


def test_any_page_can_be_read_directly_the_last_one_too(ui_app: TestClient) -> None:
    assert hours(search(ui_app, page_size=50, page=2)) == list(range(69, 19, -1))
    assert hours(search(ui_app, page_size=50, page=3)) == list(range(19, -1, -1))
    assert search(ui_app, page_size=50, page=9)["data"] == []


def test_the_csv_holds_the_whole_filtered_set_newest_first(ui_app: TestClient) -> None:
    response = ui_app.get("/admin/api/audit.csv", params={**MARCH, "actor": "dave"}, headers=BEARER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="audit-2031-03-01-2031-03-31.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 80 and rows[0]["at"] == "2031-03-05T23:00:00.000000+00:00" and rows[0]["actor"] == "user:dave"
    assert list(rows[0]) == ["at", "actor", "action", "team", "object", "use_case", "details"]


def test_the_csv_does_not_hand_a_spreadsheet_a_formula(ui_app: TestClient) -> None:
    response = ui_app.get("/admin/api/audit.csv", params={**MARCH, "object": '=HYPERLINK("x")'}, headers=BEARER)
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["object"] == '\'=HYPERLINK("x")' and row["use_case"] == ""


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2031-02-30"}, "to"),
        ({"from": "2031-03-05", "to": "2031-03-01"}, "from"),
    ],
)
def test_a_bad_date_range_is_a_400_naming_it_for_pages_and_csv(
    ui_app: TestClient, params: dict[str, str], param: str
) -> None:
    for path in ("/admin/api/audit", "/admin/api/audit.csv"):
        response = ui_app.get(path, params=params, headers=BEARER)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("params", "param"),
    [({"page": "0"}, "page"), ({"page": "two"}, "page"), ({"page_size": "501"}, "page_size")],
)
def test_a_bad_page_is_a_400_naming_it(ui_app: TestClient, params: dict[str, str], param: str) -> None:
    response = ui_app.get("/admin/api/audit", params=params, headers=BEARER)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


@pytest.mark.parametrize("role", ["reviewer", "finance", "viewer"])
def test_only_admins_may_search_or_export(make_client: MakeClient, role: str) -> None:
    client = make_client()
    sign_in(client, role)
    for path in ("/admin/api/audit", "/admin/api/audit.csv"):
        refused = client.get(path, headers={"x-csrf-token": csrf_token(client)})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"


def test_an_admin_session_searches_without_a_bearer_key(make_client: MakeClient) -> None:
    client = make_client()
    sign_in(client, "admin")
    assert client.get("/admin/api/audit", params={**MARCH, "actor": "carol"}).json()["total"] == 40
    assert client.get("/admin/api/audit").status_code == 200
    assert make_client().get("/admin/api/audit").status_code == 401
