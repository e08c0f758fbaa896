"""The cache of verified keys: trusted for key_cache_seconds, and dropped at once when a change
notice names the key or its team (what every process does when an admin revokes or edits)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from gateway.auth import KeyAuthenticator, key_check_seconds
from gateway.core import keys
from gateway.core.errors import AuthenticationFailed
from gateway.core.outages import DatabaseOutages

pytestmark = pytest.mark.anyio
TRUSTED_SECONDS = 300.0


def _two_teams(engine: Engine) -> tuple[str, str, str]:
    """Keys a and b of team one, key c of team two."""
    keys.create_team(engine, "one")
    keys.create_team(engine, "two")
    return (
        keys.create_key(engine, "one").secret,
        keys.create_key(engine, "one").secret,
        keys.create_key(engine, "two").secret,
    )


async def test_a_revoked_key_stays_trusted_until_its_cache_entry_is_forgotten(key_database: Engine) -> None:
    engine = key_database
    secret, _, _ = _two_teams(engine)
    cache = KeyAuthenticator(engine, TRUSTED_SECONDS, DatabaseOutages())
    principal = await cache.authenticate(secret)
    keys.revoke_key(engine, principal.key_prefix)
    assert (await cache.authenticate(secret)).key_prefix == principal.key_prefix  # the cached answer
    cache.forget(f"key:{principal.key_prefix}")
    with pytest.raises(AuthenticationFailed):
        await cache.authenticate(secret)


async def test_forgetting_a_team_drops_its_keys_and_no_others(key_database: Engine) -> None:
    engine = key_database
    first, second, other = _two_teams(engine)
    cache = KeyAuthenticator(engine, TRUSTED_SECONDS, DatabaseOutages())
    one = await cache.authenticate(first)
    await cache.authenticate(second)
    await cache.authenticate(other)
    keys.update_team(engine, "one", models=["gpt-test"])
    keys.update_team(engine, "two", models=["gpt-test"])
    cache.forget(f"team:{one.team_id}")
    assert (await cache.authenticate(first)).allowed_models == frozenset({"gpt-test"})
    assert (await cache.authenticate(second)).allowed_models == frozenset({"gpt-test"})
    assert (await cache.authenticate(other)).allowed_models is None  # still the cached answer


def test_without_shared_notices_a_verified_key_is_trusted_for_a_second_at_most() -> None:
    assert key_check_seconds(5.0, notices_shared=True) == 5.0
    assert key_check_seconds(5.0, notices_shared=False) == 1.0
    assert key_check_seconds(0.5, notices_shared=False) == 0.5
