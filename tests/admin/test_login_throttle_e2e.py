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
