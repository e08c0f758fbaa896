"""Fresh in-process clients of one app, each with its own cookie jar (one per signed-in person)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient


@contextmanager
def client_factory(running: TestClient) -> Iterator[Callable[[], TestClient]]:
    """A factory of clients on `running`'s app (lifespan already run); all closed on exit."""
    clients: list[TestClient] = []

    def factory() -> TestClient:
        client = TestClient(running.app, base_url="http://127.0.0.1", follow_redirects=False)
        clients.append(client)
        return client

    try:
        yield factory
    finally:
        for client in clients:
            client.close()
