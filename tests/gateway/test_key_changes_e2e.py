"""A key revoked or edited through one gateway process is refused or re-limited by another at once:
the processes share PostgreSQL and Redis and trust a verified key for 300 s, so only the change
notice the admin API waits for can tell the second process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import openai
import pytest

from tests.helpers.gateway_api import ADMIN, TeamKey, new_team_key, priced_config, start_together, stop_all
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import create_database, drop_database
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.redis
# Long enough that the processes' own re-checks never happen during a test.
TRUSTED_SECONDS = 300
# The admin call returns once every process acknowledged the notice; this only absorbs scheduling.
DEADLINE_SECONDS = 0.5


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, mock_upstream: RunningMockUpstream
) -> Iterator[tuple[GatewayProcess, GatewayProcess]]:
    name, database = create_database()
    config = priced_config(
        mock_upstream.url, database, key_cache_seconds=TRUSTED_SECONDS, limits={"catalog_refresh_seconds": 300}
    )
    first = GatewayProcess(tmp_path_factory.mktemp("keys-a"), config)
    second = GatewayProcess(tmp_path_factory.mktemp("keys-b"), config)
    first.cli("db", "upgrade")
    start_together(first, second)
    yield first, second
    stop_all((first, second))
    drop_database(name)


def _ask(client: openai.OpenAI) -> str | None:
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    return answer.choices[0].message.content


def _refused(client: openai.OpenAI, error: type[openai.APIStatusError]) -> bool:
    try:
        _ask(client)
    except error:
        return True
    return False


def _known_to(gateway: GatewayProcess, member: TeamKey) -> openai.OpenAI:
    """The key's client on `gateway`, after one request put the key in that process's cache."""
    client = member.client(gateway)
    assert _ask(client)
    return client


def test_a_key_revoked_through_one_process_is_refused_by_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess],
) -> None:
    first, second = pair
    member = new_team_key(first, "revoked", models=["gpt-test"])
    client = _known_to(second, member)
    revoked = httpx.post(f"{first.root_url}/admin/api/keys/{member.prefix}/revoke", headers=ADMIN)
    assert revoked.status_code == 200, revoked.text
    wait_until(
        lambda: _refused(client, openai.AuthenticationError),
        timeout=DEADLINE_SECONDS,
        interval=0.05,
        waiting_for="the other process to refuse the revoked key",
    )


def test_a_key_given_a_rate_limit_through_one_process_is_limited_by_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess],
) -> None:
    first, second = pair
    member = new_team_key(first, "relimited", models=["gpt-test"])
    client = _known_to(second, member)
    edited = httpx.patch(f"{first.root_url}/admin/api/keys/{member.prefix}", json={"rpm": 1}, headers=ADMIN)
    assert edited.status_code == 200, edited.text
    assert _ask(client)
    with pytest.raises(openai.RateLimitError):
        _ask(client)


def test_a_key_expired_through_one_process_is_refused_by_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess],
) -> None:
    first, second = pair
    member = new_team_key(first, "expired", models=["gpt-test"])
    client = _known_to(second, member)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    edited = httpx.patch(f"{first.root_url}/admin/api/keys/{member.prefix}", json={"expires_at": past}, headers=ADMIN)
    assert edited.status_code == 200, edited.text
    wait_until(
        lambda: _refused(client, openai.AuthenticationError),
        timeout=DEADLINE_SECONDS,
        interval=0.05,
        waiting_for="the other process to refuse the expired key",
    )


def test_a_team_whose_models_changed_through_one_process_is_refused_them_by_the_other_at_once(
    pair: tuple[GatewayProcess, GatewayProcess],
) -> None:
    first, second = pair
    member = new_team_key(first, "narrowed", models=["gpt-test"])
    client = _known_to(second, member)
    edited = httpx.patch(
        f"{first.root_url}/admin/api/teams/{member.team}", json={"models": ["azure-test"]}, headers=ADMIN
    )
    assert edited.status_code == 200, edited.text
    wait_until(
        lambda: _refused(client, openai.APIStatusError),
        timeout=DEADLINE_SECONDS,
        interval=0.05,
        waiting_for="the other process to refuse the model the team lost",
    )
