"""The shared Presidio engine seen through the policies room's PiiDetector protocol (one analyzer
per process serves both input policies and output filters)."""

from __future__ import annotations

from filters.pii_engine import PiiEngine
from policies.services import PiiSpan


class PresidioDetector:
    def __init__(self, engine: PiiEngine) -> None:
        self._engine = engine

    def analyze(self, text: str) -> list[PiiSpan]:
        return [
            PiiSpan(finding.entity_type, finding.start, finding.end, finding.score)
            for finding in self._engine.analyze(text, self._engine.entities)
        ]
