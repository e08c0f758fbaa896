"""The gateway's configuration: one YAML file, validated once at start-up into typed settings.

Models use LiteLLM's own `model_list` format so a LiteLLM config works unchanged. Any string value
`os.environ/NAME` is read from the environment; `GATEWAY_DATABASE_URL`, `GATEWAY_REDIS_URL`,
`GATEWAY_ADMIN_KEY` and `GATEWAY_FINANCE_KEY` override the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "os.environ/"
ENV_OVERRIDES = {
    "database_url": "GATEWAY_DATABASE_URL",
    "redis_url": "GATEWAY_REDIS_URL",
    "admin_key": "GATEWAY_ADMIN_KEY",
    "finance_key": "GATEWAY_FINANCE_KEY",
}
LIST_ENV_OVERRIDES = {"review_keys": "GATEWAY_REVIEW_KEYS"}  # comma-separated
OPENAI_HOST = "api.openai.com"  # where openai/ deployments without an api_base go
# Names an admin may not allow as extra request parameters of a model: they choose where, or with
# which credentials, a call goes, or steer litellm itself (fallbacks, mock answers, retries).
UNALLOWABLE_REQUEST_PARAMS = frozenset(
    {
        "api_base",
        "base_url",
        "api_key",
        "api_version",
        "api_type",
        "custom_llm_provider",
        "extra_headers",
        "extra_body",
        "extra_query",
        "headers",
        "organization",
        "azure_ad_token",
        "azure_ad_token_provider",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_region_name",
        "vertex_credentials",
        "vertex_project",
        "vertex_location",
        "litellm_params",
        "model_list",
        "proxy_server_request",
        "fallbacks",
        "context_window_fallback_dict",
        "mock_response",
        "mock_tool_calls",
        "mock_timeout",
        "num_retries",
        "max_retries",
        "timeout",
        "user_config",
        "deployment_id",
        "litellm_logging_obj",
        "litellm_call_id",
        "client",
        "acompletion",
        "model",
        "messages",
        "input",
        "stream",
        "stream_options",
    }
)


class ConfigError(Exception):
    """The configuration is invalid; the message names the key path and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def split_http_url(url: str) -> SplitResult:
    """The parts of an http(s) URL with a host and no credentials; ValueError says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None:
        raise ValueError("must not carry a user name or password; use api_key")
    return parts


class LitellmParams(BaseModel):
    """A deployment's call parameters, as LiteLLM names them; unknown ones go to litellm."""

    model_config = ConfigDict(extra="allow")

    model: str
    api_base: str | None = None
    api_key: SecretStr | None = None
    api_version: str | None = None
    timeout: float = Field(default=600.0, gt=0, description="read timeout in seconds")
    stream_timeout: float | None = Field(default=None, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    weight: float = Field(default=1.0, gt=0)

    @field_validator("api_base")
    @classmethod
    def _plain_http_url(cls, value: str | None) -> str | None:
        if value is not None:
            split_http_url(value)
        return value

    @field_validator("api_key")
    @classmethod
    def _one_line(cls, value: SecretStr | None) -> SecretStr | None:
        # A key read from a file often ends in a newline; sent as a header it would split the request.
        if value is not None and any(ch in value.get_secret_value() for ch in "\r\n"):
            raise ValueError("holds a line break")
        return value

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def upstream_model(self) -> str:
        return self.model.split("/", 1)[1] if "/" in self.model else self.model

    def extra_params(self) -> dict[str, Any]:
        """Parameters the gateway does not itself understand, passed on to litellm."""
        return dict(self.model_extra or {})


class ModelDeployment(BaseModel):
    model_config = ConfigDict(extra="allow")

    model_name: str = Field(min_length=1)
    litellm_params: LitellmParams
    model_info: dict[str, Any] = Field(default_factory=dict)
    allowed_request_params: list[str] = Field(
        default_factory=list, description="provider parameters beyond OpenAI's that clients may send to this model"
    )
    native_api: Literal["auto", "messages", "responses", "off"] = Field(
        default="auto",
        description="the API this deployment's upstream speaks besides chat, that requests in the same API are "
        "sent in unchanged: auto is `messages` for litellm's anthropic/ provider, `responses` for openai/ at "
        "OpenAI's own api.openai.com, and off for the others",
    )

    @field_validator("native_api", mode="before")
    @classmethod
    def _off_as_yaml_reads_it(cls, value: Any) -> Any:
        return "off" if value is False else value  # YAML reads a bare `off` as false

    @property
    def native(self) -> str | None:
        """The API requests in which pass through to this deployment natively (None: translated)."""
        if self.native_api == "auto":
            return _native_by_default(self.litellm_params)
        return None if self.native_api == "off" else self.native_api

    @field_validator("allowed_request_params")
    @classmethod
    def _allowable(cls, names: list[str]) -> list[str]:
        refused = sorted(set(names) & UNALLOWABLE_REQUEST_PARAMS)
        if refused:
            raise ValueError(f"{', '.join(refused)} choose where or how a call goes and cannot be allowed")
        return names


def _native_by_default(params: LitellmParams) -> str | None:
    """Only where the provider is known to speak the API: an OpenAI-compatible server elsewhere
    (vLLM, a company proxy) may not serve /v1/responses, so it is asked in chat unless configured."""
    if params.provider == "anthropic":
        return "messages"
    if params.provider == "openai" and (params.api_base is None or urlsplit(params.api_base).hostname == OPENAI_HOST):
        return "responses"
    return None


class RouterSettings(BaseModel):
    """Retries, fallbacks and the circuit; the names follow LiteLLM's `router_settings`."""

    model_config = ConfigDict(extra="ignore")

    num_retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=0.1, ge=0)
    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    allowed_fails: int = Field(default=3, ge=1)
    cooldown_time: float = Field(default=30.0, ge=0)

    def fallbacks_for(self, group: str) -> list[str]:
        for entry in self.fallbacks:
            if group in entry:
                return list(entry[group])
        return []


