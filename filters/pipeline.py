"""The output pipeline: a team's filters over every text of an answer, and the one decision that results.

An answer is a set of text slots: each choice's message content and each tool call's arguments
(`answer.py` reads them out of OpenAI bodies). Every slot goes through every filter of the team:
inline filters (microseconds) right on the event loop, models through the runner's batches and
workers; a filter error or timeout becomes the filter's fail-mode verdict (block, or pass with the
incident logged). The strongest action wins (block > flag > redact > allow) per
slot, per choice and for the answer; redactions of all filters are applied to the delivered text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from filters.base import (
    Filter,
    FilterContext,
    FilterResult,
    apply_replacements,
    flags_withheld,
    strongest,
)
from filters.config import FailMode, FiltersSettings, TeamFilterConfig
from filters.decision import AnswerDecision, ChoiceOutcome, SlotOutcome, TextOutcome, TextSlot
from filters.registry import FilterRegistry
from filters.resources import FilterResources
from filters.runner import FilterFailed, FilterRunner, FilterTimeout
from filters.toxicity import ToxicityScorer
from gateway.core.types import Action

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 2.0


def combine(text: str, results: Sequence[FilterResult]) -> TextOutcome:
    """One text's outcome from its filters' results: strongest action, all redactions applied."""
    action = strongest(r.action for r in results)
    if action is Action.BLOCK:
        return TextOutcome(action, None, list(results))
    replacements = [item for r in results for item in r.replacements]
    return TextOutcome(action, apply_replacements(text, replacements), list(results))


class FilterPipeline:
    """Builds each team's filters once and runs them over answers through the runner."""

    def __init__(
        self,
        settings: FiltersSettings,
        registry: FilterRegistry,
        resources: FilterResources,
        runner: FilterRunner,
    ) -> None:
        self.settings = settings
        self._registry = registry
        self._resources = resources
        self._runner = runner
        self._teams: dict[str, tuple[TeamFilterConfig, list[Filter]]] = {}

    def team_filters(self, team: str | None) -> tuple[TeamFilterConfig, list[Filter]]:
        """The team's configuration and built filters (teams without overrides share the defaults')."""
        key = self.team_key(team)
        built = self._teams.get(key)
        if built is None:
            config = self.settings.for_team(key or None)
            built = (config, self._registry.build(config, self._resources))
            self._teams[key] = built
        return built

    def toxicity_scorer(self) -> ToxicityScorer | None:
        """The toxicity scorer this process loaded (the admin UI asks it which words carried a score)."""
        return self._resources.toxicity_scorer

    def uses_workers(self) -> bool:
        """True when some team's filters need the runner's pool (a model: NER, Detoxify)."""
        return any(not f.inline for team in ["", *self.settings.teams] for f in self.team_filters(team or None)[1])

    def is_active(self, team: str | None) -> bool:
        """False when the team has every filter switched off (its answers need no scan at all)."""
        return bool(self.team_filters(team)[1])

    def team_key(self, team: str | None) -> str:
        """The key of the configuration a team uses: its own name if it has overrides, else ""."""
        return team if team is not None and team in self.settings.teams else ""

    def _failed(
        self, filter_: Filter, config: TeamFilterConfig, context: FilterContext, error: Exception
    ) -> FilterResult:
        """The fail-mode verdict of a filter that raised or timed out."""
        # A filter without a settings section of its name gets the safest default.
        fail_mode: FailMode = getattr(getattr(config, filter_.name, None), "fail_mode", FailMode.BLOCK)
        # The text itself is never logged: it may be the PII the filter was looking for.
        log.warning(
            "filter %s failed on team=%s request=%s field=%s: %s; fail mode %s",
            filter_.name,
            context.team,
            context.request_id,
            context.field,
            error,
            fail_mode.value,
        )
        action = Action.BLOCK if fail_mode is FailMode.BLOCK else Action.ALLOW
        return FilterResult(filter_.name, action, whole_text=True, error=f"{type(error).__name__}: {error}")

    def _run_inline(self, filter_: Filter, config: TeamFilterConfig, text: str, context: FilterContext) -> FilterResult:
        try:
            return filter_.scan(text, context)
        except Exception as exc:
            return self._failed(filter_, config, context, FilterFailed(f"{type(exc).__name__}: {exc}"))

    async def _run_pooled(
        self, filter_: Filter, config: TeamFilterConfig, text: str, context: FilterContext
    ) -> FilterResult:
        time_limit = getattr(getattr(config, filter_.name, None), "timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        try:
            return await self._runner.scan(filter_, text, context, time_limit, self.team_key(context.team))
        except (FilterTimeout, FilterFailed) as exc:
            return self._failed(filter_, config, context, exc)

    async def scan_text(self, text: str, context: FilterContext) -> TextOutcome:
        """Run the team's filters over one text and combine their results: inline ones at once,
        pooled ones concurrently."""
        config, filters = self.team_filters(context.team)
        if not filters:
            return TextOutcome(Action.ALLOW, text, [])
        pooled = [f for f in filters if not f.inline]
        pending = [self._run_pooled(f, config, text, context) for f in pooled]
        gathered = asyncio.gather(*pending) if pending else None
        results = [self._run_inline(f, config, text, context) for f in filters if f.inline]
        if gathered is not None:
            results += await gathered
        if context.withhold_flags:
            results = [flags_withheld(result) for result in results]
        return combine(text, results)

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        """For a streamed text: the earliest point from which a finding of any of the team's filters
        could still form (see `Filter.pending_from`); None when one of them cannot tell."""
        point = len(text)
        for filter_ in self.team_filters(context.team)[1]:
            pending = filter_.pending_from(text, start, context)
            if pending is None:
                return None
            point = min(point, pending)
        return point

    async def check_answer(self, slots: Sequence[TextSlot], context: FilterContext) -> AnswerDecision:
        """Every slot of an answer through the filters; per-choice and overall decisions."""
        outcomes = await asyncio.gather(
            *(
                self.scan_text(
                    slot.text,
                    FilterContext(
                        team=context.team,
                        model=context.model,
                        request_id=context.request_id,
                        field=slot.field,
                        choice_index=slot.choice_index,
                        withhold_flags=context.withhold_flags,
                    ),
                )
                for slot in slots
            )
        )
        choices: dict[int, ChoiceOutcome] = {}
        for slot, outcome in zip(slots, outcomes, strict=True):
            choice = choices.setdefault(slot.choice_index, ChoiceOutcome(slot.choice_index, Action.ALLOW))
            choice.slots.append(SlotOutcome(slot, outcome))
            choice.action = strongest([choice.action, outcome.action])
        ordered = [choices[index] for index in sorted(choices)]
        return AnswerDecision(strongest(c.action for c in ordered), ordered)

    def describe(self) -> dict[str, object]:
        """What runs, for /readyz and the start-up log: engines, backends, default thresholds."""
        defaults = self.settings.defaults
        pii = self._resources.pii_engine
        scorer = self._resources.toxicity_scorer
        return {
            "filters": self._registry.names(),
            "pii": pii.describe() if pii is not None else None,
            "toxicity": {
                **(scorer.describe() if scorer is not None else {"backend": None}),
                "thresholds": {k: v.model_dump() for k, v in defaults.toxicity.thresholds.items()},
            },
            "blocklist_version": self._resources.blocklist.current().version,
            "stream_window_chars": defaults.stream.window_chars,
            "teams_with_overrides": sorted(self.settings.teams),
        }
