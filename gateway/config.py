"""The whole configuration: the core settings plus the sections other rooms own, each validated by
its room's own model at start-up, with errors naming the key path (`filters.defaults.pii…`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

import policies
from filters.config import FiltersSettings
from gateway.core.settings import ConfigError, GatewaySettings, load_settings
from gateway.limits.settings import LimitsSettings
from use_cases.settings import UseCasesSettings

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class AppConfig:
    core: GatewaySettings
    limits: LimitsSettings
    filters: FiltersSettings
    use_cases: UseCasesSettings
    policies_dir: Path
    source: str  # the file it came from, or "embedded defaults"


def _section(model: type[M], raw: Mapping[str, Any], name: str) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join([name, *(str(part) for part in item['loc'])])}: {item['msg']}" for item in exc.errors()
        )
        raise ConfigError(problems) from None


def shipped_policies_dir() -> Path:
    return Path(policies.__file__).resolve().parent


def build_config(core: GatewaySettings, source: str) -> AppConfig:
    return AppConfig(
        core=core,
        limits=_section(LimitsSettings, core.limits, "limits"),
        filters=_section(FiltersSettings, core.filters, "filters"),
        use_cases=_section(UseCasesSettings, core.use_cases, "use_cases"),
        policies_dir=Path(core.policies_dir) if core.policies_dir else shipped_policies_dir(),
        source=source,
    )


def load_config(path: str | Path | None, environ: Mapping[str, str] | None = None) -> AppConfig:
    core = load_settings(path, environ)
    try:
        return build_config(core, str(path) if path else "embedded defaults")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}" if path else str(exc)) from None
