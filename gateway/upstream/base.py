"""The Provider protocol every upstream backend implements, and the deployment it is called for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from gateway.core.errors import GatewayError, UpstreamError, UpstreamRejected, UpstreamTimeout
from gateway.core.settings import LitellmParams
from gateway.upstream.circuit import Circuit
from gateway.upstream.http1 import HttpClientError, HttpTimeout, Response

Json = dict[str, Any]
# A stream yields, per network read, the JSON payloads of the SSE events that read completed:
# forwarding them together costs one write instead of one per event.
ChunkBatches = AsyncIterator[list[bytes]]


@dataclass(eq=False)
class Deployment:
    """One entry of `model_list`: a provider model reachable with one set of parameters."""

    id: str
    group: str
    params: LitellmParams
    provider: Provider
    circuit: Circuit
    in_flight: int = 0
    model_info: Json = field(default_factory=dict)
    native_api: str | None = None  # the API besides chat its upstream speaks ("messages"), if configured
    native: NativeProvider | None = None  # the backend that speaks it

    def read_timeout(self, stream: bool) -> float:
        if stream and self.params.stream_timeout is not None:
            return self.params.stream_timeout
        return self.params.timeout


class Provider(Protocol):
    """A backend that speaks to one kind of upstream.

    `open_stream` must raise before returning if the call fails before its first byte, so the
    router can retry; the iterator it returns yields batches of chunk payloads (JSON bytes).
    """

    async def chat(self, deployment: Deployment, body: Json) -> Json: ...

    async def open_stream(self, deployment: Deployment, body: Json) -> ChunkBatches: ...

    async def embeddings(self, deployment: Deployment, body: Json) -> Json: ...

    async def close(self) -> None: ...


class NativeRequest:
    """A request in an API besides chat (`api`, e.g. "messages"), as governance let it through: sent
    unchanged to a deployment whose upstream speaks that API, and translated for any other. Its body
    is written when a deployment takes it, as most go to chat; `headers` are the caller's that the
    API defines for the request (Anthropic's `anthropic-beta`), sent with it."""

    def __init__(self, api: str, write: Callable[[], Json], headers: Mapping[str, str] | None = None) -> None:
        self.api = api
        self._write = write
        self.headers: Mapping[str, str] = headers or {}

    @cached_property
    def body(self) -> Json:
        return self._write()


class NativeProvider(Protocol):
    """A backend that speaks an API besides chat to the deployments configured for it. It returns
    what the rest of the path reads, whatever the provider's own format: a chat completion, or
    batches of chat chunk payloads, so the filters, the ledger and the caller's writer stay one."""

    # The API's own parameters that its chat reading carries beyond chat completions' (Messages'
    # top_k): a request that may pass through natively holds them without an allow-list entry.
    own_params: frozenset[str]

    async def chat(self, deployment: Deployment, request: NativeRequest) -> Json: ...

    async def open_stream(self, deployment: Deployment, request: NativeRequest) -> ChunkBatches: ...

    async def close(self) -> None: ...


class MalformedUpstreamResponse(UpstreamError):
    """The provider answered, but not with what its API promises."""


def is_retryable(error: Exception) -> bool:
    """Connection failures, timeouts, 429 and 5xx are worth another try; a bad request is not."""
    if isinstance(error, MalformedUpstreamResponse):
        return False
    if isinstance(error, UpstreamRejected):
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(error, (UpstreamError, UpstreamTimeout))


def retry_after_seconds(error: GatewayError) -> float | None:
    value = error.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


async def read_answer(deployment: Deployment, response: Response) -> bytes:
    """A provider's whole answer, the connection closed after it; a timeout or a broken connection
    becomes our own error, naming the model group, never the provider's address."""
    try:
        return await response.read()
    except HttpTimeout:
        raise UpstreamTimeout(f"The model provider for {deployment.group!r} did not answer in time.") from None
    except HttpClientError as exc:
        raise UpstreamError(f"The connection to the model provider for {deployment.group!r} broke: {exc}.") from None
    finally:
        response.close()
