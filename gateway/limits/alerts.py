"""What happens when a budget's soft threshold is crossed: a log line, a metric, and an optional
webhook POST (fire-and-forget, short timeout; a slow receiver never delays a request)."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from gateway.limits.rules import BudgetCrossing
from gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 5.0


class BudgetAlerts:
    def __init__(self, metrics: GatewayMetrics) -> None:
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def __call__(self, crossing: BudgetCrossing) -> None:
        rule = crossing.rule
        log.warning(
            "budget soft threshold crossed: %s %s spent %s USD of %s in period %s",
            rule.scope,
            rule.scope_id,
            crossing.spent_usd,
            rule.period,
            crossing.period_label,
        )
        self._metrics.budget_soft_crossings.labels(rule.scope).inc()
        if rule.webhook_url:
            task = asyncio.get_running_loop().create_task(self._post(rule.webhook_url, crossing))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, crossing: BudgetCrossing) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS))
        rule = crossing.rule
        payload = {
            "event": "budget.soft_threshold_crossed",
            "scope": rule.scope,
            "scope_id": rule.scope_id,
            "period": rule.period,
            "period_label": crossing.period_label,
            "budget_usd": str(rule.amount_nanos / 1e9),
            "spent_usd": str(crossing.spent_usd),
            "soft_threshold": rule.soft_threshold,
            "at": crossing.at.isoformat(),
        }
        try:
            async with self._session.post(url, json=payload) as response:
                if response.status >= 400:
                    log.warning("budget webhook answered %d", response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("budget webhook failed: %s", type(exc).__name__)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=WEBHOOK_TIMEOUT_SECONDS)
        if self._session is not None:
            await self._session.close()
