"""The spend page's presets follow the UI's clock (AdminUI.clock), not the machine's date."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.admin.support import sign_in

LATE_ON_WEDNESDAY = datetime(2026, 3, 18, 23, 59, 59, tzinfo=UTC)


@pytest.fixture
def fixed_clock(ui_app: TestClient) -> Iterator[None]:
    ui = ui_app.app.state.admin_ui  # type: ignore[attr-defined]
    before = ui.clock
    ui.clock = lambda: LATE_ON_WEDNESDAY
    yield
    ui.clock = before


@pytest.mark.parametrize(
    ("preset", "shown"),
    [
        ("today", "2026-03-18 to 2026-03-18"),
        ("week", "2026-03-16 to 2026-03-18"),
        ("month", "2026-03-01 to 2026-03-18"),
        ("last_month", "2026-02-01 to 2026-02-28"),
        ("quarter", "2026-01-01 to 2026-03-18"),
    ],
)
def test_presets_are_counted_from_the_uis_clock(
    preset: str, shown: str, fixed_clock: None, make_client: Callable[[], TestClient]
) -> None:
    client = make_client()
    sign_in(client, "finance")
    response = client.get("/admin/finance", params={"preset": preset})
    assert response.status_code == 200
    assert f"{shown} (UTC)" in response.text
    assert "as_of=2026-03-18" in response.text  # links and downloads keep the day the presets were counted from
