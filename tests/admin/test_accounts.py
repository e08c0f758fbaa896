"""Accounts and sessions: hashed secrets, expiry, invalidation, throttled logins, and the CLI."""

from __future__ import annotations

import argparse
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.requests import Request

from admin.accounts.cli import PASSWORD_VARIABLE, cmd_users_create, read_password
from admin.accounts.errors import InvalidAccount, LoginFailed, LoginThrottled
from admin.accounts.models import User, UserSession
from admin.accounts.passwords import PasswordHashing
from admin.accounts.sessions import (
    ExpiredSession,
    OpenedSession,
    SignedIn,
    hash_token,
    log_in,
    log_out,
    resolve_session,
)
from admin.accounts.settings import AccountSettings
from admin.accounts.users import UserChange, change_user, create_user, find_user
from admin.web.network import client_ip, is_https
from admin.web.settings import AdminUISettings
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from tests.admin.support import PASSWORD, add_user

SETTINGS = AccountSettings(failures_per_user=3, failures_per_ip=5)


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing()


@pytest.fixture()
def engine(ui_database: tuple[str, Engine]) -> Engine:
    return ui_database[1]


def new_name() -> str:
    return "u" + uuid.uuid4().hex[:10]


def open_session(engine: Engine, hashing: PasswordHashing, role: str = "viewer") -> tuple[str, OpenedSession]:
    name = new_name()
    add_user(engine, hashing, name, role)
    return name, log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.0.0.1")


def test_passwords_are_stored_as_argon2id_hashes(engine: Engine, hashing: PasswordHashing) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    stored = find_user(engine, name).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_the_session_token_is_stored_only_as_its_hash(engine: Engine, hashing: PasswordHashing) -> None:
    _, opened = open_session(engine, hashing)
    with session_scope(engine) as session:
        row = session.get(UserSession, opened.signed_in.session_id)
    assert row is not None and row.token_hash == hash_token(opened.token) and opened.token not in row.token_hash


def test_a_valid_session_resolves_to_its_user_and_role(engine: Engine, hashing: PasswordHashing) -> None:
    name, opened = open_session(engine, hashing, "finance")
    signed_in = resolve_session(engine, SETTINGS, opened.token)
    assert isinstance(signed_in, SignedIn) and signed_in.name == name and signed_in.role.value == "finance"


def test_a_wrong_password_opens_no_session(engine: Engine, hashing: PasswordHashing) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    with pytest.raises(LoginFailed):
        log_in(engine, hashing, SETTINGS, name=name, password="wrong password!", client_ip="10.0.0.2")


def _age(engine: Engine, session_id: int, **fields: object) -> None:
    with session_scope(engine) as session:
        row = session.get(UserSession, session_id)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)
        session.add(row)


def test_an_idle_session_expires(engine: Engine, hashing: PasswordHashing) -> None:
    name, opened = open_session(engine, hashing)
    _age(engine, opened.signed_in.session_id, idle_expires_at=utcnow() - timedelta(seconds=1))
    expired = resolve_session(engine, SETTINGS, opened.token)
    assert isinstance(expired, ExpiredSession) and expired.name == name


def test_a_session_expires_absolutely_even_when_used(engine: Engine, hashing: PasswordHashing) -> None:
    _, opened = open_session(engine, hashing)
    _age(engine, opened.signed_in.session_id, expires_at=utcnow() - timedelta(seconds=1))
    assert isinstance(resolve_session(engine, SETTINGS, opened.token), ExpiredSession)


def test_a_session_expired_for_over_a_day_is_forgotten(engine: Engine, hashing: PasswordHashing) -> None:
    _, opened = open_session(engine, hashing)
    _age(engine, opened.signed_in.session_id, idle_expires_at=utcnow() - timedelta(days=1, seconds=1))
    assert resolve_session(engine, SETTINGS, opened.token) is None


def test_use_pushes_the_idle_expiry_but_never_past_the_absolute_one(engine: Engine, hashing: PasswordHashing) -> None:
    _, opened = open_session(engine, hashing)
    absolute = utcnow() + timedelta(minutes=5)
    _age(engine, opened.signed_in.session_id, last_seen_at=utcnow() - timedelta(minutes=10), expires_at=absolute)
    assert resolve_session(engine, SETTINGS, opened.token) is not None
    with session_scope(engine) as session:
        row = session.get(UserSession, opened.signed_in.session_id)
    assert row is not None and row.idle_expires_at.replace(tzinfo=absolute.tzinfo) <= absolute


def test_logout_ends_the_session(engine: Engine, hashing: PasswordHashing) -> None:
    _, opened = open_session(engine, hashing)
    log_out(engine, opened.token)
    assert resolve_session(engine, SETTINGS, opened.token) is None


@pytest.mark.parametrize(
    "change", [UserChange(disabled=True), UserChange(role="reviewer"), UserChange(password="another long password")]
)
def test_disabling_or_changing_role_or_password_ends_every_session(
    engine: Engine, hashing: PasswordHashing, change: UserChange
) -> None:
    name, opened = open_session(engine, hashing)
    change_user(engine, hashing, name, change, actor="user:admin", min_password_length=12)
    assert resolve_session(engine, SETTINGS, opened.token) is None


def test_a_stale_credential_version_is_refused_even_if_the_row_survives(
    engine: Engine, hashing: PasswordHashing
) -> None:
    name, opened = open_session(engine, hashing)
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name)).one()
        user.credential_version += 1  # as another process would, racing the session delete
        session.add(user)
    assert resolve_session(engine, SETTINGS, opened.token) is None


def test_a_disabled_user_cannot_log_in(engine: Engine, hashing: PasswordHashing) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    change_user(engine, hashing, name, UserChange(disabled=True), actor="cli", min_password_length=12)
    with pytest.raises(LoginFailed):
        log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.0.0.3")


