"""The fast path: providers that speak OpenAI's API, called through one pooled HTTP/1.1 client.

litellm costs milliseconds per call; an httpx pool measured here fell from 438 to 230 requests/s as
concurrency rose from 16 to 64. The fast path skips both, with its own client (see `http1`).
"""

from __future__ import annotations

import logging
from itertools import repeat
from typing import Any

import orjson

from gateway.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from gateway.core.scrub import Scrubber
from gateway.core.settings import UpstreamPoolSettings
from gateway.upstream.base import ChunkBatches, Deployment, Json, MalformedUpstreamResponse, read_answer
from gateway.upstream.http1 import Http1Client, HttpClientError, HttpTimeout, Response, Target, post_target

log = logging.getLogger(__name__)
DEFAULT_API_BASE = "https://api.openai.com/v1"
# litellm provider prefixes whose upstream speaks OpenAI's wire format at `api_base`.
FAST_PATH_PROVIDERS = frozenset({"openai", "custom_openai", "hosted_vllm", "openai_like", "lm_studio", "llamafile"})


class OpenAICompatibleProvider:
    def __init__(self, pool: UpstreamPoolSettings, scrubber: Scrubber) -> None:
        self._scrubber = scrubber
        self._client = Http1Client(
            max_connections=pool.max_connections,
            max_connections_per_origin=pool.max_connections_per_host,
            keepalive_seconds=pool.keepalive_seconds,
        )
        self._targets: dict[tuple[str, str], Target] = {}  # (deployment id, path) -> its request head

    async def close(self) -> None:
        await self._client.close()

    def _target(self, deployment: Deployment, path: str) -> Target:
        target = self._targets.get((deployment.id, path))
        if target is None:
            headers = {"Content-Type": "application/json"}
            if deployment.params.api_key is not None:
                headers["Authorization"] = "Bearer " + deployment.params.api_key.get_secret_value()
            url = (deployment.params.api_base or DEFAULT_API_BASE).rstrip("/") + path
            try:
                target = self._targets[(deployment.id, path)] = post_target(url, headers)
            except ValueError as exc:
                raise UpstreamError(f"The model provider for {deployment.group!r} cannot be called: {exc}.") from None
        return target

    def _payload(self, deployment: Deployment, body: Json) -> bytes:
        return orjson.dumps({**body, "model": deployment.params.upstream_model})

    async def _post(self, deployment: Deployment, path: str, body: Json, stream: bool) -> Response:
        try:
            response = await self._client.post(
                self._target(deployment, path),
                self._payload(deployment, body),
                connect_timeout=deployment.params.connect_timeout,
                read_timeout=deployment.read_timeout(stream),
            )
        except HttpTimeout:
            raise UpstreamTimeout(f"The model provider for {deployment.group!r} did not answer in time.") from None
        except HttpClientError as exc:
            raise UpstreamError(f"Could not reach the model provider for {deployment.group!r}: {exc}.") from None
        if not 200 <= response.status < 300:
            try:
                raw = await response.read() if response.status >= 400 else b""
            except HttpClientError:
                raw = b""
            finally:
                response.close()
            raise self._rejection(deployment, response.status, raw, response.headers.get("retry-after"))
        return response

    def _rejection(self, deployment: Deployment, status: int, raw: bytes, retry_after: str | None) -> Exception:
        if status < 400:
            return UpstreamError(
                f"The model provider for {deployment.group!r} answered {status}; the gateway follows no redirects."
            )
        detail: dict[str, Any] = {}
        try:
            parsed = orjson.loads(raw)
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                detail = parsed["error"]
        except orjson.JSONDecodeError:
            pass
        message = self._scrubber(str(detail.get("message") or f"The model provider answered with status {status}."))
        error = UpstreamRejected(
            status,
            message,
            error_type=str(detail.get("type") or ("api_error" if status >= 500 else "invalid_request_error")),
            param=detail.get("param") if isinstance(detail.get("param"), str) else None,
            code=str(detail["code"]) if detail.get("code") is not None else None,
        )
        if retry_after:
            error.headers["retry-after"] = retry_after
        return error

    async def _read_json(self, deployment: Deployment, response: Response) -> Json:
        raw = await read_answer(deployment, response)
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise MalformedUpstreamResponse(
                f"The model provider for {deployment.group!r} sent an answer that is not valid JSON."
            ) from None
        if not isinstance(parsed, dict):
            raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent an unexpected answer.")
        return parsed

    async def chat(self, deployment: Deployment, body: Json) -> Json:
        response = await self._post(deployment, "/chat/completions", body, stream=False)
        result = await self._read_json(deployment, response)
        if not isinstance(result.get("choices"), list):
            raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent no choices.")
        return result

    async def embeddings(self, deployment: Deployment, body: Json) -> Json:
        response = await self._post(deployment, "/embeddings", body, stream=False)
        result = await self._read_json(deployment, response)
        if not isinstance(result.get("data"), list):
            raise MalformedUpstreamResponse(f"The model provider for {deployment.group!r} sent no embeddings.")
        return result

    async def open_stream(self, deployment: Deployment, body: Json) -> ChunkBatches:
        response = await self._post(deployment, "/chat/completions", body, stream=True)
        return self._events(deployment, response)

    async def _events(self, deployment: Deployment, response: Response) -> ChunkBatches:
        """Yields the SSE data payloads completed by each network read, as soon as it arrives.
        Closing the iterator early closes the connection, and so cancels the upstream generation.
        An upstream error event is never forwarded (its text may quote keys or URLs): the payloads
        before it go out first, so the filters see them, then the stream fails with our own error."""
        pending = b""
        ended = False
        try:
            async for block in response.iter_chunks():
                text = pending + block
                cut = text.rfind(b"\n") + 1  # the complete lines, up to the last line break
                complete, pending = text[:cut], text[cut:]
                payloads, done = _payloads(complete)
                payloads, failure = _split_at_error(payloads, complete)
                if payloads:
                    yield payloads
                if failure is not None:
                    raise _stream_failure(deployment, failure)
                if done:
                    ended = True
                    return
            ended = True
            payloads, _ = _payloads(pending)
            payloads, failure = _split_at_error(payloads, pending)
            if payloads:
                yield payloads
            if failure is not None:
                raise _stream_failure(deployment, failure)
        except HttpTimeout:
            raise UpstreamTimeout(f"The model provider for {deployment.group!r} stopped sending.") from None
        except HttpClientError as exc:
            raise UpstreamError(f"The stream from the model provider for {deployment.group!r} broke: {exc}.") from None
        finally:
            # After `[DONE]` the connection goes back to the pool (once its last chunk is in);
            # a stream left mid-way closes it.
            if ended:
                response.release()
            else:
                response.close()


