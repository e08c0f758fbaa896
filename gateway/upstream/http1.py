"""A lean HTTP/1.1 client for the fast path: pooled keep-alive connections on asyncio protocols,
answers parsed by httptools (llhttp, the parser of Node.js).

aiohttp's client cost about 115 µs of CPU and 200 µs of wall time per call here (py-spy on
`benchmarks.proxy`), the largest single cost of a plain proxied request. This client does only what
an OpenAI-style upstream needs: a POST with a length, an answer with a length, chunked or ended by
a close, gzip or deflate, streamed as it arrives. It never follows redirects: a key sent to
`api_base` must not travel on to another host.

Egress as any company client expects it: TLS verified against the system's CAs, or the bundle in
`SSL_CERT_FILE` / `SSL_CERT_DIR`; `HTTPS_PROXY` / `HTTP_PROXY` (an http:// proxy, with optional
user:password) and `NO_PROXY` read from the environment as curl and urllib read them. An https
origin is reached through a CONNECT tunnel (TLS end to end, the proxy sees only the host name), a
plain http one by sending the absolute URL to the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import NamedTuple, cast
from urllib import request as urllib_request
from urllib.parse import unquote, urlsplit

from httptools import HttpParserError, HttpResponseParser

from gateway.core.settings import split_http_url

USER_AGENT = "llm-governance-gateway"
# Unread bytes of a streamed answer beyond this pause the socket until the reader catches up.
PAUSE_ABOVE_BYTES = 256 * 1024
# A released answer that has not ended (the stream's `[DONE]` came before its closing chunk) is read
# to its end in the background so the connection can be reused; one that takes longer is closed.
DRAIN_SECONDS = 1.0
DECODER_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}

Origin = tuple[str, str, int]  # scheme, host, port


class HttpClientError(Exception):
    """The connection could not be made, broke, or carried something that is not HTTP/1.1."""


class HttpTimeout(HttpClientError):
    """Connecting outlasted the connect timeout, or the upstream was silent beyond the read timeout."""


class _StaleConnection(HttpClientError):
    """A reused connection closed before any byte of the answer: the server had dropped it."""


class Target(NamedTuple):
    """Where a POST goes: its origin, and its request head up to the Content-Length value (with the
    path, or with the absolute URL for a plain-http forward proxy)."""

    origin: Origin
    head: bytes
    absolute_head: bytes


class Proxy(NamedTuple):
    host: str
    port: int
    authorization: bytes  # a `Proxy-Authorization` header line, or empty


def parse_proxy(url: str) -> Proxy:
    """An http:// proxy URL (`http://user:password@host:port`); raises ValueError for others."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http:// proxies are supported, not {parts.scheme}://")
    authorization = b""
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = b"Proxy-Authorization: Basic " + base64.b64encode(credentials) + b"\r\n"
    return Proxy(parts.hostname, parts.port or 80, authorization)


class ProxyRoutes:
    """Which proxy, if any, an origin is reached through: the environment's, read once."""

    def __init__(self, environment: Mapping[str, str] | None = None) -> None:
        found = urllib_request.getproxies_environment() if environment is None else dict(environment)
        self._proxies = {scheme: parse_proxy(found[scheme]) for scheme in ("http", "https") if found.get(scheme)}
        self._bypass = {"no": found["no"]} if found.get("no") else {}

    def proxy_for(self, origin: Origin) -> Proxy | None:
        scheme, host, port = origin
        proxy = self._proxies.get(scheme)
        # urllib's own NO_PROXY matching (typeshed lacks the name): hosts, domain suffixes, ports, "*".
        bypass = urllib_request.proxy_bypass_environment  # type: ignore[attr-defined]
        if proxy is None or bypass(f"{host}:{port}", self._bypass):
            return None
        return proxy


def post_target(url: str, headers: Mapping[str, str]) -> Target:
    """Builds the fixed part of every POST to `url` once; raises ValueError for what cannot be sent."""
    parts = split_http_url(url)
    assert parts.hostname is not None  # split_http_url checked it
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"Host: {parts.netloc}",
        f"User-Agent: {USER_AGENT}",
        "Accept-Encoding: gzip, deflate",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    if any(ch in line for line in [path, *lines] for ch in "\r\n\0"):
        raise ValueError("a header or the path holds a line break")
    try:
        fields = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("a header holds characters HTTP/1.1 cannot carry") from None
    absolute = f"{parts.scheme}://{parts.netloc}{path}"
    return Target(
        (parts.scheme, parts.hostname, port),
        f"POST {path} HTTP/1.1\r\n".encode() + fields,
        f"POST {absolute} HTTP/1.1\r\n".encode() + fields,
    )


