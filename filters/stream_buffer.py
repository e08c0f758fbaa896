"""Streaming without leaks: a bounded hold-back buffer per streamed text (a choice's content, a tool call's arguments).

Text is released only once the filters have scanned it with at least `window` characters of
context on both sides, and only up to a whitespace boundary that no finding straddles. So no
entity or blocked phrase shorter than the window can be split between released and held text,
and (for filters whose findings depend only on nearby text: Presidio's pattern recognizers, the
blocklist) the concatenation of released pieces equals the non-streamed redacted answer.

The buffer is bounded: text without any whitespace is held up to `max_hold_chars`, then cut
(never inside a finding).

Classifier verdicts (toxicity) and fail-mode verdicts judge each scanned region as a whole: a
block stops the stream before the region is released; a flag is remembered for the review item.

Cost: time to first token grows by the time to generate `window + min_release` characters
(defaults 96 + 16 = 112 characters, about 28 tokens), plus one scan of that much text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from filters.base import FilterContext, Finding, Replacement, apply_replacements, strongest
from filters.config import StreamSettings
from filters.pipeline import FilterPipeline, TextOutcome
from gateway.core.types import Action

Scanner = Callable[[str], Awaitable[TextOutcome]]


@dataclass(slots=True)
class StreamStep:
    """What may be sent now (`released`), and the stream's state so far."""

    released: str
    action: Action
    blocked: bool
    findings: list[Finding] = field(default_factory=list)  # new findings, spans of the streamed text


class StreamGuard:
    """The hold-back buffer of one streamed text. Feed it chunks; send what it releases; call finish()."""

    def __init__(self, scan: Scanner, settings: StreamSettings | None = None) -> None:
        settings = settings or StreamSettings()
        self._scan = scan
        self._window = settings.window_chars
        self._min_release = settings.min_release_chars
        self._max_hold = settings.max_hold_chars
        self._text: list[str] = []
        self._length = 0
        self._released = 0  # characters of the original text released (or consumed) so far
        self.action = Action.ALLOW
        self.blocked = False
        self.findings: list[Finding] = []
        self.errors: list[str] = []

    @property
    def text(self) -> str:
        """Everything received so far (for the review item and the final whole-answer check)."""
        return "".join(self._text)

    @property
    def released_chars(self) -> int:
        """How many characters of the received text have been released (redacted or not)."""
        return self._released

    @property
    def held(self) -> int:
        """How many received characters are not released yet."""
        return self._length - self._released

    async def feed(self, chunk: str) -> StreamStep:
        """Add a chunk; release what is now safe to send."""
        self._text.append(chunk)
        self._length += len(chunk)
        if self.blocked or self.held < self._window + self._min_release:
            return StreamStep("", self.action, self.blocked)
        return await self._step(final=False)

    async def finish(self) -> StreamStep:
        """The stream ended: scan and release the rest."""
        if self.blocked or self.held == 0:
            return StreamStep("", self.action, self.blocked)
        return await self._step(final=True)

    def _boundary(self, text: str, findings: list[Finding]) -> int | None:
        """The furthest safe release point: whitespace, `window` before the end, inside no finding."""
        limit = len(text) - self._window
        inside = [(f.start, f.end) for f in findings]
        for position in range(limit, self._released, -1):
            if text[position].isspace() and not any(start < position < end for start, end in inside):
                return position
        if self.held <= self._max_hold:
            return None
        # Bounded: a whitespace-free run longer than the cap (base64, a huge URL) is cut mid-token,
        # still never inside a finding.
        for position in range(limit, self._released, -1):
            if not any(start < position < end for start, end in inside):
                return position
        return None

    async def _step(self, final: bool) -> StreamStep:
        text = self.text
        origin = max(0, self._released - self._window)  # left context, already released
        outcome = await self._scan(text[origin:])
        spans: list[Finding] = []
        replacements: list[Replacement] = []
        for result in outcome.results:
            if result.error:
                self.errors.append(f"{result.filter}: {result.error}")
            if result.whole_text:
                self.action = strongest([self.action, result.action])
                continue
            for f in result.findings:
                spans.append(Finding(f.entity_type, f.start + origin, f.end + origin, f.score, f.filter, f.action))
            replacements += [Replacement(r.start + origin, r.end + origin, r.text) for r in result.replacements]
        if self.action is Action.BLOCK or any(f.action is Action.BLOCK for f in spans if f.end > self._released):
            self.action = Action.BLOCK
            self.blocked = True
            return StreamStep("", self.action, True, [f for f in spans if f.end > self._released])
        end = len(text) if final else self._boundary(text, spans)
        if end is None:
            return StreamStep("", self.action, False)
        start = self._released
        new = [f for f in spans if start <= f.start < end or f.start < start < f.end]
        self.action = strongest([self.action, *(f.action for f in new)])
        # An entity that starts in released text but was only recognised now (a model that needed
        # more context): its released part cannot be recalled, its remainder is still replaced.
        piece = [
            Replacement(max(r.start, start) - start, r.end - start, r.text)
            for r in replacements
            if start <= r.start < end or r.start < start < r.end
        ]
        released = apply_replacements(text[start:end], piece)
        self._released = end
        self.findings += new
        return StreamStep(released, self.action, False, new)


def stream_guard(pipeline: FilterPipeline, context: FilterContext) -> StreamGuard:
    """A guard for one streamed text (set `context.field` and `choice_index`), with the team's stream settings."""
    config, _ = pipeline.team_filters(context.team)
    return StreamGuard(lambda text: pipeline.scan_text(text, context), config.stream)
