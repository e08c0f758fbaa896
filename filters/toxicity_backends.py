"""Toxicity scorer backends by name: one line per backend; the configuration picks one."""

from __future__ import annotations

from collections.abc import Callable

from filters.config import ToxicityScorerSettings
from filters.toxicity import ToxicityScorer


def _profanity(settings: ToxicityScorerSettings) -> ToxicityScorer:
    from filters.toxicity_profanity import ProfanityScorer

    return ProfanityScorer()


def _detoxify(settings: ToxicityScorerSettings) -> ToxicityScorer:
    # Imported here: torch and transformers take seconds to import and the default backend needs neither.
    from filters.toxicity_detoxify import DetoxifyScorer

    return DetoxifyScorer(settings.detoxify)


SCORER_BACKENDS: dict[str, Callable[[ToxicityScorerSettings], ToxicityScorer]] = {
    "profanity": _profanity,
    "detoxify": _detoxify,
}


def build_scorer(settings: ToxicityScorerSettings) -> ToxicityScorer:
    """The configured scorer, loaded (raises the backend's error when its model cannot be loaded)."""
    return SCORER_BACKENDS[settings.backend](settings)