class UpstreamPoolSettings(_Strict):
    max_connections: int = Field(default=1000, ge=1)
    max_connections_per_host: int = Field(default=0, ge=0, description="0 means no limit")
    keepalive_seconds: float = Field(default=30.0, gt=0)


class GatewaySettings(_Strict):
    model_list: list[ModelDeployment] = Field(default_factory=list)
    database_url: str = "sqlite:///gateway.db"
    redis_url: str | None = None
    redis_key_prefix: str = "gw:"
    # Short enough that an unreachable Redis never holds a request long; long enough that a busy
    # event loop (the timeout counts its queueing too) does not read as an outage: 0.25 s did,
    # under load at concurrency 64, and budgets then failed closed for a second.
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    admin_key: SecretStr | None = None
    finance_key: SecretStr | None = None
    max_request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    key_cache_seconds: float = Field(
        default=5.0, ge=0, description="how long a verified key is trusted before a re-check"
    )
    state_dir: str = Field(default="var", description="local files: spilled usage records, a generated review key")
    review_keys: list[SecretStr] = Field(
        default_factory=list, description="Fernet keys for reviewed answers at rest; the first encrypts"
    )
    review_sla_hours: float = Field(default=24.0, gt=0)
    answer_retention_days: float = Field(
        default=30.0,
        gt=0,
        # The name it had when it covered stored responses alone still loads.
        validation_alias=AliasChoices("answer_retention_days", "stored_response_days"),
        description="how long answers are kept at rest: a stored Responses answer, a decided review item's texts",
    )
    upstream: UpstreamPoolSettings = Field(default_factory=UpstreamPoolSettings)
    policies_dir: str | None = Field(default=None, description="policy YAML files; default: the shipped ones")
    # Sections owned by other rooms, validated by them at start-up (gateway.config), kept raw here.
    limits: dict[str, Any] = Field(default_factory=dict)
    filters: dict[str, Any] = Field(default_factory=dict)
    use_cases: dict[str, Any] = Field(default_factory=dict)
    router_settings: RouterSettings = Field(default_factory=RouterSettings)
    # Sections of a LiteLLM config that the gateway reads only in part; accepted so that a LiteLLM
    # user's file loads unchanged.
    litellm_settings: dict[str, Any] = Field(default_factory=dict)
    general_settings: dict[str, Any] = Field(default_factory=dict)
    environment_variables: dict[str, Any] = Field(default_factory=dict)

    def model_groups(self) -> dict[str, list[ModelDeployment]]:
        groups: dict[str, list[ModelDeployment]] = {}
        for deployment in self.model_list:
            groups.setdefault(deployment.model_name, []).append(deployment)
        return groups

    def secret_values(self) -> list[str]:
        """Every secret the configuration holds, for scrubbing text before it leaves."""
        values = [d.litellm_params.api_key.get_secret_value() for d in self.model_list if d.litellm_params.api_key]
        for key in (self.admin_key, self.finance_key, *self.review_keys):
            if key is not None:
                values.append(key.get_secret_value())
        return values


