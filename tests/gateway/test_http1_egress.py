"""The fast path's client leaves the company as any of its HTTP clients must: TLS verified against
the CA bundle in SSL_CERT_FILE, through the forward proxy in HTTPS_PROXY / HTTP_PROXY (with its
credentials), straight to what NO_PROXY names. Real servers on loopback: the mock upstream over
TLS with a throwaway CA, and a real forward proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from gateway.upstream.http1 import Http1Client, HttpClientError, parse_proxy, post_target
from tests.helpers.forward_proxy import ForwardProxy
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.tls import LoopbackCertificates

pytestmark = pytest.mark.anyio
BODY = orjson.dumps({"model": "echo", "messages": [{"role": "user", "content": "hello"}]})
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def plain_upstream() -> Iterator[RunningMockUpstream]:
    with RunningMockUpstream() as upstream:
        yield upstream


async def _answer(client: Http1Client, url: str) -> str:
    try:
        response = await client.post(
            post_target(url + "/chat/completions", {"Content-Type": "application/json"}),
            BODY,
            connect_timeout=5,
            read_timeout=10,
        )
        assert response.status == 200
        text: str = orjson.loads(await response.read())["choices"][0]["message"]["content"]
        response.release()
        return text
    finally:
        await client.close()


async def test_tls_is_verified_against_the_bundle_in_ssl_cert_file(
    tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(HttpClientError, match="could not connect"):
        await _answer(Http1Client(max_connections=2), tls_upstream.url)  # verification is on by default
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    assert await _answer(Http1Client(max_connections=2), tls_upstream.url) == "Mock answer: hello"


async def test_https_goes_through_the_proxy_tunnel(
    tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        assert await _answer(Http1Client(max_connections=2), tls_upstream.url) == "Mock answer: hello"
    assert proxy.tunnels == [f"127.0.0.1:{tls_upstream.port}"]


async def test_no_proxy_goes_straight_to_the_origin(
    tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        assert await _answer(Http1Client(max_connections=2), tls_upstream.url) == "Mock answer: hello"
    assert proxy.tunnels == []


async def test_plain_http_is_sent_to_the_proxy_as_an_absolute_url_with_credentials(
    plain_upstream: RunningMockUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ForwardProxy(credentials=("egress", "p@ss word")) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://egress:p%40ss%20word@127.0.0.1:{proxy.port}")
        assert await _answer(Http1Client(max_connections=2), plain_upstream.url) == "Mock answer: hello"
    assert proxy.forwarded == [plain_upstream.url + "/chat/completions"]
    assert proxy.refused == 0
    # The proxy's credentials stay with the proxy: the upstream never sees them.
    assert all("proxy-authorization" not in {k.lower() for k in r.headers} for r in plain_upstream.mock.state.requests)


async def test_a_proxy_that_refuses_the_tunnel_is_a_client_error(
    tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with ForwardProxy(refuse_tunnels=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(HttpClientError, match="refused the tunnel"):
            await _answer(Http1Client(max_connections=2), tls_upstream.url)


async def test_wrong_proxy_credentials_are_refused_by_the_proxy(
    tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    with ForwardProxy(credentials=("egress", "right")) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://egress:wrong@127.0.0.1:{proxy.port}")
        with pytest.raises(HttpClientError, match="407"):
            await _answer(Http1Client(max_connections=2), tls_upstream.url)
    assert proxy.refused == 1


def test_only_http_proxies_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only http://"):
        parse_proxy("socks5://127.0.0.1:1080")
    assert parse_proxy("proxy.internal:3128").port == 3128
