"""The real servers the tests talk to, and the gateway configuration most of them run with."""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PROVIDER_SECRET = "sk-provider-secret-0123456789abcdef"


def create_database() -> tuple[str, str]:
    name = "gw_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gateway_config(upstream_url: str, database_url: str, **extra: Any) -> dict[str, Any]:
    """A configuration with one model group per upstream behaviour of the mock."""

    def openai(name: str, upstream: str, **params: Any) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"openai/{upstream}",
                "api_base": upstream_url,
                "api_key": PROVIDER_SECRET,
                **params,
            },
        }

    def azure(name: str, upstream: str) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"azure/{upstream}",
                "api_base": upstream_url.removesuffix("/v1"),
                "api_key": PROVIDER_SECRET,
                "api_version": "2024-10-21",
            },
        }

    def anthropic(name: str, upstream: str, **entry: Any) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"anthropic/{upstream}",
                "api_base": upstream_url.removesuffix("/v1"),
                "api_key": PROVIDER_SECRET,
                "input_cost_per_token": 8e-7,
                "output_cost_per_token": 4e-6,
            },
            **entry,
        }

    def responses(name: str, upstream: str) -> dict[str, Any]:
        return {
            "model_name": name,
            "litellm_params": {
                "model": f"openai/{upstream}",
                "api_base": upstream_url,
                "api_key": PROVIDER_SECRET,
                "input_cost_per_token": 5e-7,
                "output_cost_per_token": 2e-6,
            },
            "native_api": "responses",
        }

    config: dict[str, Any] = {
        "database_url": database_url,
        "admin_key": "admin-test-key",
        "key_cache_seconds": 1,
        "model_list": [
            openai("gpt-test", "echo"),
            openai("embed-test", "embed"),
            openai("broken", "fail-500"),
            openai("flaky", "flaky-2"),
            openai("slow", "slow", timeout=1),
            openai("reset", "reset"),
            openai("malformed", "malformed"),
            openai("leaky", "leaky-400"),
            openai("primary-down", "fail-500"),
            openai("rate-limited", "rate-limited"),
            openai("slow-stream", "slow-stream"),
            openai("error-stream", "error-stream"),
            openai("paced", "paced-echo"),
            openai("redirect", "redirect"),
            openai("reasoning", "reasoning-echo"),
            azure("azure-test", "echo"),
            azure("azure-error-stream", "error-stream"),
            azure("azure-redirect", "redirect"),
            anthropic("claude-test", "claude-3-5-haiku-20241022"),  # Messages pass through natively
            anthropic("claude-translated", "claude-3-5-haiku-20241022", native_api="off"),  # through litellm
            anthropic("claude-leaky", "leaky-400"),
            anthropic("claude-broken", "fail-500"),
            anthropic("claude-error-stream", "error-stream"),
            responses("gpt-native", "gpt-4o-mini"),  # Responses pass through natively
            responses("gpt-native-leaky", "leaky-400"),
            responses("gpt-native-broken", "fail-500"),
            responses("gpt-native-error-stream", "error-stream"),
            responses("gpt-native-refusing", "refusing"),
            {"model_name": "mock-gpt", "litellm_params": {"model": "gateway-mock/mock-gpt"}},
        ],
        # One team that switched every output filter off, to check that nothing scans its answers.
        "filters": {
            "teams": {
                "unfiltered": {
                    "pii": {"enabled": False},
                    "toxicity": {"enabled": False},
                    "blocklist": {"enabled": False},
                }
            }
        },
        "router_settings": {
            "num_retries": 2,
            "retry_backoff_seconds": 0.01,
            "allowed_fails": 1000,
            "fallbacks": [{"primary-down": ["gpt-test"]}],
        },
    }
    config.update(extra)
    return config
