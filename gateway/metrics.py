"""Prometheus metrics, held on the app's state (one registry per app, no module-level globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class GatewayMetrics:
    """The gateway's metrics; with `multiprocess_dir` (set by `serve --workers N`), /metrics sums
    every worker's values instead of showing the one worker that happened to answer."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self._multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_requests",
            "Requests by route, model group and status.",
            ["route", "model", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_request_seconds",
            "Request latency in seconds.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_failures = Counter(
            "gateway_upstream_failures",
            "Failed upstream attempts by deployment.",
            ["deployment"],
            registry=self.registry,
        )
        self.retries = Counter("gateway_retries", "Upstream retries.", ["model"], registry=self.registry)
        self.fallbacks = Counter(
            "gateway_fallbacks", "Fallbacks to another model group.", ["model", "fallback"], registry=self.registry
        )
        self.streams_open = Gauge(
            "gateway_streams_open", "Streams being forwarded now.", registry=self.registry, multiprocess_mode="livesum"
        )
        self.client_disconnects = Counter(
            "gateway_client_disconnects", "Streams the client left before their end.", registry=self.registry
        )

        self.policy_verdicts = Counter(
            "gateway_policy_verdicts",
            "Policy rules that fired, by rule, mode and action.",
            ["rule", "mode", "action"],
            registry=self.registry,
        )
        self.filter_verdicts = Counter(
            "gateway_filter_verdicts",
            "Output filter decisions, by filter and action.",
            ["filter", "action"],
            registry=self.registry,
        )
        self.budget_soft_crossings = Counter(
            "gateway_budget_soft_threshold_crossings",
            "Budgets that crossed their soft threshold.",
            ["scope"],
            registry=self.registry,
        )
        self.limits_degraded = Counter(
            "gateway_limits_degraded",
            "Limit checks decided by a fail mode because Redis was unreachable.",
            ["mechanism", "outcome"],
            registry=self.registry,
        )
        self.ledger_database_down = Counter(
            "gateway_ledger_database_outages",
            "Times a ledger writer found the database unreachable.",
            ["table"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        if self._multiprocess_dir is None:
            return generate_latest(self.registry)
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=self._multiprocess_dir)
        return generate_latest(combined)
