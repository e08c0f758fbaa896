"""The composition root: every part of a running gateway, built once in the app's lifespan,
started and closed in order. Routes never see this object: `install` hands each the one service
it uses (on `app.state`)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from filters.blocklist import VersionedBlocklist
from filters.blocklist_store import BlocklistReloader
from filters.pii_engine import PiiEngine
from filters.pipeline import FilterPipeline
from filters.registry import default_registry
from filters.resources import FilterResources
from filters.review_crypto import AnswerCipher
from filters.review_store import erase_decided_texts
from filters.runner import FilterRunner
from filters.screening import Screening
from filters.toxicity_backends import build_scorer
from gateway.auth import KeyAuthenticator, key_check_seconds
from gateway.config import AppConfig
from gateway.core.db import create_database_engine
from gateway.core.models import utcnow
from gateway.core.notices import BLOCKLIST_CHANGED, KEYS_CHANGED, LIMITS_CHANGED, ChangeNotices
from gateway.core.outages import DatabaseOutages
from gateway.core.redis import create_redis
from gateway.core.scrub import Scrubber
from gateway.core.settings import GatewaySettings
from gateway.ledger.audit import AuditSink
from gateway.ledger.cost import PriceBook
from gateway.ledger.prompt_uses import PromptUseCounter
from gateway.ledger.tables import AUDIT_TABLE, REVIEW_TABLE, USAGE_TABLE
from gateway.ledger.tokens import TokenCounter
from gateway.ledger.use_case_spend import MonthlySpend
from gateway.ledger.writer import LedgerWriter
from gateway.limits.alerts import BudgetAlerts
from gateway.limits.backend import LimitsBackend
from gateway.limits.catalog import LimitsCatalog
from gateway.limits.estimate import WorstAnswer
from gateway.limits.health import StoreHealth
from gateway.limits.ledger import rebuild_from_ledger
from gateway.limits.memory_backend import InProcessLimits
from gateway.limits.redis_backend import RedisLimits
from gateway.metrics import GatewayMetrics
from gateway.proxy.access import Access
from gateway.proxy.accounting import Accounting
from gateway.proxy.admission import Admission
from gateway.proxy.answer_review import ReviewQueue
from gateway.proxy.attribution import SPENDING_STAGES, Attribution
from gateway.proxy.chat import ChatCompletions
from gateway.proxy.embeddings import Embeddings
from gateway.proxy.governance import Governance
from gateway.proxy.messages_api import MessageTokens
from gateway.proxy.models import ModelList
from gateway.proxy.moderations import Moderations
from gateway.proxy.pii_detector import PresidioDetector
from gateway.proxy.responses_api import ResponsesDialect
from gateway.proxy.review_keys import answer_cipher
from gateway.proxy.stored_responses import STORED_RESPONSES_TABLE, ResponseStore, forget_expired_responses
from gateway.routes.health import Readiness
from gateway.upstream.registry import Providers
from gateway.upstream.router import Router
from policies.engine import PolicyEngine
from policies.services import PolicyServices
from use_cases.reloader import REGISTRY_CHANGED, RegistryReloader
from use_cases.snapshot import LiveRegistry

log = logging.getLogger(__name__)
POLICY_RELOAD_SECONDS = 2.0
RETENTION_SECONDS = 3600.0  # how often answers past their retention are erased


@dataclass
class GatewayRuntime:
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
    usage_writer: LedgerWriter
    audit_writer: LedgerWriter
    review_writer: LedgerWriter
    responses_writer: LedgerWriter
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
    accounting: Accounting
    use_cases: LiveRegistry
    use_case_reloader: RegistryReloader
    use_case_spend: MonthlySpend
    outages: DatabaseOutages
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def settings(self) -> GatewaySettings:
        return self.config.core

    @classmethod
    def build(cls, config: AppConfig, outages: DatabaseOutages | None = None) -> GatewayRuntime:
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
        responses_writer = LedgerWriter(
            engine, spill_dir, table=STORED_RESPONSES_TABLE, on_database_state=database_state("responses")
        )
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
        router = Router(
            settings,
            providers,
            on_failure=lambda d: metrics.upstream_failures.labels(d.id).inc(),
            native_for=providers.native,
        )
        prompt_uses = PromptUseCounter(engine, outages=outages)
        use_cases = LiveRegistry()
        refresh = config.use_cases.refresh_seconds
        accounting = Accounting(
            catalog=catalog,
            limits=limits,
            prices=PriceBook.from_litellm(),
            default_max_output_tokens=config.limits.default_max_output_tokens,
            usage_writer=usage_writer,
            prompt_uses=prompt_uses,
            metrics=metrics,
            model_groups=router.groups,
        )
        return cls(
            config=config,
            engine=engine,
            redis=redis,
            scrubber=scrubber,
            metrics=metrics,
            authenticator=KeyAuthenticator(
                engine, key_check_seconds(settings.key_cache_seconds, notices_shared=redis is not None), outages
            ),
            providers=providers,
            router=router,
            cipher=answer_cipher(settings),
            counter=TokenCounter(),
            usage_writer=usage_writer,
            audit_writer=audit_writer,
            review_writer=review_writer,
            responses_writer=responses_writer,
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
            prompt_uses=prompt_uses,
            accounting=accounting,
            use_cases=use_cases,
            use_case_reloader=RegistryReloader(engine, use_cases, refresh, outages),
            use_case_spend=MonthlySpend(
                engine, lambda: use_cases.current.in_stages(SPENDING_STAGES), refresh, outages=outages
            ),
            outages=outages,
        )

    def install(self, app: FastAPI) -> None:
        """Hand each route its service."""
        settings = self.settings
        access = Access(self.authenticator, self.router)
        screening = Screening(
            self.filters,
            ReviewQueue(self.review_writer, self.cipher, timedelta(hours=settings.review_sla_hours), self.audit),
            count_verdict=lambda v: self.metrics.filter_verdicts.labels(v.source, v.action.value).inc(),
        )
        app.state.access = access
        app.state.engine = self.engine
        app.state.review_cipher = self.cipher
        app.state.metrics = self.metrics
        admission = Admission(Attribution(self.use_cases, self.use_case_spend), self.governance)
        app.state.chat_completions = ChatCompletions(
            access=access,
            admission=admission,
            governance=self.governance,
            router=self.router,
            counter=self.counter,
            accounting=self.accounting,
            screening=screening,
            metrics=self.metrics,
            max_request_bytes=settings.max_request_bytes,
        )
        app.state.embeddings = Embeddings(
            access=access,
            admission=admission,
            router=self.router,
            counter=self.counter,
            accounting=self.accounting,
            max_request_bytes=settings.max_request_bytes,
        )
        store = ResponseStore(
            self.engine, self.responses_writer, self.cipher, timedelta(days=settings.answer_retention_days)
        )
        app.state.response_store = store
        app.state.responses_dialect = ResponsesDialect(store)
        app.state.message_tokens = MessageTokens(access, self.router, self.counter, settings.max_request_bytes)
        app.state.moderations = Moderations(
            access=access,
            admission=admission,
            pipeline=self.filters,
            counter=self.counter,
            accounting=self.accounting,
            max_request_bytes=settings.max_request_bytes,
        )
        app.state.model_list = ModelList(access, self.router)
        policies = self.governance.policies
        app.state.readiness = Readiness(
            self.engine,
            self.redis,
            describe_filters=self.filters.describe,
            describe_policies=lambda: {"version": policies.version, "problems": len(policies.problems)},
        )

    def worst_answers(self) -> dict[str, WorstAnswer]:
        """Per model group, the dearest answer a request without max_tokens may get (budget warnings)."""
        default = self.config.limits.default_max_output_tokens
        return {
            group: WorstAnswer.of(group, (self.accounting.price_of(d) for d in deployments), default)
            for group, deployments in self.router.groups.items()
        }

    async def start(self) -> None:
        if self.filters.uses_workers():
            await asyncio.to_thread(self.filter_runner.warm_up)
        log.info("output filters: %s", self.filters.describe())
        log.info("policies: version %s from %s", self.governance.policies.version, self.config.policies_dir)
        await self.usage_writer.start()
        await self.audit_writer.start()
        await self.review_writer.start()
        await self.responses_writer.start()
        self.prompt_uses.start()
        await self.blocklist_reloader.refresh()
        self.blocklist_reloader.start()
        await self.use_case_reloader.refresh()
        self.use_case_reloader.start()
        self.use_case_spend.start()
        self.notices.on(REGISTRY_CHANGED, lambda _subject: self.use_case_reloader.refresh())
        self._tasks.append(asyncio.create_task(self._reload_policies(), name="policy-reloader"))
        self._tasks.append(asyncio.create_task(self._enforce_retention(), name="answer-retention"))
        self.notices.on(LIMITS_CHANGED, lambda _subject: self.catalog.reload())
        self.notices.on(KEYS_CHANGED, self.authenticator.forget_announced)
        self.notices.on(BLOCKLIST_CHANGED, lambda _subject: self.blocklist_reloader.refresh())
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

    async def _enforce_retention(self) -> None:
        """Erase answers kept past `answer_retention_days`, at start and then every hour (every
        process does it; the statements are idempotent)."""
        retention = timedelta(days=self.settings.answer_retention_days)
        while True:
            try:
                now = utcnow()
                erased = await asyncio.to_thread(erase_decided_texts, self.engine, now - retention)
                forgotten = await asyncio.to_thread(forget_expired_responses, self.engine, now)
                if erased or forgotten:
                    log.info("retention: erased %d review items' texts, %d stored responses", erased, forgotten)
            except Exception as error:  # the next round catches up
                self.outages.report(error, "answer retention")
            await asyncio.sleep(RETENTION_SECONDS)

    async def close(self) -> None:
        await self.accounting.drain(seconds=5)  # settlements of the last requests
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.notices.close()
        await self.blocklist_reloader.stop()
        await self.use_case_reloader.stop()
        await self.use_case_spend.stop()
        await self.budget_alerts.close()
        await self.providers.close()
        # Records of requests that just finished are written (or spilled) before the process exits.
        await self.prompt_uses.close()
        await self.usage_writer.close()
        await self.audit_writer.close()
        await self.review_writer.close()
        await self.responses_writer.close()
        self.filter_runner.close()
        await self.limits.close()
        if self.redis is not None:
            await self.redis.aclose()
        self.engine.dispose()
