"""A gateway in a company network: every upstream call (the fast path, litellm's and the native
Messages and Responses passthroughs) goes through the forward proxy in HTTPS_PROXY and trusts the CA bundle in
SSL_CERT_FILE, and NO_PROXY is kept."""

from __future__ import annotations

from pathlib import Path

import anthropic
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from tests.helpers.forward_proxy import ForwardProxy
from tests.helpers.gateway_process import GatewayProcess
from tests.helpers.mock_upstream import RunningMockUpstream
from tests.helpers.servers import PROVIDER_SECRET
from tests.helpers.tls import LoopbackCertificates


def _config(upstream: RunningMockUpstream, folder: Path) -> dict[str, object]:
    return {
        "database_url": f"sqlite:///{folder}/gateway.db",
        "admin_key": "admin-test-key",
        "model_list": [
            {
                "model_name": "fast",
                "litellm_params": {"model": "openai/echo", "api_base": upstream.url, "api_key": PROVIDER_SECRET},
            },
            {
                "model_name": "via-litellm",
                "litellm_params": {
                    "model": "azure/echo",
                    "api_base": upstream.url.removesuffix("/v1"),
                    "api_key": PROVIDER_SECRET,
                    "api_version": "2024-10-21",
                },
            },
            {  # Messages requests pass through natively (anthropic_messages), the others via litellm
                "model_name": "claude",
                "litellm_params": {
                    "model": "anthropic/claude-3-5-haiku-20241022",
                    "api_base": upstream.url.removesuffix("/v1"),
                    "api_key": PROVIDER_SECRET,
                },
            },
            {  # Responses requests pass through natively (openai_responses), the others on the fast path
                "model_name": "gpt-native",
                "litellm_params": {"model": "openai/echo", "api_base": upstream.url, "api_key": PROVIDER_SECRET},
                "native_api": "responses",
            },
        ],
    }


def _gateway(folder: Path, upstream: RunningMockUpstream, env: dict[str, str]) -> GatewayProcess:
    gateway = GatewayProcess(folder, _config(upstream, folder), extra_env={"NO_PROXY": "", **env})
    gateway.cli("db", "upgrade")
    return gateway.start()


def _ask_every_door(gateway: GatewayProcess, key: str, model: str) -> list[str]:
    """The answer through chat completions (plain, streamed), Responses and Messages."""
    client = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0, timeout=30)
    claude = anthropic.Anthropic(base_url=gateway.root_url, api_key=key, max_retries=0, timeout=30)
    message = claude.messages.create(model=model, max_tokens=50, messages=[{"role": "user", "content": "hello"}])
    return [
        _ask(gateway, key, model, stream=False),
        _ask(gateway, key, model, stream=True),
        client.responses.create(model=model, input="hello").output_text,
        message.content[0].text if message.content[0].type == "text" else "",
    ]


def _ask(gateway: GatewayProcess, key: str, model: str, stream: bool) -> str:
    client = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0, timeout=30)
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]
    if not stream:
        return client.chat.completions.create(model=model, messages=messages).choices[0].message.content or ""
    with client.chat.completions.create(model=model, messages=messages, stream=True) as chunks:
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


@pytest.mark.parametrize("model", ["fast", "via-litellm", "claude", "gpt-native"])
def test_upstream_calls_go_through_the_proxy_and_trust_the_bundle(
    tmp_path: Path, tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates, model: str
) -> None:
    with ForwardProxy() as proxy:
        gateway = _gateway(
            tmp_path, tls_upstream, {"HTTPS_PROXY": proxy.url, "SSL_CERT_FILE": str(certificates.ca_file)}
        )
        try:
            key = gateway.create_key("egress")
            assert _ask_every_door(gateway, key, model) == ["Mock answer: hello"] * 4
        finally:
            gateway.stop()
    assert proxy.tunnels and set(proxy.tunnels) == {f"127.0.0.1:{tls_upstream.port}"}


def test_without_the_bundle_the_upstream_certificate_is_refused(
    tmp_path: Path, tls_upstream: RunningMockUpstream
) -> None:
    gateway = _gateway(tmp_path, tls_upstream, {})
    try:
        key = gateway.create_key("egress")
        client = OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0, timeout=30)
        for model in ("fast", "via-litellm", "claude"):
            with pytest.raises(Exception) as failure:
                client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello"}])
            assert getattr(failure.value, "status_code", None) == 502, (model, failure.value)
    finally:
        gateway.stop()


def test_no_proxy_hosts_are_reached_directly(
    tmp_path: Path, tls_upstream: RunningMockUpstream, certificates: LoopbackCertificates
) -> None:
    with ForwardProxy() as proxy:
        gateway = _gateway(
            tmp_path,
            tls_upstream,
            {"HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1", "SSL_CERT_FILE": str(certificates.ca_file)},
        )
        try:
            key = gateway.create_key("egress")
            for model in ("fast", "via-litellm"):
                assert _ask(gateway, key, model, stream=False) == "Mock answer: hello"
        finally:
            gateway.stop()
    assert proxy.tunnels == []
