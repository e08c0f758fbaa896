"""One request's books: its usage record and its budget/rate-limit reservation, from the first
check to the ledger. Every request gets a record, allowed or refused, whatever way it ends.

`Accounting` is the service built once at start-up; it opens a `RequestBooks` per request and
keeps the settlements that run after a response alive until shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from gateway.core.errors import GatewayError
from gateway.core.ids import time_ordered_hex
from gateway.core.types import Principal, Verdict
from gateway.ledger.cost import Price, PriceBook
from gateway.ledger.prompt_uses import PromptUseCounter
from gateway.ledger.records import UsageEvent
from gateway.ledger.tokens import TokenUsage
from gateway.ledger.writer import LedgerWriter
from gateway.limits.backend import LimitsBackend
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.estimate import limit_request
from gateway.limits.rules import AppliedLimits, LimitRequest, Reservation
from gateway.metrics import GatewayMetrics
from gateway.proxy.governance import PromptUse
from gateway.upstream.base import Deployment
from gateway.upstream.router import CallReport

log = logging.getLogger(__name__)
END_USER_HEADER = "x-gateway-end-user"


class Accounting:
    def __init__(
        self,
        *,
        catalog: LimitsCatalog,
        limits: LimitsBackend,
        prices: PriceBook,
        default_max_output_tokens: int,
        usage_writer: LedgerWriter,
        prompt_uses: PromptUseCounter,
        metrics: GatewayMetrics,
        model_groups: Collection[str],
    ) -> None:
        self.catalog = catalog
        self.limits = limits
        self.default_max_output_tokens = default_max_output_tokens
        self.usage_writer = usage_writer
        self.prompt_uses = prompt_uses
        self.metrics = metrics
        self.model_groups = model_groups
        self._prices = prices
        self._price_cache: dict[str, Price] = {}
        self._settlements: set[asyncio.Task[object]] = set()

    def open(self, endpoint: str) -> RequestBooks:
        return RequestBooks(self, endpoint)

    def price_of(self, deployment: Deployment) -> Price:
        """A deployment's price, looked up once (a request asks twice)."""
        price = self._price_cache.get(deployment.id)
        if price is None:
            price = self._prices.price_for(deployment.params, deployment.model_info)
            self._price_cache[deployment.id] = price
        return price

    def settle_later(self, reservation: Reservation, cost_nanos: int, tokens: int) -> None:
        """Settle after the response; the task is kept until it ends (asyncio holds weak references)."""
        task = asyncio.get_running_loop().create_task(self.limits.settle(reservation, cost_nanos, tokens))
        self._settlements.add(task)
        task.add_done_callback(self._settlements.discard)

    async def drain(self, seconds: float) -> None:
        """Wait for the settlements of the last requests (at shutdown), at most `seconds`."""
        if self._settlements:
            await asyncio.wait(self._settlements, timeout=seconds)