def test_repeated_failures_lock_the_user_name_even_for_the_right_password(
    engine: Engine, hashing: PasswordHashing
) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    for attempt in range(SETTINGS.failures_per_user):
        with pytest.raises(LoginFailed):
            log_in(engine, hashing, SETTINGS, name=name, password=f"guess {attempt}", client_ip=f"10.1.0.{attempt}")
    with pytest.raises(LoginThrottled) as refused:
        log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.1.1.1")
    assert 0 < refused.value.retry_after <= SETTINGS.failure_window.total_seconds()


def _lock_out(engine: Engine, hashing: PasswordHashing, name: str) -> None:
    """A stranger's guesses from many addresses, enough to lock the name."""
    for attempt in range(SETTINGS.failures_per_user):
        with pytest.raises(LoginFailed):
            log_in(engine, hashing, SETTINGS, name=name, password=f"guess {attempt}", client_ip=f"10.4.0.{attempt}")


def test_a_stranger_cannot_lock_a_person_out_of_a_browser_they_signed_in_from(
    engine: Engine, hashing: PasswordHashing
) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    earlier = log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.5.0.1")
    _lock_out(engine, hashing, name)
    with pytest.raises(LoginThrottled):
        log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.5.0.2")
    again = log_in(
        engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.5.0.2", device_token=earlier.device_token
    )
    assert again.token


def test_a_device_token_of_another_person_or_forged_gives_no_way_around_the_lock(
    engine: Engine, hashing: PasswordHashing
) -> None:
    victim, other = new_name(), new_name()
    add_user(engine, hashing, victim, "viewer")
    add_user(engine, hashing, other, "viewer")
    others_token = log_in(engine, hashing, SETTINGS, name=other, password=PASSWORD, client_ip="10.6.0.1").device_token
    _lock_out(engine, hashing, victim)
    for token in (others_token, "forged.0123456789abcdef0123456789abcdef", "nonsense"):
        with pytest.raises(LoginThrottled):
            log_in(engine, hashing, SETTINGS, name=victim, password=PASSWORD, client_ip="10.6.0.2", device_token=token)


def test_guesses_from_a_trusted_device_are_throttled_too(engine: Engine, hashing: PasswordHashing) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    device = log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.7.0.1").device_token
    for attempt in range(SETTINGS.failures_per_user):
        with pytest.raises(LoginFailed):
            log_in(
                engine, hashing, SETTINGS, name=name, password=f"g{attempt}", client_ip="10.7.0.1", device_token=device
            )
    with pytest.raises(LoginThrottled):
        log_in(engine, hashing, SETTINGS, name=name, password=PASSWORD, client_ip="10.7.0.1", device_token=device)


def test_an_admins_password_reset_lifts_the_lock(engine: Engine, hashing: PasswordHashing) -> None:
    name = new_name()
    add_user(engine, hashing, name, "viewer")
    _lock_out(engine, hashing, name)
    change_user(engine, hashing, name, UserChange(password="a new password 123"), actor="cli", min_password_length=12)
    assert log_in(engine, hashing, SETTINGS, name=name, password="a new password 123", client_ip="10.8.0.1").token


def test_repeated_failures_from_one_address_lock_that_address(engine: Engine, hashing: PasswordHashing) -> None:
    victim = new_name()
    add_user(engine, hashing, victim, "viewer")
    for _ in range(SETTINGS.failures_per_ip):
        with pytest.raises(LoginFailed):
            log_in(engine, hashing, SETTINGS, name=new_name(), password="guess", client_ip="10.2.0.9")
    with pytest.raises(LoginThrottled):
        log_in(engine, hashing, SETTINGS, name=victim, password=PASSWORD, client_ip="10.2.0.9")
    assert log_in(engine, hashing, SETTINGS, name=victim, password=PASSWORD, client_ip="10.2.0.10").token


def test_short_passwords_are_refused(engine: Engine, hashing: PasswordHashing) -> None:
    with pytest.raises(InvalidAccount):
        create_user(engine, hashing, name=new_name(), role="viewer", password="short", min_password_length=12)


def test_the_cli_reads_the_password_from_the_environment_and_creates_the_user(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = new_name()
    monkeypatch.setenv(PASSWORD_VARIABLE, "a password from the environment")
    assert cmd_users_create(engine, argparse.Namespace(name=name, role="reviewer", team="support")) == 0
    assert find_user(engine, name).role == "reviewer"
    assert name in capsys.readouterr().out


def test_the_cli_reads_the_password_from_stdin_when_no_variable_is_set() -> None:
    assert read_password({}, io.StringIO("typed into a pipe\n")) == "typed into a pipe"


def test_the_cli_refuses_an_unknown_role_with_exit_status_2(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "a password from the environment")
    assert cmd_users_create(engine, argparse.Namespace(name=new_name(), role="root", team=None)) == 2


def _request(peer: str, headers: dict[str, str], scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "path": "/admin",
            "headers": raw,
            "client": (peer, 1234),
            "server": ("gw", 80),
            "query_string": b"",
        }
    )


def test_forwarded_headers_count_only_from_a_trusted_proxy() -> None:
    trusted = AdminUISettings.from_environ({"GATEWAY_ADMIN_TRUSTED_PROXIES": "10.9.0.0/16"}).trusted_proxies
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7, 10.9.0.2"}
    assert is_https(_request("10.9.0.1", forwarded), trusted)
    assert client_ip(_request("10.9.0.1", forwarded), trusted) == "203.0.113.7"
    assert not is_https(_request("198.51.100.1", forwarded), trusted)
    assert client_ip(_request("198.51.100.1", forwarded), trusted) == "198.51.100.1"
