"""Fixtures for the policy tests: a caller, policies written to a temporary directory, a PII detector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.core.types import Principal
from gateway.offline import apply_offline_defaults
from policies.compiled import CompiledPolicy, compile_policies
from policies.loader import load_policies
from policies.services import PolicyServices
from tests.policies.helpers import CompilePolicy, EmailPhoneDetector

apply_offline_defaults()  # tiktoken must find litellm's bundled encodings, with no network


@pytest.fixture
def principal() -> Principal:
    return Principal(team_id=1, team_name="research", key_id=7, key_prefix="gw-abc123")


@pytest.fixture
def services() -> PolicyServices:
    return PolicyServices(pii_detector=EmailPhoneDetector())


@pytest.fixture
def compile_policy(tmp_path: Path, services: PolicyServices) -> CompilePolicy:
    """Writes a default policy holding `rules` and compiles it."""

    def build(rules: dict[str, Any], *, with_services: PolicyServices | None = None) -> CompiledPolicy:
        (tmp_path / "default.yaml").write_text(yaml.safe_dump({"name": "default", "rules": rules}))
        compiled = compile_policies(load_policies(tmp_path), with_services or services)
        return compiled.policies["default"]

    return build