class RequestBooks:
    def __init__(self, accounting: Accounting, endpoint: str) -> None:
        self._accounts = accounting
        self._started = time.perf_counter()
        self.request_id = "req_" + time_ordered_hex()
        self.event = UsageEvent(request_id=self.request_id, requested_model="", endpoint=endpoint)
        self.reservation: Reservation | None = None
        self.route = CallReport()  # filled by the router, whether the call succeeds or not
        self._prompt: PromptUse | None = None
        self.headers: dict[str, str] = {"x-request-id": self.request_id}
        self._closed = False
        self._stream_closes = False

    @contextmanager
    def kept(self) -> Iterator[RequestBooks]:
        """The request inside: how it ended goes in the record (a gateway error, or a crash as a
        500), and the books close after it, unless a stream took them over and closes them itself."""
        try:
            yield self
        except GatewayError as error:
            self.failed(error)
            raise
        except Exception:
            self.crashed()
            raise
        finally:
            if not self._stream_closes:
                self.close()

    def close_when_stream_ends(self) -> None:
        """A stream now owns the books: `close` comes when it ends, however it ends."""
        self._stream_closes = True

    def identify(self, principal: Principal) -> None:
        event = self.event
        event.team_id, event.team_name = principal.team_id, principal.team_name
        event.key_id, event.key_prefix = principal.key_id, principal.key_prefix
        event.use_case = principal.use_case

    def describe_request(self, body: dict[str, Any], end_user_header: str | None) -> None:
        self.event.requested_model = str(body.get("model") or "")[:128]
        user = body.get("user") if isinstance(body.get("user"), str) else end_user_header
        self.event.end_user = user[:128] if user else None

    def used_prompt(self, prompt: PromptUse) -> None:
        self._prompt = prompt
        self.event.prompt_name, self.event.prompt_version = prompt.name, str(prompt.version)

    @property
    def prompt_ref(self) -> str | None:
        return self._prompt.ref if self._prompt is not None else None

    def add_verdicts(self, verdicts: list[Verdict]) -> None:
        self.event.verdicts.extend(verdict.as_record() for verdict in verdicts)

    async def reserve(
        self, principal: Principal, body: dict[str, Any], deployment: Deployment, prompt_tokens: Any
    ) -> None:
        """Check rate limits and reserve budget at `deployment`'s price, in one Redis round trip;
        only if limits apply.

        `prompt_tokens` is called only when a limit needs the count (counting costs time).
        """
        accounts = self._accounts
        limits = await accounts.catalog.limits_for(principal.team_id, principal.key_id)
        if not limits:
            return
        request = limit_request(
            principal,
            body,
            prompt_tokens(),
            accounts.price_of(deployment),
            default_max_output_tokens=accounts.default_max_output_tokens,
        )
        reservation = await accounts.limits.reserve(request, limits)
        self.reservation = reservation
        self.headers.update(reservation.headers)

    async def reserve_unpriced(self, principal: Principal, tokens: int) -> None:
        """Check rate limits for a request the gateway answers itself: one request, `tokens` against
        TPM. It costs nothing, so no budget is reserved or can refuse it."""
        limits = await self._accounts.catalog.limits_for(principal.team_id, principal.key_id)
        if not limits.rates:
            return
        request = LimitRequest(principal.team_id, principal.key_id, principal.key_prefix, tokens)
        reservation = await self._accounts.limits.reserve(request, AppliedLimits(rates=limits.rates))
        self.reservation = reservation
        self.headers.update(reservation.headers)

    def used(self, usage: TokenUsage, deployment: Deployment | None) -> None:
        event = self.event
        event.prompt_tokens, event.completion_tokens = usage.prompt_tokens, usage.completion_tokens
        event.usage_counted = usage.counted
        if deployment is not None:
            event.cost_nanos = self._accounts.price_of(deployment).cost_nanos(
                usage.prompt_tokens, usage.completion_tokens
            )

    def first_token(self) -> None:
        if self.event.ttft_ms is None:
            self.event.ttft_ms = int((time.perf_counter() - self._started) * 1000)

    def failed(self, error: GatewayError) -> None:
        self.event.status_code = error.status_code
        self.event.error_code = error.code
        error.headers.update(self.headers)

    def _count(self, elapsed: float) -> None:
        metrics, event = self._accounts.metrics, self.event
        model = event.requested_model if event.requested_model in self._accounts.model_groups else "-"
        metrics.requests.labels(event.endpoint, model, str(event.status_code)).inc()
        metrics.latency.labels(event.endpoint).observe(elapsed)
        if event.retries:
            metrics.retries.labels(model).inc(event.retries)
        for fallback in event.fallbacks:
            metrics.fallbacks.labels(model, fallback).inc()

    def crashed(self) -> None:
        """An unexpected error: the client gets a 500, and so does the record."""
        self.event.status_code = 500
        self.event.error_code = "internal_error"

    def close(self) -> None:
        """Settle the reservation with the real cost (after the response) and queue the record."""
        if self._closed:
            return
        self._closed = True
        self.event.retries = self.route.retries
        self.event.fallbacks = list(self.route.fallbacks)
        if self.route.deployment is not None:
            self.event.deployment = self.route.deployment.id
        elapsed = time.perf_counter() - self._started
        self.event.latency_ms = int(elapsed * 1000)
        self._count(elapsed)
        accounts = self._accounts
        if self.reservation is not None:
            tokens = self.event.prompt_tokens + self.event.completion_tokens
            if not accounts.limits.settle_here(self.reservation, self.event.cost_nanos, tokens):
                accounts.settle_later(self.reservation, self.event.cost_nanos, tokens)
        accounts.usage_writer.submit(self.event)
        if self._prompt is not None and self.event.status_code == 200 and self.event.team_name is not None:
            accounts.prompt_uses.count(self._prompt.version_id, self.event.team_name)
