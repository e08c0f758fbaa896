"""Native passthrough to an upstream that speaks Anthropic's Messages API: the caller's Messages
request, as governance let it through, goes to `<api_base>/v1/messages` unchanged (no translation
to chat and back by litellm), over the fast path's HTTP/1.1 client. The answer is read into the chat
view the filters and the ledger work on (`anthropic_reading`).

The provider's error text never reaches the caller: it may quote keys, URLs or the prompt."""

from __future__ import annotations

import logging

import orjson

from gateway.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from gateway.core.settings import UpstreamPoolSettings
from gateway.upstream.anthropic_reading import ChunkReader, chat_completion
from gateway.upstream.base import ChunkBatches, Deployment, Json, MalformedUpstreamResponse
from gateway.upstream.http1 import Http1Client, HttpClientError, HttpTimeout, Response, Target, post_target

log = logging.getLogger(__name__)
DEFAULT_API_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
REJECTION_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
}


def messages_url(api_base: str | None) -> str:
    """`api_base` as litellm takes it for anthropic/ (the host, or the host and `/v1`)."""
    base = (api_base or DEFAULT_API_BASE).rstrip("/")
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


class AnthropicMessagesProvider:
    own_params = frozenset({"top_k"})

    def __init__(self, pool: UpstreamPoolSettings) -> None:
        self._client = Http1Client(
            max_connections=pool.max_connections,
            max_connections_per_origin=pool.max_connections_per_host,
            keepalive_seconds=pool.keepalive_seconds,
        )
        self._targets: dict[str, Target] = {}  # deployment id -> its request head

    async def close(self) -> None:
        await self._client.close()

    def _target(self, deployment: Deployment) -> Target:
        target = self._targets.get(deployment.id)
        if target is None:
            headers = {"Content-Type": "application/json", "anthropic-version": API_VERSION}
            if deployment.params.api_key is not None:
                headers["x-api-key"] = deployment.params.api_key.get_secret_value()
            try:
                target = self._targets[deployment.id] = post_target(messages_url(deployment.params.api_base), headers)
            except ValueError as exc:
                raise UpstreamError(f"The model provider for {deployment.group!r} cannot be called: {exc}.") from None
        return target

    async def _post(self, deployment: Deployment, body: Json, stream: bool) -> Response:
        payload = orjson.dumps({**body, "model": deployment.params.upstream_model, "stream": stream})
        try:
            response = await self._client.post(
                self._target(deployment),
                payload,
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
            raise _rejection(deployment, response.status, retry_after)
        return response

    async def chat(self, deployment: Deployment, body: Json) -> Json:
        response = await self._post(deployment, body, stream=False)
        try:
            raw = await response.read()
        except HttpTimeout:
            raise UpstreamTimeout(f"The model provider for {deployment.group!r} did not answer in time.") from None
        except HttpClientError as exc:
            raise UpstreamError(
                f"The connection to the model provider for {deployment.group!r} broke: {exc}."
            ) from None
        finally:
            response.close()
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("content"), list):
            raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent an unexpected answer.")
        return chat_completion(message)

    async def open_stream(self, deployment: Deployment, body: Json) -> ChunkBatches:
        response = await self._post(deployment, body, stream=True)
        return self._chunks(deployment, response)

    async def _chunks(self, deployment: Deployment, response: Response) -> ChunkBatches:
        """Per network read, the chat chunks its complete events stand for. An error event ends the
        stream with our own error, after the chunks before it (so the filters saw them)."""
        reader = ChunkReader()
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
                    if kind == "error":
                        if chunks:
                            yield chunks
                        raise _stream_failure(deployment, event)
                    chunks += reader.read(event)
                    ended = ended or kind == "message_stop"
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


def _event(deployment: Deployment, data: bytes) -> Json:
    try:
        event = orjson.loads(data)
    except orjson.JSONDecodeError:
        event = None
    if not isinstance(event, dict):
        raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent an unreadable event.")
    return event


def _rejection(deployment: Deployment, status: int, retry_after: str | None) -> Exception:
    """Our own words for the provider's refusal: its status and kind, none of its text."""
    if status < 400:
        return UpstreamError(
            f"The model provider for {deployment.group!r} answered {status}; the gateway follows no redirects."
        )
    error = UpstreamRejected(
        status,
        f"The model provider for {deployment.group!r} refused the request with status {status}.",
        error_type=REJECTION_TYPES.get(status, "api_error"),
    )
    if retry_after:
        error.headers["retry-after"] = retry_after
    return error


def _stream_failure(deployment: Deployment, event: Json) -> UpstreamError:
    detail = event.get("error")
    kind = detail.get("type") if isinstance(detail, dict) else None
    log.warning("deployment %s sent an error event mid-stream (type %s)", deployment.id, str(kind)[:40])
    return UpstreamError(f"The model provider for {deployment.group!r} failed during the stream.")