def _resolve_env(value: Any, path: str, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in environ:
            raise ConfigError(f"{path}: environment variable {name} is not set")
        return environ[name]
    if isinstance(value, dict):
        return {k: _resolve_env(v, f"{path}.{k}" if path else str(k), environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, f"{path}.{i}", environ) for i, v in enumerate(value)]
    return value


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{path}: {item['msg']}")
    return "; ".join(lines)


def settings_from_mapping(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> GatewaySettings:
    """Validate a parsed configuration; raise ConfigError naming the key path on any problem."""
    environ = os.environ if environ is None else environ
    if not isinstance(raw, Mapping):
        raise ConfigError("(top level): the configuration must be a mapping of keys to values")
    data = dict(_resolve_env(dict(raw), "", environ))
    for key, variable in ENV_OVERRIDES.items():
        if environ.get(variable):
            data[key] = environ[variable]
    for key, variable in LIST_ENV_OVERRIDES.items():
        if environ.get(variable):
            data[key] = [item.strip() for item in environ[variable].split(",") if item.strip()]
    # LiteLLM puts fallbacks under litellm_settings too; honour them there.
    litellm_fallbacks = (data.get("litellm_settings") or {}).get("fallbacks")
    if litellm_fallbacks and not (data.get("router_settings") or {}).get("fallbacks"):
        data["router_settings"] = {**(data.get("router_settings") or {}), "fallbacks": litellm_fallbacks}
    try:
        settings = GatewaySettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None
    _check_fallbacks(settings)
    return settings


def _check_fallbacks(settings: GatewaySettings) -> None:
    groups = settings.model_groups()
    for index, entry in enumerate(settings.router_settings.fallbacks):
        for source, targets in entry.items():
            for target in [source, *targets]:
                if target not in groups:
                    raise ConfigError(
                        f"router_settings.fallbacks.{index}.{source}: model group {target!r} is not in model_list"
                    )


def load_settings(path: str | Path | None, environ: Mapping[str, str] | None = None) -> GatewaySettings:
    """Load the YAML file at `path` (None: the embedded defaults with the built-in mock model)."""
    environ = os.environ if environ is None else environ
    if path is None:
        return settings_from_mapping(embedded_defaults(), environ)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the file ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{file}: not valid YAML{where}") from None
    try:
        return settings_from_mapping(raw, environ)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None


def embedded_defaults() -> dict[str, Any]:
    """Zero set-up: a SQLite file, no Redis, and the built-in deterministic mock model."""
    return {
        "database_url": "sqlite:///gateway.db",
        "model_list": [
            {"model_name": "mock-gpt", "litellm_params": {"model": "gateway-mock/mock-gpt"}},
            {"model_name": "mock-embedding", "litellm_params": {"model": "gateway-mock/mock-embedding"}},
        ],
    }
