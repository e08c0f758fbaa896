"""What every native passthrough shares: the request over the fast path's HTTP/1.1 client, the
answer or its event stream read into the chat view by the API's own reader, and the provider's
refusals and failures in the gateway's own words. A native provider says only what its API is:
its URL and headers, how its answer and its events read as chat, which events end or break it.

The provider's error text never reaches the caller: it may quote keys, URLs or the prompt."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from gateway.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from gateway.core.settings import UpstreamPoolSettings
from gateway.upstream.base import (
    ChunkBatches,
    Deployment,
    Json,
    MalformedUpstreamResponse,
    NativeRequest,
    read_answer,
)
from gateway.upstream.http1 import Http1Client, HttpClientError, HttpTimeout, Response, Target, post_target

log = logging.getLogger(__name__)
MAX_TARGETS = 256  # request heads kept: beyond, a head is written per request


class EventReader(Protocol):
    def read(self, event: Json) -> list[bytes]:
        """The chat chunk payloads that one event of the API's stream stands for."""
        ...


class NativeHttpProvider:
    """The shared body of the native providers; a subclass fills in its API's particulars."""

    own_params: frozenset[str] = frozenset()
    rejection_types: dict[int, str] = {}  # the API's error type for a provider's status
    end_events: frozenset[str] = frozenset()  # the stream is complete after one of these
    error_events: frozenset[str] = frozenset()  # the provider failed mid-stream

    def __init__(self, pool: UpstreamPoolSettings) -> None:
        self._client = Http1Client(
            max_connections=pool.max_connections,
            max_connections_per_origin=pool.max_connections_per_host,
            keepalive_seconds=pool.keepalive_seconds,
        )
        # (deployment id, the caller's headers) -> its request head; a few per deployment, as a
        # client sends the same headers with each request
        self._targets: dict[tuple[str, tuple[tuple[str, str], ...]], Target] = {}

    def url(self, api_base: str | None) -> str:
        raise NotImplementedError

    def headers(self, api_key: str | None) -> dict[str, str]:
        raise NotImplementedError

    def payload(self, deployment: Deployment, body: Json, stream: bool) -> Json:
        return {**body, "model": deployment.params.upstream_model, "stream": stream}

    def completion(self, answer: Any) -> Json | None:
        """The chat completion a plain answer stands for; None when it is not the API's answer."""
        raise NotImplementedError

    def event_reader(self) -> EventReader:
        raise NotImplementedError

    async def close(self) -> None:
        await self._client.close()

    def _target(self, deployment: Deployment, callers: Mapping[str, str]) -> Target:
        cached = (deployment.id, tuple(callers.items()))
        target = self._targets.get(cached)
        if target is None:
            key = deployment.params.api_key
            # The caller's headers first: the deployment's own (its key, the API version) win.
            own = self.headers(key.get_secret_value() if key else None)
            headers = {**callers, "Content-Type": "application/json", **own}
            try:
                target = post_target(self.url(deployment.params.api_base), headers)
            except ValueError as exc:
                raise UpstreamError(f"The model provider for {deployment.group!r} cannot be called: {exc}.") from None
            if len(self._targets) < MAX_TARGETS:
                self._targets[cached] = target
        return target

    async def _post(self, deployment: Deployment, request: NativeRequest, stream: bool) -> Response:
        try:
            response = await self._client.post(
                self._target(deployment, request.headers),
                orjson.dumps(self.payload(deployment, request.body, stream)),
                connect_timeout=deployment.params.connect_timeout,
                read_timeout=deployment.read_timeout(stream),
            )
        except HttpTimeout:
            raise UpstreamTimeout(f"The model provider for {deployment.group!r} did not answer in time.") from None
        except HttpClientError as exc:
            raise UpstreamError(f"Could not reach the model provider for {deployment.group!r}: {exc}.") from None
        if not 200 <= response.status < 300:
            retry_after = response.headers.get("retry-after")
            response.close()
            raise self._rejection(deployment, response.status, retry_after)
        return response

    async def chat(self, deployment: Deployment, request: NativeRequest) -> Json:
        response = await self._post(deployment, request, stream=False)
        raw = await read_answer(deployment, response)
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        completion = self.completion(answer) if isinstance(answer, dict) else None
        if completion is None:
            raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent an unexpected answer.")
        return completion

    async def open_stream(self, deployment: Deployment, request: NativeRequest) -> ChunkBatches:
        response = await self._post(deployment, request, stream=True)
        return self._chunks(deployment, response)

    async def _chunks(self, deployment: Deployment, response: Response) -> ChunkBatches:
        """Per network read, the chat chunks its complete events stand for. An error event ends the
        stream with our own error, after the chunks before it (so the filters saw them)."""
        reader = self.event_reader()
        pending = b""
        ended = False
        try:
            async for block in response.iter_chunks():
                *lines, pending = (pending + block).split(b"\n")
                chunks: list[bytes] = []
                for line in lines:
                    if not line.startswith(b"data:"):
                        continue  # event names, blank separators
                    event = _event(deployment, line[5:])
                    kind = event.get("type")
                    if kind in self.error_events:
                        if chunks:
                            yield chunks
                        raise _stream_failure(deployment, kind)
                    chunks += reader.read(event)
                    ended = ended or kind in self.end_events
                if chunks:
                    yield chunks
                if ended:
                    return
            if not ended:
                raise UpstreamError(f"The stream from the model provider for {deployment.group!r} ended early.")
        except HttpTimeout:
            raise UpstreamTimeout(f"The model provider for {deployment.group!r} stopped sending.") from None
        except HttpClientError as exc:
            raise UpstreamError(f"The stream from the model provider for {deployment.group!r} broke: {exc}.") from None
        finally:
            if ended:
                response.release()
            else:
                response.close()

    def _rejection(self, deployment: Deployment, status: int, retry_after: str | None) -> Exception:
        """Our own words for the provider's refusal: its status and kind, none of its text."""
        if status < 400:
            return UpstreamError(
                f"The model provider for {deployment.group!r} answered {status}; the gateway follows no redirects."
            )
        error = UpstreamRejected(
            status,
            f"The model provider for {deployment.group!r} refused the request with status {status}.",
            error_type=self.rejection_types.get(status, "api_error"),
        )
        if retry_after:
            error.headers["retry-after"] = retry_after
        return error


def _event(deployment: Deployment, data: bytes) -> Json:
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent an unreadable event.")
    return event


def _stream_failure(deployment: Deployment, kind: Any) -> UpstreamError:
    log.warning("deployment %s sent a failure event mid-stream (%s)", deployment.id, str(kind)[:40])
    return UpstreamError(f"The model provider for {deployment.group!r} failed during the stream.")
