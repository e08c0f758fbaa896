"""Server-sent events exactly as OpenAI frames them, and a response that notices a client leaving.

Starlette's StreamingResponse, under ASGI 2.4 servers, notices a disconnect only when the next
chunk fails to send; a slow model would keep generating for nobody. This response listens for the
disconnect itself and cancels the stream, which closes the upstream connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import anyio
import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.core.errors import GatewayError

DONE = b"data: [DONE]\n\n"


def sse_event(payload: bytes) -> bytes:
    return b"data: " + payload + b"\n\n"


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
        try:
            async with anyio.create_task_group() as group:

                async def until_done(step: Callable[[], Awaitable[None]]) -> None:
                    try:
                        await step()
                    except OSError:
                        pass  # the client went away while we were sending
                    group.cancel_scope.cancel()

                group.start_soon(until_done, partial(self.stream_response, send))
                await until_done(partial(self.listen_for_disconnect, receive))
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self._events, "aclose", None)
                if aclose is not None:
                    await aclose()
                if self._on_close is not None:
                    await self._on_close()
