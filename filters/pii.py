"""The PII output filter: Presidio findings in an answer, each replaced, masked, hashed, flagged or blocking.

Detection and anonymization live in the shared `PiiEngine`; this filter only applies a team's
choice of entities and operators to one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from filters.base import FilterContext, FilterResult, Finding, strongest
from filters.config import PiiFilterConfig, PiiOperator, TeamFilterConfig
from filters.holdback import number_run_start
from filters.pii_engine import FILTER_NAME, PiiEngine
from filters.resources import FilterConfigError, FilterResources
from gateway.core.types import Action

OPERATOR_ACTION: dict[PiiOperator, Action] = {
    PiiOperator.REPLACE: Action.REDACT,
    PiiOperator.MASK: Action.REDACT,
    PiiOperator.HASH: Action.REDACT,
    PiiOperator.FLAG: Action.FLAG,
    PiiOperator.BLOCK: Action.BLOCK,
}


class PiiFilter:
    """Finds the configured PII entities and applies each one's operator."""

    name = FILTER_NAME
    spans = True

    def __init__(self, engine: PiiEngine, config: PiiFilterConfig) -> None:
        self.inline = engine.mode == "patterns"  # the prefilter makes most scans microseconds
        self._engine = engine
        self._config = config
        self._entities = frozenset(config.entities)

    def _result(self, text: str, findings: list[Finding]) -> FilterResult:
        findings = [replace(f, action=OPERATOR_ACTION[self._config.entities[f.entity_type]]) for f in findings]
        action = strongest(f.action for f in findings)
        replacements = self._engine.replacements(text, findings, self._config.entities, self._config.mask)
        return FilterResult(FILTER_NAME, action, findings, replacements)

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        findings = self._engine.analyze(text, self._entities, self._config.score_threshold)
        return self._result(text, findings)

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        batches = self._engine.analyze_batch(texts, self._entities, self._config.score_threshold)
        return [self._result(text, findings) for text, findings in zip(texts, batches, strict=True)]

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        # Patterns need the unfinished token and the number-like run before it; NER reads context.
        return number_run_start(text, start) if self.inline else None


def build(config: TeamFilterConfig, resources: FilterResources) -> PiiFilter | None:
    """The team's PII filter, or None when it has none."""
    if not config.pii.enabled or not config.pii.entities:
        return None
    if resources.pii_engine is None:
        raise FilterConfigError("the pii filter is enabled but no PII engine was created")
    if PiiOperator.HASH in config.pii.entities.values() and not resources.pii_engine.can_hash:
        raise FilterConfigError("pii: the hash operator needs a hash salt of at least 16 bytes (pii_engine.hash_salt)")
    return PiiFilter(resources.pii_engine, config.pii)
