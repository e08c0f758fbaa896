"""Routes a call to a deployment of its model group: load balancing, retries, fallbacks, circuits.

Retries and fallbacks happen only before the first byte reaches the client. Each attempt goes to
the healthy deployment with the fewest calls in flight, preferring ones not yet tried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.core.errors import GatewayError, ModelNotFound, UpstreamError, UpstreamRejected
from gateway.core.settings import GatewaySettings, RouterSettings
from gateway.upstream.base import (
    ChunkBatches,
    Deployment,
    Json,
    NativeProvider,
    NativeRequest,
    Provider,
    is_retryable,
    retry_after_seconds,
)
from gateway.upstream.circuit import Circuit

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RETRY_AFTER_SECONDS = 5.0


@dataclass
class CallReport:
    """What routing did for one request, for the usage record."""

    deployment: Deployment | None = None
    attempts: int = 0
    fallbacks: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


ProviderFactory = Callable[[str], Provider]
NativeProviderFactory = Callable[[str], NativeProvider]


def _as_client_error(error: GatewayError) -> GatewayError:
    """A provider's 5xx becomes our 502: the client's request was fine, the provider failed."""
    if isinstance(error, UpstreamRejected) and error.status_code >= 500:
        return UpstreamError(f"The model provider failed with status {error.status_code}: {error.message}")
    return error


class Router:
    def __init__(
        self,
        settings: GatewaySettings,
        provider_for: ProviderFactory,
        on_failure: Callable[[Deployment], None] | None = None,
        native_for: NativeProviderFactory | None = None,
    ) -> None:
        self._settings: RouterSettings = settings.router_settings
        self._on_failure = on_failure  # e.g. a metric per failing deployment
        self.groups: dict[str, list[Deployment]] = {}
        # Extra request parameters a group accepts: only those every deployment of it allows, since
        # a retry or a load-balancing pick may send the request to any of them.
        self._extra_params: dict[str, frozenset[str]] = {}
        for group, entries in settings.model_groups().items():
            self.groups[group] = [
                Deployment(
                    id=f"{group}#{index}",
                    group=group,
                    params=entry.litellm_params,
                    provider=provider_for(entry.litellm_params.provider),
                    circuit=Circuit(self._settings.allowed_fails, self._settings.cooldown_time),
                    model_info=entry.model_info,
                    native_api=entry.native if native_for is not None else None,
                    native=native_for(entry.native) if native_for is not None and entry.native else None,
                )
                for index, entry in enumerate(entries)
            ]
            # A deployment that takes its API's requests natively also takes that API's own
            # parameters (Messages' top_k) without an allow-list entry.
            self._extra_params[group] = frozenset.intersection(
                *(
                    frozenset(entry.allowed_request_params)
                    | (deployment.native.own_params if deployment.native is not None else frozenset())
                    for entry, deployment in zip(entries, self.groups[group], strict=True)
                )
            )

    def require_group(self, group: str) -> list[Deployment]:
        deployments = self.groups.get(group)
        if deployments is None:
            raise ModelNotFound(f"The model '{group}' does not exist or you do not have access to it.", param="model")
        return deployments

    def extra_params(self, group: str) -> frozenset[str]:
        """The provider parameters beyond the API's own that a request to `group` may carry."""
        return self._extra_params.get(group, frozenset())

    def _pick(self, deployments: list[Deployment], tried: set[str]) -> Deployment | None:
        healthy = [d for d in deployments if d.circuit.is_closed()]
        fresh = [d for d in healthy if d.id not in tried] or healthy
        if not fresh:
            return None
        least = min(d.in_flight for d in fresh)
        candidates = [d for d in fresh if d.in_flight == least]
        if len(candidates) == 1:
            return candidates[0]
        return random.choices(candidates, weights=[d.params.weight for d in candidates])[0]

    async def call(self, group: str, operation: Callable[[Deployment], Awaitable[T]], report: CallReport) -> T:
        """Run `operation` on a deployment of `group`, retrying and falling back as configured.

        `report` is the caller's: it tells what routing did even when every attempt failed."""
        last_error: GatewayError | None = None
        for index, current in enumerate([group, *self._settings.fallbacks_for(group)]):
            if index:
                report.fallbacks.append(current)
            deployments = self.require_group(current)
            tried: set[str] = set()
            for attempt in range(self._settings.num_retries + 1):
                deployment = self._pick(deployments, tried)
                if deployment is None:
                    break  # every deployment of this group is cooling down: go to the fallback
                if attempt:
                    await asyncio.sleep(self._backoff(attempt, last_error))
                tried.add(deployment.id)
                report.attempts += 1
                report.deployment = deployment
                deployment.in_flight += 1
                try:
                    value = await operation(deployment)
                except GatewayError as exc:
                    last_error = exc
                    if self._on_failure is not None and isinstance(exc, (UpstreamError, UpstreamRejected)):
                        self._on_failure(deployment)
                    if not is_retryable(exc):
                        if isinstance(exc, UpstreamError):
                            deployment.circuit.record_failure()
                        raise
                    if deployment.circuit.record_failure():
                        log.warning(
                            "deployment %s is cooling down for %.0fs", deployment.id, self._settings.cooldown_time
                        )
                    log.info("attempt %d on %s failed: %s", report.attempts, deployment.id, exc.message)
                    continue
                finally:
                    deployment.in_flight -= 1
                deployment.circuit.record_success()
                return value
        if last_error is None:
            raise UpstreamError(f"No deployment of '{group}' is available right now; try again shortly.")
        raise _as_client_error(last_error)

    def _backoff(self, attempt: int, error: GatewayError | None) -> float:
        hinted = retry_after_seconds(error) if error is not None else None
        if hinted is not None:
            return min(hinted, MAX_RETRY_AFTER_SECONDS)
        base = self._settings.retry_backoff_seconds * (2 ** (attempt - 1))
        return base * (0.5 + random.random())

    async def chat(self, group: str, body: Json, report: CallReport, native: NativeRequest | None = None) -> Json:
        """The chat `body`, or the `native` request as it is to a deployment that speaks its API."""

        def attempt(deployment: Deployment) -> Awaitable[Json]:
            if native is not None and deployment.native is not None and deployment.native_api == native.api:
                return deployment.native.chat(deployment, native)
            return deployment.provider.chat(deployment, body)  # translated: the chat body

        return await self.call(group, attempt, report)

    async def embeddings(self, group: str, body: Json, report: CallReport) -> Json:
        return await self.call(group, lambda d: d.provider.embeddings(d, body), report)

    async def open_stream(
        self, group: str, body: Json, report: CallReport, native: NativeRequest | None = None
    ) -> ChunkBatches:
        def attempt(deployment: Deployment) -> Awaitable[ChunkBatches]:
            if native is not None and deployment.native is not None and deployment.native_api == native.api:
                return deployment.native.open_stream(deployment, native)
            return deployment.provider.open_stream(deployment, body)

        return await self.call(group, attempt, report)
