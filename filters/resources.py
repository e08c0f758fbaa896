"""What filters share across teams (created once at start-up), and how a filter factory is shaped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from filters.base import Filter
    from filters.blocklist import BlocklistSource
    from filters.config import TeamFilterConfig
    from filters.pii_engine import PiiEngine
    from filters.toxicity import ToxicityScorer


class FilterConfigError(ValueError):
    """A team's filter configuration cannot be built (hash without a salt, missing engine...)."""


@dataclass
class FilterResources:
    """The PII engine, the toxicity scorer and the blocklist source every team's filters use."""

    pii_engine: PiiEngine | None
    toxicity_scorer: ToxicityScorer | None
    blocklist: BlocklistSource


# Builds a team's instance of a filter, or returns None when the team has it switched off.
FilterFactory = Callable[["TeamFilterConfig", FilterResources], "Filter | None"]
