"""A real HTTP forward proxy on loopback, as a company runs one for egress: CONNECT tunnels for
https origins, absolute-URL requests for plain http ones, optional Basic credentials. It records
what passed through it, so a test can tell whether a call used the proxy."""

from __future__ import annotations

import asyncio
import base64
import threading
from urllib.parse import urlsplit


class ForwardProxy:
    def __init__(self, credentials: tuple[str, str] | None = None, refuse_tunnels: bool = False) -> None:
        self.tunnels: list[str] = []  # CONNECT authorities, in order
        self.forwarded: list[str] = []  # absolute URLs of plain-http requests
        self.refused: int = 0  # requests without the right credentials
        self._expected = (
            "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode() if credentials else None
        )
        self._refuse_tunnels = refuse_tunnels
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the forward proxy did not start")
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _shutdown(self) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.sleep(0)  # the transports run their connection_lost

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            if self._expected is not None and headers.get("proxy-authorization") != self._expected:
                self.refused += 1
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                return
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward(head, target, headers, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    async def _tunnel(self, authority: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tunnels.append(authority)
        if self._refuse_tunnels:
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = authority.rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        self._writers.add(upstream_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    async def _forward(
        self,
        head: bytes,
        url: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.forwarded.append(url)
        parts = urlsplit(url)
        assert parts.hostname is not None
        upstream_reader, upstream_writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        self._writers.add(upstream_writer)
        origin_form = head.replace(url.encode(), (parts.path or "/").encode(), 1)
        kept = [line for line in origin_form.split(b"\r\n") if not line.lower().startswith(b"proxy-authorization:")]
        upstream_writer.write(b"\r\n".join(kept))
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        upstream_writer.write(body)
        await asyncio.gather(_pipe(upstream_reader, writer), _pipe(reader, upstream_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
