"""Filter configuration: safe defaults, per-team sections, validation at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from filters.config import FailMode, FiltersSettings, PiiOperator, StreamSettings
from filters.runner import FilterRunner


def test_defaults_redact_pii_as_its_type() -> None:
    pii = FiltersSettings().for_team("any").pii
    assert pii.enabled and set(pii.entities.values()) == {PiiOperator.REPLACE}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS"} <= set(pii.entities)


def test_defaults_fail_closed_for_pii_and_open_for_toxicity() -> None:
    config = FiltersSettings().defaults
    assert (config.pii.fail_mode, config.toxicity.fail_mode, config.blocklist.fail_mode) == (
        FailMode.BLOCK,
        FailMode.PASS,
        FailMode.BLOCK,
    )


def test_defaults_have_an_empty_configured_blocklist() -> None:
    blocklist = FiltersSettings().defaults.blocklist
    assert (blocklist.terms, blocklist.patterns) == ([], [])


def test_a_team_section_replaces_only_that_section() -> None:
    settings = FiltersSettings.model_validate({"teams": {"hr": {"toxicity": {"enabled": False}}}})
    hr = settings.for_team("hr")
    assert hr.toxicity.enabled is False
    assert hr.pii == settings.defaults.pii


def test_a_bad_team_section_is_refused_when_loaded() -> None:
    with pytest.raises(ValidationError, match="entities"):
        FiltersSettings.model_validate({"teams": {"hr": {"pii": {"entities": {"EMAIL_ADDRESS": "shred"}}}}})


def test_a_flag_level_above_the_block_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="above block level"):
        FiltersSettings.model_validate(
            {"defaults": {"toxicity": {"thresholds": {"insult": {"flag": 0.9, "block": 0.5}}}}}
        )


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        FiltersSettings.model_validate({"defaults": {"pii": {"entitys": {}}}})


def test_the_hold_cap_must_exceed_the_window() -> None:
    with pytest.raises(ValidationError, match="max_hold_chars"):
        StreamSettings(window_chars=512, min_release_chars=16, max_hold_chars=256)


def test_the_process_executor_needs_the_filters_settings() -> None:
    settings = FiltersSettings.model_validate({"runner": {"executor": "process"}})
    with pytest.raises(ValueError, match="filters settings"):
        FilterRunner(settings.runner)