def _split_at_error(payloads: list[bytes], read: bytes) -> tuple[list[bytes], bytes | None]:
    """The payloads before the first upstream error event, and that event (None without one).
    `read` holds them all: a read without the bytes `"error"` holds no error event."""
    if b'"error"' not in read:
        return payloads, None
    for index, payload in enumerate(payloads):
        if _is_error_event(payload):
            return payloads[:index], payload
    return payloads, None


def _is_error_event(payload: bytes) -> bool:
    """An `{"error": ...}` event. Quotes inside JSON strings are escaped, so a chunk without the bytes
    `"error"` is surely none, and only those few are parsed."""
    if b'"error"' not in payload:
        return False
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    return isinstance(event, dict) and "error" in event and "choices" not in event


def _stream_failure(deployment: Deployment, event: bytes) -> UpstreamError:
    """Our own error for an upstream error event; its text stays out of the client's view and the logs."""
    detail = orjson.loads(event).get("error")
    kind = detail.get("type") if isinstance(detail, dict) else None
    log.warning("deployment %s sent an error event mid-stream (type %s)", deployment.id, str(kind)[:40])
    return UpstreamError(f"The model provider for {deployment.group!r} failed during the stream.")


def _payloads(complete: bytes) -> tuple[list[bytes], bool]:
    """The data payloads of complete SSE lines, and whether `[DONE]` was among them. A read that is
    all `data: {...}` events, one line each (what providers send), is split at its separators at
    once: reading it line by line was the largest part of a streamed answer's CPU that passes
    through the gateway unchanged (benchmarks.proxy, streamed)."""
    if complete.startswith(b"data: ") and complete.endswith(b"\n\n"):
        payloads = complete[6:-2].split(b"\n\ndata: ")
        done = payloads[-1] == b"[DONE]"
        if done:
            payloads.pop()
        # Two line breaks per event and none inside one; each a JSON object, with nothing around it.
        if (
            complete.count(b"\n") == 2 * (len(payloads) + done)
            and all(map(bytes.startswith, payloads, repeat(b"{")))
            and all(map(bytes.endswith, payloads, repeat(b"}")))
        ):
            return payloads, done
    return _payloads_line_by_line(complete.split(b"\n"))


def _payloads_line_by_line(lines: list[bytes]) -> tuple[list[bytes], bool]:
    payloads: list[bytes] = []
    for line in lines:
        if not line.startswith(b"data:"):
            continue  # blank separators, comments (": keep-alive"), event names
        data = line[5:].strip()
        if data == b"[DONE]":
            return payloads, True
        if data:
            payloads.append(data)
    return payloads, False
