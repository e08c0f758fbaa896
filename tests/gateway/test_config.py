"""Configuration: LiteLLM's model_list format, secrets from the environment, errors with key paths."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.core.settings import ConfigError, load_settings, settings_from_mapping
from gateway.upstream.router import Router


def test_litellm_model_list_loads_unchanged_with_env_secrets() -> None:
    settings = settings_from_mapping(
        {
            "model_list": [
                {
                    "model_name": "gpt-4o",
                    "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_KEY", "rpm": 10},
                },
                {
                    "model_name": "gpt-4o",
                    "litellm_params": {"model": "azure/gpt-4o", "api_base": "https://x", "api_version": "2024-06-01"},
                },
            ],
            "litellm_settings": {"drop_params": True},
        },
        environ={"OPENAI_KEY": "sk-real"},
    )
    group = settings.model_groups()["gpt-4o"]
    assert len(group) == 2
    assert (
        group[0].litellm_params.api_key is not None and group[0].litellm_params.api_key.get_secret_value() == "sk-real"
    )
    assert group[0].litellm_params.extra_params() == {"rpm": 10}


def test_missing_environment_variable_names_the_key_path() -> None:
    with pytest.raises(
        ConfigError, match=r"model_list\.0\.litellm_params\.api_key: environment variable NOPE is not set"
    ):
        settings_from_mapping(
            {
                "model_list": [
                    {"model_name": "m", "litellm_params": {"model": "openai/m", "api_key": "os.environ/NOPE"}}
                ]
            },
            environ={},
        )


def test_wrong_type_names_the_key_path() -> None:
    with pytest.raises(ConfigError, match=r"model_list\.0\.litellm_params\.timeout"):
        settings_from_mapping(
            {"model_list": [{"model_name": "m", "litellm_params": {"model": "m", "timeout": "soon"}}]}, environ={}
        )


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"api_base": "localhost:8000/v1"}, r"api_base: .*http:// or https://"),
        ({"api_base": "https://user:pw@host/v1"}, r"api_base: .*user name"),
        ({"api_key": "sk-real\n"}, r"api_key: .*line break"),
    ],
)
def test_an_api_base_or_key_that_cannot_be_sent_is_refused(params: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError, match=r"model_list\.0\.litellm_params\." + reason):
        settings_from_mapping(
            {"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/m", **params}}]}, environ={}
        )


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="databse_url"):
        settings_from_mapping({"databse_url": "sqlite://"}, environ={})


def test_fallback_to_unknown_group_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"router_settings\.fallbacks\.0\.a"):
        settings_from_mapping(
            {
                "model_list": [{"model_name": "a", "litellm_params": {"model": "m"}}],
                "router_settings": {"fallbacks": [{"a": ["b"]}]},
            },
            environ={},
        )


def test_environment_overrides_secrets_in_the_file() -> None:
    settings = settings_from_mapping({"admin_key": "from-file"}, environ={"GATEWAY_ADMIN_KEY": "from-env"})
    assert settings.admin_key is not None and settings.admin_key.get_secret_value() == "from-env"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model_list:\n  - model_name: [\n")
    with pytest.raises(ConfigError, match="line"):
        load_settings(path)


def test_serve_with_a_bad_config_exits_with_the_reason_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model_list:\n  - model_name: m\n    litellm_params: {}\n")
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "model_list.0.litellm_params.model: Field required" in result.stderr
    assert "Traceback" not in result.stderr


def test_allowed_request_params_refuse_names_that_steer_the_call() -> None:
    entry = {"model_name": "m", "litellm_params": {"model": "openai/m"}, "allowed_request_params": ["fallbacks"]}
    with pytest.raises(ConfigError, match=r"model_list\.0\.allowed_request_params.*fallbacks"):
        settings_from_mapping({"model_list": [entry]}, environ={})


def test_a_group_accepts_only_the_extras_every_deployment_allows() -> None:
    settings = settings_from_mapping(
        {
            "model_list": [
                {"model_name": "m", "litellm_params": {"model": "openai/a"}, "allowed_request_params": ["top_k", "x"]},
                {"model_name": "m", "litellm_params": {"model": "openai/b"}, "allowed_request_params": ["top_k"]},
            ]
        },
        environ={},
    )
    router = Router(settings, lambda provider: None)  # type: ignore[arg-type,return-value]
    assert router.extra_params("m") == frozenset({"top_k"})
    assert router.extra_params("unknown") == frozenset()


@pytest.mark.parametrize(
    ("entry", "native"),
    [
        ({"litellm_params": {"model": "anthropic/claude-x"}}, "messages"),
        ({"litellm_params": {"model": "openai/gpt-x"}}, "responses"),
        ({"litellm_params": {"model": "openai/gpt-x", "api_base": "https://api.openai.com/v1"}}, "responses"),
        ({"litellm_params": {"model": "openai/gpt-x", "api_base": "http://vllm.internal:8000/v1"}}, None),
        ({"litellm_params": {"model": "azure/gpt-x", "api_base": "https://r.openai.azure.com"}}, None),
        ({"litellm_params": {"model": "anthropic/claude-x"}, "native_api": "off"}, None),
        ({"litellm_params": {"model": "openai/gpt-x"}, "native_api": "off"}, None),
        (
            {"litellm_params": {"model": "openai/claude-x", "api_base": "https://h"}, "native_api": "messages"},
            "messages",
        ),
        (
            {"litellm_params": {"model": "openai/gpt-x", "api_base": "https://h/v1"}, "native_api": "responses"},
            "responses",
        ),
    ],
    ids=[
        "anthropic-inferred",
        "openai-inferred",
        "openai-base-inferred",
        "compatible-translated",
        "azure-translated",
        "anthropic-off",
        "openai-off",
        "declared-messages",
        "declared-responses",
    ],
)
def test_which_deployments_pass_their_api_through_natively(entry: dict[str, Any], native: str | None) -> None:
    settings = settings_from_mapping({"model_list": [{"model_name": "m", **entry}]}, environ={})
    assert settings.model_list[0].native == native


def test_a_bare_yaml_off_turns_native_passthrough_off(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("model_list:\n  - model_name: m\n    litellm_params: {model: anthropic/c}\n    native_api: off\n")
    assert load_settings(path, environ={}).model_list[0].native is None
