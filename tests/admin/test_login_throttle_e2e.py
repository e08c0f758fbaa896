"""Login throttling against `gateway serve` itself: a forged X-Forwarded-For from an untrusted peer
changes nothing (uvicorn's own proxy-header trust is off; only GATEWAY_ADMIN_TRUSTED_PROXIES counts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session, col, delete, select

from admin.accounts.models import LoginFailure, UserSession
from tests.admin.seed import UIGateway
from tests.admin.support import sign_in


@pytest.fixture()
def loopback_locked(ui_gateway: UIGateway) -> Iterator[None]:
    """The test locks 127.0.0.1 out; forget its failures afterwards so other tests can sign in."""
    yield
    with Session(ui_gateway.engine) as session:
        session.exec(delete(LoginFailure))
        session.commit()


@pytest.mark.usefixtures("loopback_locked")
def test_a_rotating_forwarded_for_header_does_not_dodge_the_per_address_limit(ui_gateway: UIGateway) -> None:
    statuses = []
    for attempt in range(22):
        with httpx.Client(
            base_url=ui_gateway.process.root_url, headers={"X-Forwarded-For": f"198.51.100.{attempt}"}, timeout=10
        ) as client:
            statuses.append(sign_in(client, "nobody-" + uuid.uuid4().hex[:6], "wrong password").status_code)
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429, 429]


def test_a_session_records_the_real_peer_not_a_forged_header(ui_gateway: UIGateway) -> None:
    with httpx.Client(
        base_url=ui_gateway.process.root_url, headers={"X-Forwarded-For": "203.0.113.99"}, timeout=10
    ) as client:
        assert sign_in(client, "viewer").status_code == 303
    with Session(ui_gateway.engine) as session:
        newest = session.exec(select(UserSession).order_by(col(UserSession.id).desc())).first()
    assert newest is not None and newest.client_ip == "127.0.0.1"


@pytest.mark.usefixtures("loopback_locked")
def test_a_stranger_cannot_lock_a_person_out_of_the_browser_they_use(ui_gateway: UIGateway) -> None:
    root = ui_gateway.process.root_url
    with httpx.Client(base_url=root, timeout=10) as person, httpx.Client(base_url=root, timeout=10) as stranger:
        assert sign_in(person, "finance").status_code == 303
        assert person.cookies.get("gw_admin_device")
        person.cookies.delete("gw_admin_session")  # signed out; the device cookie stays
        statuses = [sign_in(stranger, "finance", f"guess {attempt}").status_code for attempt in range(6)]
        assert statuses[-1] == 429  # the name is locked for strangers
        assert sign_in(person, "finance").status_code == 303  # not for the person's own browser
