"""Everything a running gateway holds: created once in the app's lifespan and passed down."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from filters.review_crypto import AnswerCipher
from gateway.auth import KeyAuthenticator
from gateway.core.db import create_database_engine
from gateway.core.redis import create_redis
from gateway.core.scrub import Scrubber
from gateway.core.settings import GatewaySettings
from gateway.metrics import GatewayMetrics
from gateway.review_keys import answer_cipher
from gateway.upstream.registry import Providers
from gateway.upstream.router import Router

log = logging.getLogger(__name__)


@dataclass
class GatewayState:
    settings: GatewaySettings
    engine: Engine
    redis: Redis | None
    scrubber: Scrubber
    metrics: GatewayMetrics
    authenticator: KeyAuthenticator
    providers: Providers
    router: Router
    cipher: AnswerCipher

    @classmethod
    def build(cls, settings: GatewaySettings) -> GatewayState:
        scrubber = Scrubber(settings.secret_values())
        engine = create_database_engine(settings.database_url)
        providers = Providers(settings.upstream, scrubber)
        return cls(
            settings=settings,
            engine=engine,
            redis=create_redis(settings.redis_url) if settings.redis_url else None,
            scrubber=scrubber,
            metrics=GatewayMetrics(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None),
            authenticator=KeyAuthenticator(engine, settings.key_cache_seconds),
            providers=providers,
            router=Router(settings, providers),
            cipher=answer_cipher(settings),
        )

    async def close(self) -> None:
        await self.providers.close()
        if self.redis is not None:
            await self.redis.aclose()
        self.engine.dispose()
