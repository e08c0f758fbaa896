"""Everything a running gateway holds: built once in the app's lifespan and passed down."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from filters.blocklist import VersionedBlocklist
from filters.blocklist_store import BlocklistReloader
from filters.pii_engine import PiiEngine
from filters.pipeline import FilterPipeline
from filters.registry import default_registry
from filters.resources import FilterResources
from filters.review_crypto import AnswerCipher
from filters.runner import FilterRunner
from filters.toxicity_backends import build_scorer
from gateway.auth import KeyAuthenticator
from gateway.config import AppConfig
from gateway.core.db import create_database_engine
from gateway.core.notices import LIMITS_CHANGED, ChangeNotices
from gateway.core.outages import DatabaseOutages
from gateway.core.redis import create_redis
from gateway.core.scrub import Scrubber
from gateway.core.settings import GatewaySettings
from gateway.ledger.audit import AuditSink
from gateway.ledger.cost import Price, PriceBook
from gateway.ledger.prompt_uses import PromptUseCounter
from gateway.ledger.tables import AUDIT_TABLE, REVIEW_TABLE, USAGE_TABLE
from gateway.ledger.tokens import TokenCounter
from gateway.ledger.writer import LedgerWriter
from gateway.limits.alerts import BudgetAlerts
from gateway.limits.backend import LimitsBackend
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.health import StoreHealth
from gateway.limits.ledger import rebuild_from_ledger
from gateway.limits.memory_backend import InProcessLimits
from gateway.limits.redis_backend import RedisLimits
from gateway.metrics import GatewayMetrics
from gateway.proxy.governance import Governance
from gateway.proxy.pii_detector import PresidioDetector
from gateway.proxy.review_keys import answer_cipher
from gateway.upstream.base import Deployment
from gateway.upstream.registry import Providers
from gateway.upstream.router import Router
from policies.engine import PolicyEngine
from policies.services import PolicyServices

log = logging.getLogger(__name__)
POLICY_RELOAD_SECONDS = 2.0


@dataclass
class GatewayState:
    config: AppConfig
    engine: Engine
    redis: Redis | None
    scrubber: Scrubber
    metrics: GatewayMetrics
    authenticator: KeyAuthenticator
    providers: Providers
    router: Router
    cipher: AnswerCipher
    counter: TokenCounter
    prices: PriceBook
    usage_writer: LedgerWriter
    audit_writer: LedgerWriter
    review_writer: LedgerWriter
    audit: AuditSink
    catalog: LimitsCatalog
    limits: LimitsBackend
    notices: ChangeNotices
    budget_alerts: BudgetAlerts
    pii_engine: PiiEngine
    governance: Governance
    blocklist: VersionedBlocklist
    blocklist_reloader: BlocklistReloader
    filter_runner: FilterRunner
    filters: FilterPipeline
    prompt_uses: PromptUseCounter
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _background: set[asyncio.Task[object]] = field(default_factory=set)
    _prices: dict[str, Price] = field(default_factory=dict)

    @property
    def settings(self) -> GatewaySettings:
        return self.config.core

    @classmethod
    def build(cls, config: AppConfig, outages: DatabaseOutages | None = None) -> GatewayState:
        outages = outages or DatabaseOutages()
        settings = config.core
        scrubber = Scrubber(settings.secret_values())
        engine = create_database_engine(settings.database_url)
        redis = (
            create_redis(settings.redis_url, timeout_seconds=settings.redis_timeout_seconds)
            if settings.redis_url
            else None
        )
        metrics = GatewayMetrics(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None)
        providers = Providers(settings.upstream, scrubber)
        spill_dir = Path(settings.state_dir) / "spill"

        def database_state(table: str) -> Callable[[bool], None]:
            def report(up: bool) -> None:
                if not up:
                    metrics.ledger_database_down.labels(table).inc()

            return report

        usage_writer = LedgerWriter(engine, spill_dir, table=USAGE_TABLE, on_database_state=database_state("usage"))
        audit_writer = LedgerWriter(engine, spill_dir, table=AUDIT_TABLE, on_database_state=database_state("audit"))
        review_writer = LedgerWriter(engine, spill_dir, table=REVIEW_TABLE, on_database_state=database_state("review"))
        audit = AuditSink(audit_writer)
        catalog = LimitsCatalog(engine, config.limits.catalog_refresh_seconds, outages=outages)
        alerts = BudgetAlerts(metrics)
        limits: LimitsBackend
        if redis is not None:
            health = StoreHealth(
                config.limits.store_retry_seconds,
                on_degraded=lambda mechanism, outcome: metrics.limits_degraded.labels(mechanism, outcome).inc(),
            )
            limits = RedisLimits(
                redis,
                catalog,
                prefix=settings.redis_key_prefix,
                settings=config.limits,
                ledger=engine,
                health=health,
                on_soft_threshold=alerts,
            )
        else:
            limits = InProcessLimits(catalog, ledger=engine, on_soft_threshold=alerts)
        pii_engine = PiiEngine(config.filters.pii_engine)
        policy_engine = PolicyEngine(config.policies_dir, PolicyServices(pii_detector=PresidioDetector(pii_engine)))
        blocklist = VersionedBlocklist()
        runner = FilterRunner(config.filters.runner, config.filters)
        resources = FilterResources(pii_engine, build_scorer(config.filters.toxicity_scorer), blocklist)
        return cls(
            config=config,
            engine=engine,
            redis=redis,
            scrubber=scrubber,
            metrics=metrics,
            authenticator=KeyAuthenticator(engine, settings.key_cache_seconds, outages),
            providers=providers,
            router=Router(settings, providers, on_failure=lambda d: metrics.upstream_failures.labels(d.id).inc()),
            cipher=answer_cipher(settings),
            counter=TokenCounter(),
            prices=PriceBook.from_litellm(),
            usage_writer=usage_writer,
            audit_writer=audit_writer,
            review_writer=review_writer,
            audit=audit,
            catalog=catalog,
            limits=limits,
            notices=ChangeNotices(redis, settings.redis_key_prefix),
            budget_alerts=alerts,
            pii_engine=pii_engine,
            governance=Governance(engine, policy_engine, metrics, audit),
            blocklist=blocklist,
            blocklist_reloader=BlocklistReloader(engine, blocklist, outages=outages),
            filter_runner=runner,
            filters=FilterPipeline(config.filters, default_registry(), resources, runner),
            prompt_uses=PromptUseCounter(engine, outages=outages),
        )

    def price_of(self, deployment: Deployment) -> Price:
        """A deployment's price, looked up once (the request path asks twice per request)."""
        price = self._prices.get(deployment.id)
        if price is None:
            price = self._prices[deployment.id] = self.prices.price_for(deployment.params, deployment.model_info)
        return price

    def track(self, task: asyncio.Task[object]) -> None:
        """Keep a background task alive until it ends (asyncio holds only weak references)."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def start(self) -> None:
        if self.filters.uses_workers():
            await asyncio.to_thread(self.filter_runner.warm_up)
        log.info("output filters: %s", self.filters.describe())
        log.info("policies: version %s from %s", self.governance.policies.version, self.config.policies_dir)
        await self.usage_writer.start()
        await self.audit_writer.start()
        await self.review_writer.start()
        self.prompt_uses.start()
        await self.blocklist_reloader.refresh()
        self.blocklist_reloader.start()
        self._tasks.append(asyncio.create_task(self._reload_policies(), name="policy-reloader"))
        self.notices.on(LIMITS_CHANGED, self.catalog.reload)
        try:
            await self.notices.start()
        except Exception:  # Redis down at start: other processes' changes arrive at the next refresh
            log.warning("could not subscribe to change notices at start", exc_info=True)
        if self.redis is not None:
            try:
                await rebuild_from_ledger(self.engine, self.redis, self.catalog, prefix=self.settings.redis_key_prefix)
            except Exception:  # Redis down at start: the budgets' fail mode applies until it is back
                log.warning("could not rebuild budget counters in Redis at start", exc_info=True)

    async def _reload_policies(self) -> None:
        while True:
            await asyncio.sleep(POLICY_RELOAD_SECONDS)
            try:
                await asyncio.to_thread(self.governance.policies.refresh)
            except Exception:
                log.exception("policy reload failed")

    async def close(self) -> None:
        if self._background:  # settlements of the last requests
            await asyncio.wait(self._background, timeout=5)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.notices.close()
        await self.blocklist_reloader.stop()
        await self.budget_alerts.close()
        await self.providers.close()
        # Records of requests that just finished are written (or spilled) before the process exits.
        await self.prompt_uses.close()
        await self.usage_writer.close()
        await self.audit_writer.close()
        await self.review_writer.close()
        self.filter_runner.close()
        await self.limits.close()
        if self.redis is not None:
            await self.redis.aclose()
        self.engine.dispose()
