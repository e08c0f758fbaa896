"""Chooses the backend for a deployment by its litellm provider prefix; one shared instance each."""

from __future__ import annotations

from gateway.core.scrub import Scrubber
from gateway.core.settings import UpstreamPoolSettings
from gateway.upstream.anthropic_messages import AnthropicMessagesProvider
from gateway.upstream.base import NativeProvider, Provider
from gateway.upstream.litellm_provider import LitellmProvider
from gateway.upstream.mock_provider import MockProvider
from gateway.upstream.openai_compatible import FAST_PATH_PROVIDERS, OpenAICompatibleProvider
from gateway.upstream.openai_responses import OpenAIResponsesProvider

MOCK_PROVIDER = "gateway-mock"


class Providers:
    def __init__(self, pool: UpstreamPoolSettings, scrubber: Scrubber) -> None:
        self._scrubber = scrubber
        self._fast = OpenAICompatibleProvider(pool, scrubber)
        self._mock = MockProvider()
        self._litellm: LitellmProvider | None = None
        self._native: dict[str, NativeProvider] = {
            "messages": AnthropicMessagesProvider(pool),
            "responses": OpenAIResponsesProvider(pool),
        }

    def __call__(self, provider: str) -> Provider:
        if provider == MOCK_PROVIDER:
            return self._mock
        if provider in FAST_PATH_PROVIDERS:
            return self._fast
        if self._litellm is None:
            self._litellm = LitellmProvider(self._scrubber)
        return self._litellm

    def native(self, api: str) -> NativeProvider:
        """The backend for deployments whose upstream speaks `api` natively (a `native_api` value)."""
        return self._native[api]

    async def close(self) -> None:
        await self._fast.close()
        for provider in self._native.values():
            await provider.close()