class Response:
    """One answer, read as it arrives; the parser's callbacks fill it."""

    def __init__(self, connection: _Connection, read_timeout: float) -> None:
        self._connection = connection
        self._loop = connection.loop
        self._read_timeout = read_timeout
        self._parser = HttpResponseParser(self)
        self.status = 0
        self.headers: dict[str, str] = {}
        self.head_received = False
        self.complete = False
        self.keep_alive = False
        self.got_bytes = False
        self._parts: deque[bytes] = deque()
        self._unread = 0
        self._collecting = False  # read() takes the whole body, so nothing pauses the socket
        self._draining = False
        self._released = False
        self._error: HttpClientError | None = None
        self._decoder: zlib._Decompress | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._last_activity = self._loop.time()
        self._timer: asyncio.TimerHandle | None = self._loop.call_later(read_timeout, self._check_silence)

    # Fed by the connection.

    def feed(self, data: bytes) -> None:
        if self.complete:
            self.keep_alive = False  # bytes after the answer: the connection is out of step
            self._connection.close()
            return
        self.got_bytes = True
        self._last_activity = self._loop.time()
        try:
            self._parser.feed_data(data)
        except HttpParserError:
            self.fail(self._error or HttpClientError("the upstream sent a malformed HTTP answer"))
            self._connection.close()

    def connection_lost(self) -> None:
        if self.complete:
            return
        if self.head_received and self._ends_at_close():
            self._finish(keep_alive=False)
        elif not self.got_bytes and self._connection.answers:
            self.fail(_StaleConnection("the reused connection was closed before the answer began"))
        else:
            self.fail(HttpClientError("the connection closed before the answer ended"))

    def _ends_at_close(self) -> bool:
        return "content-length" not in self.headers and "chunked" not in self.headers.get("transfer-encoding", "")

    # httptools parser callbacks.

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        if self.status < 200:
            return  # an interim answer (100 Continue); the real one follows
        encoding = self.headers.get("content-encoding", "identity").strip().lower()
        if encoding in DECODER_WBITS:
            self._decoder = zlib.decompressobj(DECODER_WBITS[encoding])
        elif encoding != "identity":
            self._error = HttpClientError(f"the upstream answered in an unsupported encoding ({encoding[:20]!r})")
            raise self._error
        self.head_received = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._draining:
            return
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error:
                self._error = HttpClientError("the upstream sent a body that does not decompress")
                raise self._error from None
        if body:
            self._parts.append(body)
            self._unread += len(body)
            if self._unread > PAUSE_ABOVE_BYTES and not self._collecting:
                self._connection.pause_reading()
            self._wake()

    def on_message_complete(self) -> None:
        if self.status < 200:
            self.status = 0
            self.headers = {}
            return
        if self._decoder is not None and not self._draining:
            rest = self._decoder.flush()
            if rest:
                self._parts.append(rest)
        self._finish(keep_alive=self._parser.should_keep_alive())

    # State changes.

    def _finish(self, keep_alive: bool) -> None:
        self.complete = True
        self.keep_alive = keep_alive
        self._stop_timer()
        if self._draining:
            self._give_back()
        else:
            self._wake()

    def fail(self, error: HttpClientError) -> None:
        """The first error wins: a callback's own error outranks the parser's report of it."""
        if self.complete:
            return
        if self._error is None:
            self._error = error
        self._stop_timer()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check_silence(self) -> None:
        """The read timeout: fires once per timeout, and fails the answer only when a reader has
        waited that long with nothing arriving (a reader busy elsewhere is not the upstream's fault)."""
        self._timer = None
        if self.complete or self._error is not None:
            return
        if self._draining:
            self._connection.close()
            return
        now = self._loop.time()
        silent = now - self._last_activity
        if self._waiter is not None and silent >= self._read_timeout:
            self.fail(HttpTimeout(f"the upstream sent nothing for {self._read_timeout:g} s"))
            self._connection.close()
            return
        delay = self._read_timeout - silent if self._waiter is not None else self._read_timeout
        self._timer = self._loop.call_later(max(delay, 0.001), self._check_silence)

    async def _wait(self) -> None:
        self._waiter = self._loop.create_future()
        self._last_activity = self._loop.time()
        try:
            await self._waiter
        finally:
            self._waiter = None

    # The reader's side.

    async def head(self) -> None:
        while not self.head_received:
            if self._error is not None:
                raise self._error
            await self._wait()

    async def read(self) -> bytes:
        self._collecting = True
        self._connection.resume_reading()
        while not self.complete:
            if self._error is not None:
                raise self._error
            await self._wait()
        body = b"".join(self._parts)
        self._parts.clear()
        return body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives: everything received since the last step, joined."""
        while True:
            if self._parts:
                data = self._parts.popleft() if len(self._parts) == 1 else b"".join(self._parts)
                self._parts.clear()
                self._unread = 0
                self._connection.resume_reading()
                yield data
            elif self.complete:
                return
            elif self._error is not None:
                raise self._error
            else:
                await self._wait()

    def release(self) -> None:
        """Done with the answer: the connection goes back to the pool, after reading the rest of
        a nearly ended answer; an answer that failed closes it."""
        if self._released:
            return
        self._released = True
        self._parts.clear()
        if self.complete:
            self._give_back()
        elif self.head_received and self._error is None and not self._connection.closed:
            self._draining = True
            self._connection.resume_reading()
            self._stop_timer()
            self._timer = self._loop.call_later(DRAIN_SECONDS, self._check_silence)
        else:
            self._connection.close()

    def close(self) -> None:
        """Done with the answer, and the upstream must stop: closes the connection unless it ended."""
        if self.complete:
            self.release()
            return
        self._released = True
        self._stop_timer()
        self._connection.close()

    def _give_back(self) -> None:
        if self.keep_alive and not self._connection.closed:
            self._connection.answered()
        else:
            self._connection.close()


class _Connection(asyncio.Protocol):
    def __init__(self, client: Http1Client, origin: Origin) -> None:
        self.client = client
        self.origin = origin
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.answers = 0  # answers completed on this connection: more than none means reused
        self.idle_since = 0.0
        self._transport: asyncio.Transport | None = None
        self._response: Response | None = None
        self._paused = False
        self.forward_proxy: Proxy | None = None  # set when requests go to a plain-http forward proxy

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._response is None:
            self.close()  # bytes nobody asked for: the stream is out of step
            return
        self._response.feed(data)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost settles the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response, self._response = self._response, None
        if response is not None:
            response.connection_lost()
        self.client._forget(self)

    async def send(self, request: bytes, read_timeout: float) -> Response:
        assert self._transport is not None
        if self.closed or self._transport.is_closing():
            raise _StaleConnection("the pooled connection was closed")
        response = self._response = Response(self, read_timeout)
        self._transport.write(request)
        try:
            await response.head()
        except BaseException:
            response.close()
            raise
        return response

    def answered(self) -> None:
        self._response = None
        self.answers += 1
        self.idle_since = self.loop.time()
        self.client._put_back(self)

    def reusable(self, now: float, keepalive_seconds: float) -> bool:
        return (
            not self.closed
            and self._transport is not None
            and not self._transport.is_closing()
            and now - self.idle_since < keepalive_seconds
        )

    def pause_reading(self) -> None:
        if not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused and self._transport is not None and not self.closed:
            self._paused = False
            self._transport.resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class Http1Client:
    """A pool of keep-alive connections per origin, shared by every deployment of the fast path."""

    def __init__(
        self,
        max_connections: int,
        max_connections_per_origin: int = 0,
        keepalive_seconds: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        proxies: ProxyRoutes | None = None,
    ) -> None:
        self._proxies = proxies or ProxyRoutes()
        self._max = max_connections
        self._max_per_origin = max_connections_per_origin or max_connections
        self._keepalive = keepalive_seconds
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}
        self._live: set[_Connection] = set()
        self._per_origin: dict[Origin, int] = {}
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._sweep: asyncio.TimerHandle | None = None
        self._closed = False

    async def post(self, target: Target, body: bytes, *, connect_timeout: float, read_timeout: float) -> Response:
        """Sends the POST and returns once the answer's status and headers are in."""
        connection = await self._acquire(target.origin, connect_timeout)
        try:
            return await connection.send(_request(connection, target, body), read_timeout)
        except _StaleConnection:
            # The server dropped idle connections (a restart, its own keep-alive limit): the
            # others it held are as stale. One more try, on a new connection.
            for stale in self._idle.pop(target.origin, []):
                stale.close()
        connection = await self._acquire(target.origin, connect_timeout)
        try:
            return await connection.send(_request(connection, target, body), read_timeout)
        except _StaleConnection:
            raise HttpClientError("the connection closed before the answer began") from None

    async def _acquire(self, origin: Origin, connect_timeout: float) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            if self._closed:
                raise HttpClientError("the client is closed")
            idle = self._idle.get(origin)
            if idle:
                now = loop.time()
                while idle:
                    connection = idle.pop()  # the most recently used: the least likely dropped
                    if connection.reusable(now, self._keepalive):
                        return connection
                    connection.close()
            if len(self._live) < self._max and self._per_origin.get(origin, 0) < self._max_per_origin:
                return await self._connect(origin, connect_timeout)
            self._close_one_idle()
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if not waiter.cancelled():
                    self._wake_one()  # it was woken as it was cancelled: pass the turn on
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise

    async def _connect(self, origin: Origin, connect_timeout: float) -> _Connection:
        scheme, host, port = origin
        connection = _Connection(self, origin)
        self._live.add(connection)
        self._per_origin[origin] = self._per_origin.get(origin, 0) + 1
        tls = self._tls() if scheme == "https" else None
        proxy = self._proxies.proxy_for(origin)
        transport: asyncio.BaseTransport
        try:
            async with asyncio.timeout(connect_timeout):
                if proxy is None:
                    transport, _ = await connection.loop.create_connection(
                        lambda: connection, host, port, ssl=tls, server_hostname=host if tls else None
                    )
                elif tls is not None:
                    transport = await _tunnel(connection, proxy, tls)
                else:
                    transport, _ = await connection.loop.create_connection(lambda: connection, proxy.host, proxy.port)
                    connection.forward_proxy = proxy
        except TimeoutError:
            self._forget(connection)
            connection.close()
            raise HttpTimeout(f"connecting took longer than {connect_timeout:g} s") from None
        except OSError as exc:  # refused, unreachable, unresolvable, TLS failures
            self._forget(connection)
            raise HttpClientError(f"could not connect ({type(exc).__name__})") from None
        except BaseException:
            self._forget(connection)
            connection.close()
            raise
        connection.connection_made(transport)  # uvloop may call it only after returning
        return connection

    def _tls(self) -> ssl.SSLContext:
        # The default context verifies certificates and host names, against the system's CAs or
        # OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR.
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _put_back(self, connection: _Connection) -> None:
        if self._closed:
            connection.close()
            return
        self._idle.setdefault(connection.origin, []).append(connection)
        if self._sweep is None:
            self._sweep = connection.loop.call_later(self._keepalive, self._close_expired)
        self._wake_one()

    def _forget(self, connection: _Connection) -> None:
        """Called once a connection is closed, or failed to open."""
        if connection in self._live:
            self._live.remove(connection)
            self._per_origin[connection.origin] -= 1
            idle = self._idle.get(connection.origin)
            if idle and connection in idle:
                idle.remove(connection)
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _close_one_idle(self) -> None:
        """At the pool's limit, an idle connection to another origin makes room for a new one."""
        oldest: _Connection | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest.idle_since):
                oldest = idle[0]
        if oldest is not None:
            self._idle[oldest.origin].remove(oldest)
            oldest.close()

    def _close_expired(self) -> None:
        self._sweep = None
        now = asyncio.get_running_loop().time()
        for idle in self._idle.values():
            for connection in [c for c in idle if not c.reusable(now, self._keepalive)]:
                idle.remove(connection)
                connection.close()
        if any(self._idle.values()):
            self._sweep = asyncio.get_running_loop().call_later(self._keepalive, self._close_expired)

    async def close(self) -> None:
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self._idle.clear()
        for connection in list(self._live):
            connection.close()
        while self._waiters:
            self._wake_one()  # each finds the client closed
        await asyncio.sleep(0)  # lets the transports run their connection_lost


