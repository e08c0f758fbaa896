"""Server-sent events exactly as OpenAI frames them, and a response that notices a client leaving.

Starlette's StreamingResponse, under ASGI 2.4 servers, notices a disconnect only when the next
chunk fails to send; a slow model would keep generating for nobody. This response listens for the
disconnect itself and cancels the stream, which closes the upstream connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.core.errors import GatewayError

DONE = b"data: [DONE]\n\n"


def sse_event(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


def sse_events(payloads: list[bytes]) -> bytes:
    """`sse_event` of each payload, in one join."""
    return b"data: " + b"\n\ndata: ".join(payloads) + b"\n\n" if payloads else b""


def sse_error(error: GatewayError) -> bytes:
    return sse_event(orjson.dumps(error.body()))


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"

    def __init__(
        self,
        content: AsyncIterator[bytes],
        headers: dict[str, str] | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(content, headers={"cache-control": "no-cache", "x-accel-buffering": "no", **(headers or {})})
        self._events = content
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Two plain tasks, not an anyio task group: its cancel scopes cost about a tenth of a
        # streamed request's CPU (py-spy), most of it formatting a task's repr for a cancel reason.
        sender = asyncio.ensure_future(self._send_events(send))
        listener = asyncio.ensure_future(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait((sender, listener), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sender.cancel()  # a client gone mid-stream: stop waiting for the model
            listener.cancel()
            # Shielded: the books close even when the server cancels this request on shutdown.
            await asyncio.shield(self._close(sender, listener))
        for task in (sender, listener):
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _send_events(self, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError:
            pass  # the client went away while we were sending

    async def _close(self, sender: asyncio.Future[None], listener: asyncio.Future[None]) -> None:
        await asyncio.wait((sender, listener))  # the generator must stop before it can be closed
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await aclose()
        if self._on_close is not None:
            await self._on_close()
