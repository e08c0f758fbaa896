"""How long an admin change to a key takes to return when two gateway processes share PostgreSQL
and Redis, and whether the other process already refuses the key on its next request.

    python -m benchmarks.key_changes [--rounds 10]

Both processes trust a verified key for 300 s, so only the change notice can tell the second one.
Each round makes a team and key through the first process, uses the key once through the second
(so it is cached there), renames it (PATCH), revokes it, and asks the second process once more.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import openai

from gateway.offline import apply_offline_defaults
from tests.helpers.gateway_api import ADMIN, new_team_key, priced_config, start_together, stop_all
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import create_database, drop_database


def _hello(client: openai.OpenAI) -> None:
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])


def _timed(send: Callable[[], httpx.Response]) -> float:
    """Seconds until `send` returned a 200."""
    started = time.perf_counter()
    response = send()
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def run(rounds: int) -> None:
    with RunningMockUpstream() as upstream:
        name, url = create_database()
        config = priced_config(upstream.url, url, key_cache_seconds=300, limits={"catalog_refresh_seconds": 300})
        root = Path(tempfile.mkdtemp())
        first, second = GatewayProcess(root / "a", config), GatewayProcess(root / "b", config)
        first.cli("db", "upgrade")
        start_together(first, second)
        try:
            patches, revokes, refused = [], [], 0
            for n in range(rounds):
                member = new_team_key(first, f"bench-{n}", models=["gpt-test"])
                client = member.client(second)
                _hello(client)
                key_url = f"{first.root_url}/admin/api/keys/{member.prefix}"
                patches.append(_timed(partial(httpx.patch, key_url, json={"name": "renamed"}, headers=ADMIN)))
                revokes.append(_timed(partial(httpx.post, f"{key_url}/revoke", headers=ADMIN)))
                try:
                    _hello(client)
                except openai.AuthenticationError:
                    refused += 1
            for label, times in (("PATCH key", patches), ("revoke", revokes)):
                print(f"{label}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
            print(f"refused by the other process on its next request: {refused} of {rounds}")
        finally:
            stop_all((first, second))
            drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    apply_offline_defaults()
    run(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
