"""The fast path's HTTP/1.1 client against scripted servers on loopback: pooling, framing, encodings,
timeouts, stale and broken connections, flow control and TLS."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from gateway.upstream.http1 import Http1Client, HttpClientError, HttpTimeout, post_target
from tests.helpers.tls import make_certificates
from tests.helpers.waiting import wait_until_async

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Peer:
    """The server's side of one connection."""

    def __init__(self, server: ScriptedServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.index = server.connections  # 0 for the first connection
        self.reader = reader
        self.writer = writer

    async def read_request(self) -> bytes | None:
        """One request, head and body; None once the client closed the connection."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            self.server.closed_by_client.set()
            return None
        length = next(
            int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        request = head + await self.reader.readexactly(length)
        self.server.requests.append(request)
        return request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def wait_for_close(self) -> None:
        await self.reader.read()


Behaviour = Callable[[Peer], Awaitable[None]]


class ScriptedServer:
    """A raw TCP server whose every connection runs `behaviour`; counts connections and requests."""

    def __init__(self, behaviour: Behaviour, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.tls = tls
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.requests: list[bytes] = []
        self.closed_by_client = asyncio.Event()
        self.all_closed = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/v1/chat/completions"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(self, reader, writer)
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.behaviour(peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()
            if self.open_now == 0:
                self.all_closed.set()


Serve = Callable[..., Awaitable[ScriptedServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts scripted servers for a test, and stops them after it."""
    started: list[ScriptedServer] = []

    async def start(behaviour: Behaviour, tls: ssl.SSLContext | None = None) -> ScriptedServer:
        started.append(await ScriptedServer(behaviour, tls).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def sized(body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"


def answer_each_request(body: bytes = b'{"ok":true}', delay: float = 0.0) -> Behaviour:
    async def behaviour(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await asyncio.sleep(delay)  # a slow upstream: requests overlap
            await peer.send(sized(body))

    return behaviour


@pytest.fixture
async def client() -> AsyncIterator[Http1Client]:
    http = Http1Client(max_connections=100)
    yield http
    await http.close()


async def post(client: Http1Client, server: ScriptedServer, body: bytes = b"{}", read_timeout: float = 5.0) -> bytes:
    target = post_target(server.url(), {"Content-Type": "application/json", "Authorization": "Bearer sk-test"})
    response = await client.post(target, body, connect_timeout=2.0, read_timeout=read_timeout)
    try:
        return await response.read()
    finally:
        response.close()


async def test_sequential_posts_share_one_keep_alive_connection(client: Http1Client, serve: Serve) -> None:
    server = await serve(answer_each_request(b'{"answer":42}'))
    for _ in range(3):
        assert await post(client, server, b'{"q":1}') == b'{"answer":42}'
    assert server.connections == 1
    head = server.requests[0]
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in head
    assert b"Authorization: Bearer sk-test\r\n" in head
    assert b"Content-Length: 7\r\n\r\n" in head and head.endswith(b'{"q":1}')


async def test_a_chunked_answer_arrives_chunk_by_chunk_and_the_connection_is_reused(
    client: Http1Client, serve: Serve
) -> None:
    go_on = asyncio.Event()

    async def behaviour(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(CHUNKED_HEAD + chunk(b"data: first\n\n"))
            await go_on.wait()
            go_on.clear()
            await peer.send(chunk(b"data: second\n\n") + LAST_CHUNK)

    server = await serve(behaviour)
    for _ in range(2):
        response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=5)
        seen = []
        async for data in response.iter_chunks():
            seen.append(data)
            if len(seen) == 1:
                go_on.set()  # the server sends the rest only once the first chunk was read
        response.release()
        assert seen == [b"data: first\n\n", b"data: second\n\n"]
    assert server.connections == 1


async def test_gzip_answers_are_decoded_whole_and_streamed(client: Http1Client, serve: Serve) -> None:
    payload = b'{"text":"' + b"governed " * 500 + b'"}'
    packed = gzip.compress(payload)

    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(sized(packed, "Content-Encoding: gzip"))
        await peer.read_request()
        head = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n")
        await peer.send(head + chunk(packed[:100]) + chunk(packed[100:]) + LAST_CHUNK)
        await peer.read_request()

    server = await serve(behaviour)
    assert await post(client, server) == payload
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=5)
    assert b"".join([data async for data in response.iter_chunks()]) == payload
    response.release()


async def test_an_unknown_encoding_is_refused(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(sized(b"xx", "Content-Encoding: br"))
        await peer.wait_for_close()

    server = await serve(behaviour)
    with pytest.raises(HttpClientError, match="unsupported encoding"):
        await post(client, server)


async def test_an_answer_ended_by_closing_is_read_whole_and_its_connection_not_kept(
    client: Http1Client, serve: Serve
) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + f"part of connection {peer.index}".encode())

    server = await serve(behaviour)
    assert await post(client, server) == b"part of connection 0"
    assert await post(client, server) == b"part of connection 1"
    assert server.connections == 2


async def test_a_keep_alive_connection_the_server_dropped_is_retried_once_on_a_new_one(
    client: Http1Client, serve: Serve
) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        if peer.index == 0:
            await peer.send(sized(b"first"))
            await peer.read_request()  # the second request: dropped without a byte back
            return
        await peer.send(sized(b"second"))
        await peer.read_request()

    server = await serve(behaviour)
    assert await post(client, server) == b"first"
    assert await post(client, server) == b"second"
    assert server.connections == 2
    assert len(server.requests) == 3


async def test_a_connection_that_breaks_mid_answer_is_an_error_not_a_retry(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)

    server = await serve(behaviour)
    with pytest.raises(HttpClientError, match="closed before the answer ended"):
        await post(client, server)
    assert server.connections == 1


async def test_a_refused_connection_names_the_reason_and_no_address(client: Http1Client, serve: Serve) -> None:
    server = await serve(answer_each_request())
    url = server.url()
    server.stop()  # closes the listening socket before it returns: nothing listens there any more
    with pytest.raises(HttpClientError) as caught:
        await client.post(post_target(url, {}), b"{}", connect_timeout=2, read_timeout=2)
    assert str(caught.value) == "could not connect (ConnectionRefusedError)"


async def test_a_silent_upstream_times_out_after_the_read_timeout(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(CHUNKED_HEAD + chunk(b"data: one\n\n"))
        await peer.wait_for_close()  # then silence, until the client gives up

    server = await serve(behaviour)
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(HttpTimeout):
        async for _ in response.iter_chunks():
            pass
    assert 0.25 <= time.monotonic() - started < 2.0
    await asyncio.wait_for(server.all_closed.wait(), 2)  # the client closed the connection


async def test_a_slow_but_steady_stream_outlasts_the_read_timeout(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(CHUNKED_HEAD)
        for n in range(6):
            await asyncio.sleep(0.1)  # each gap under the read timeout, the whole stream over it
            await peer.send(chunk(b"data: %d\n\n" % n))
        await peer.send(LAST_CHUNK)
        await peer.read_request()

    server = await serve(behaviour)
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=0.25)
    received = b"".join([data async for data in response.iter_chunks()])
    response.release()
    assert received == b"".join(b"data: %d\n\n" % n for n in range(6))


async def test_a_reader_busy_elsewhere_is_not_timed_out(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(CHUNKED_HEAD + chunk(b"a") + chunk(b"b") + LAST_CHUNK)
        await peer.read_request()

    server = await serve(behaviour)
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=0.1)
    await asyncio.sleep(0.3)  # three read timeouts without reading, with the answer already in
    assert b"".join([data async for data in response.iter_chunks()]) == b"ab"
    response.release()


async def test_a_tls_handshake_that_never_ends_times_out_at_the_connect_timeout(
    client: Http1Client, serve: Serve
) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.wait_for_close()  # accepts TCP, never answers the TLS hello

    server = await serve(behaviour)
    started = time.monotonic()
    with pytest.raises(HttpTimeout, match="connecting"):
        await client.post(post_target(server.url("https"), {}), b"{}", connect_timeout=0.3, read_timeout=5)
    assert time.monotonic() - started < 2.0


async def test_a_malformed_answer_is_an_error(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"this is not HTTP\r\n\r\n")
        await peer.wait_for_close()

    server = await serve(behaviour)
    with pytest.raises(HttpClientError, match="malformed"):
        await post(client, server)


async def test_an_interim_100_continue_is_skipped(client: Http1Client, serve: Serve) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 100 Continue\r\n\r\n" + sized(b"final", "X-Final: yes"))
        await peer.wait_for_close()

    server = await serve(behaviour)
    target = post_target(server.url(), {})
    response = await client.post(target, b"{}", connect_timeout=2, read_timeout=5)
    assert (response.status, response.headers.get("x-final"), await response.read()) == (200, "yes", b"final")
    response.close()


async def test_the_pool_never_opens_more_than_its_limit(serve: Serve) -> None:
    server = await serve(answer_each_request(b"ok", delay=0.05))
    limited = Http1Client(max_connections=2)
    try:
        answers = await asyncio.gather(*(post(limited, server) for _ in range(8)))
    finally:
        await limited.close()
    assert answers == [b"ok"] * 8
    assert server.most_open == 2


async def test_a_waiter_cancelled_at_the_limit_does_not_block_the_next(serve: Serve) -> None:
    server = await serve(answer_each_request(b"ok", delay=0.1))
    limited = Http1Client(max_connections=1)
    try:
        first = asyncio.create_task(post(limited, server))
        await wait_until_async(
            lambda: server.requests, timeout=2, waiting_for="the first request to hold the connection"
        )
        cancelled = asyncio.create_task(post(limited, server))
        await asyncio.sleep(0)  # the task runs up to its wait for the one connection
        cancelled.cancel()
        assert await asyncio.wait_for(post(limited, server), 2) == b"ok"
        assert await first == b"ok"
    finally:
        await limited.close()


async def test_closing_mid_stream_closes_the_connection_so_the_upstream_stops(
    client: Http1Client, serve: Serve
) -> None:
    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(CHUNKED_HEAD + chunk(b"data: one\n\n"))
        await peer.read_request()  # returns None once the client closed

    server = await serve(behaviour)
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=5)
    async for _ in response.iter_chunks():
        break
    response.close()
    await asyncio.wait_for(server.closed_by_client.wait(), 2)


async def test_a_stream_released_after_done_is_drained_and_its_connection_reused(
    client: Http1Client, serve: Serve
) -> None:
    async def behaviour(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.send(CHUNKED_HEAD + chunk(b"data: [DONE]\n\n"))
            await asyncio.sleep(0.05)  # the closing chunk comes a little later
            await peer.send(LAST_CHUNK)

    server = await serve(behaviour)
    for _ in range(3):
        response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=5)
        async for _data in response.iter_chunks():
            break
        response.release()
        await wait_until_async(
            lambda: response.complete,  # noqa: B023  (awaited in this same iteration)
            timeout=2,
            waiting_for="the released stream's drain",
        )
    assert server.connections == 1


async def test_a_large_fast_stream_read_slowly_arrives_whole(client: Http1Client, serve: Serve) -> None:
    block = b"x" * 65536

    async def behaviour(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(CHUNKED_HEAD)
        for _ in range(64):  # 4 MiB, far beyond what the client buffers before pausing
            await peer.send(chunk(block))
        await peer.send(LAST_CHUNK)
        await peer.read_request()

    server = await serve(behaviour)
    response = await client.post(post_target(server.url(), {}), b"{}", connect_timeout=2, read_timeout=5)
    total = 0
    async for data in response.iter_chunks():
        total += len(data)
        await asyncio.sleep(0.001)  # a slow reader: the client pauses the socket
    response.release()
    assert total == 64 * len(block)


async def test_https_with_a_trusted_certificate_and_not_without(tmp_path: Path, serve: Serve) -> None:
    certificates = make_certificates(tmp_path)
    server = await serve(answer_each_request(b"secure"), tls=certificates.server_context())
    target = post_target(server.url("https"), {})
    trusting = Http1Client(max_connections=4, ssl_context=ssl.create_default_context(cafile=certificates.ca_file))
    untrusting = Http1Client(max_connections=4)
    try:
        response = await trusting.post(target, b"{}", connect_timeout=2, read_timeout=5)
        assert await response.read() == b"secure"
        response.close()
        with pytest.raises(HttpClientError, match="could not connect"):
            await untrusting.post(target, b"{}", connect_timeout=2, read_timeout=5)
    finally:
        await trusting.close()
        await untrusting.close()


def test_targets_refuse_what_would_break_the_request_head() -> None:
    with pytest.raises(ValueError, match="line break"):
        post_target("http://upstream/v1", {"Authorization": "Bearer sk-1\r\nX-Evil: 1"})
    with pytest.raises(ValueError, match="user name"):
        post_target("http://user:secret@upstream/v1", {})
    with pytest.raises(ValueError, match="http"):
        post_target("ftp://upstream/v1", {})
    target = post_target("https://api.example.com/v1/chat/completions?api-version=1", {})
    assert target.origin == ("https", "api.example.com", 443)
    assert target.head.startswith(b"POST /v1/chat/completions?api-version=1 HTTP/1.1\r\nHost: api.example.com\r\n")