def _request(connection: _Connection, target: Target, body: bytes) -> bytes:
    length = b"%d\r\n\r\n" % len(body)
    proxy = connection.forward_proxy
    if proxy is None:
        return b"".join((target.head, length, body))
    return b"".join((target.absolute_head, length[:-2], proxy.authorization, b"\r\n", body))


class _TunnelHandshake(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT, up to the blank line that ends its head."""

    def __init__(self) -> None:
        self.head: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._buffer = b""

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if b"\r\n\r\n" in self._buffer and not self.head.done():
            self.head.set_result(self._buffer)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(OSError("the proxy closed the connection"))


async def _tunnel(connection: _Connection, proxy: Proxy, tls: ssl.SSLContext) -> asyncio.BaseTransport:
    """A TLS connection to the origin through the proxy's CONNECT tunnel."""
    _, host, port = connection.origin
    loop = connection.loop
    handshake = _TunnelHandshake()
    transport, _ = await loop.create_connection(lambda: handshake, proxy.host, proxy.port)
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    transport.write(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n".encode() + proxy.authorization + b"\r\n")
    try:
        head = await handshake.head
        status_line = head.split(b"\r\n", 1)[0].split()
        if len(status_line) < 2 or status_line[1] != b"200":
            raise HttpClientError(f"the proxy refused the tunnel ({b' '.join(status_line[1:]).decode('latin-1')})")
        upgraded = await loop.start_tls(transport, connection, tls, server_hostname=host)
    except BaseException:
        transport.close()
        raise
    assert upgraded is not None
    return upgraded
