"""Filters by name: one file per filter (with its `build` factory), one registration line here.

A factory builds a team's instance of a filter from the team's configuration and the shared
resources, or returns None when the team has it switched off. A filter's settings section has
the filter's name and carries its `fail_mode` and `timeout_seconds`.
"""

from __future__ import annotations

from filters import blocklist, pii, toxicity
from filters.base import Filter
from filters.config import TeamFilterConfig
from filters.resources import FilterConfigError, FilterFactory, FilterResources


class FilterRegistry:
    """Named filter factories, run in registration order."""

    def __init__(self) -> None:
        self._factories: dict[str, FilterFactory] = {}

    def register(self, name: str, factory: FilterFactory) -> None:
        if name in self._factories:
            raise FilterConfigError(f"filter {name!r} is registered twice")
        self._factories[name] = factory

    def names(self) -> list[str]:
        return list(self._factories)

    def build(self, config: TeamFilterConfig, resources: FilterResources) -> list[Filter]:
        """The team's filters, in registration order, switched-off ones left out."""
        filters = []
        for factory in self._factories.values():
            built = factory(config, resources)
            if built is not None:
                filters.append(built)
        return filters


def default_registry() -> FilterRegistry:
    """The built-in filters. Cheap span filters first; the classifier last."""
    registry = FilterRegistry()
    registry.register("pii", pii.build)
    registry.register("blocklist", blocklist.build)
    registry.register("toxicity", toxicity.build)
    return registry
