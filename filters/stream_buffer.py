"""Streaming without leaks: a hold-back buffer per streamed text (a choice's content, a tool call's arguments).

Text is released as soon as no finding can still form in it: each inline filter names the point
from which one could (`Filter.pending_from`: the unfinished last word, a number in progress, the
start of a blocklisted phrase), and everything before the earliest such point is scanned, with
`window` characters of already released text as left context, and sent. So a short safe answer
streams word by word, one word behind the model. A finding is never split between sent and held
text, and for filters whose findings depend only on nearby text (Presidio's pattern recognizers,
the blocklist) the concatenation of released pieces equals the non-streamed redacted answer.

Filters that cannot name such a point (models reading context: NER, Detoxify) fall back to the
window: text is released once it has `window` characters of context after it, at whitespace.

The buffer is bounded: text held longer than `max_hold_chars` (a number-like run, text without
whitespace) is cut, never inside a finding.

Classifier verdicts (toxicity) and fail-mode verdicts judge each scanned region as a whole: a
block stops the stream before the region is released; a flag is remembered for the review item.
With the profanity model the unit is the word: each one is scored with the text before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from filters.base import FilterContext, Finding, Replacement, apply_replacements, strongest
from filters.config import StreamSettings
from filters.decision import TextOutcome
from filters.pipeline import FilterPipeline
from gateway.core.types import Action

Scanner = Callable[[str], Awaitable[TextOutcome]]
# (text so far, where the released part ends) -> where a finding could still form, or None.
Pending = Callable[[str, int], int | None]


def hold_window(text: str, start: int) -> int | None:
    """The fallback when no filter can name its pending point: hold the window back."""
    return None


@dataclass(slots=True)
class StreamStep:
    """What may be sent now (`released`), and the stream's state so far."""

    released: str
    action: Action
    blocked: bool
    findings: list[Finding] = field(default_factory=list)  # new findings, spans of the streamed text


class StreamGuard:
    """The hold-back buffer of one streamed text. Feed it chunks (or `append` several, then `step`);
    send what it releases; call finish()."""

    def __init__(self, scan: Scanner, settings: StreamSettings | None = None, pending: Pending = hold_window) -> None:
        settings = settings or StreamSettings()
        self._scan = scan
        self._pending = pending
        self._window = settings.window_chars
        self._min_release = settings.min_release_chars
        self._max_hold = settings.max_hold_chars
        self._parts: list[str] = []
        self._tail = ""  # the text from `_base` on: the left context and everything not released
        self._base = 0
        self._length = 0
        self._released = 0  # characters of the original text released (or consumed) so far
        self.action = Action.ALLOW
        self.blocked = False
        self.findings: list[Finding] = []
        self.errors: list[str] = []

    @property
    def text(self) -> str:
        """Everything received so far (for the review item and the final whole-answer check)."""
        return "".join(self._parts)

    @property
    def released_chars(self) -> int:
        """How many characters of the received text have been released (redacted or not)."""
        return self._released

    @property
    def held(self) -> int:
        """How many received characters are not released yet."""
        return self._length - self._released

    def append(self, chunk: str) -> None:
        """Add a chunk without releasing anything yet (a network read may bring several)."""
        self._parts.append(chunk)
        self._tail += chunk
        self._length += len(chunk)

    async def feed(self, chunk: str) -> StreamStep:
        """Add a chunk; release what is now safe to send."""
        self.append(chunk)
        return await self.step()

    async def finish(self) -> StreamStep:
        """The stream ended: scan and release the rest."""
        return await self.step(final=True)

    def _nothing(self) -> StreamStep:
        return StreamStep("", self.action, self.blocked)

    async def step(self, final: bool = False) -> StreamStep:
        """Scan and release what nothing can still turn into a finding."""
        start = self._released
        if self.blocked or self.held == 0:
            return self._nothing()
        end: int | None = self._length
        if not final:
            point = self._pending(self._tail, start - self._base)
            if point is None:  # a model reads context: release at whitespace a window before the end
                if self.held < self._window + self._min_release:
                    return self._nothing()
                end = None
            elif point + self._base > start:
                end = point + self._base
            elif self.held <= self._max_hold:
                return self._nothing()
            else:
                end = None  # held too long: cut at the boundary, never inside a finding
        return await self._release(start, end)

    async def _release(self, start: int, end: int | None) -> StreamStep:
        origin = max(self._base, start - self._window)  # left context, already released
        region = self._tail[origin - self._base :]
        outcome = await self._scan(region)
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
        if self.action is Action.BLOCK or any(f.action is Action.BLOCK for f in spans if f.end > start):
            self.action = Action.BLOCK
            self.blocked = True
            return StreamStep("", self.action, True, [f for f in spans if f.end > start])
        end = self._boundary(spans) if end is None else _outside(end, spans)
        if end is None or end <= start:
            return self._nothing()
        new = [f for f in spans if start <= f.start < end or f.start < start < f.end]
        self.action = strongest([self.action, *(f.action for f in new)])
        # An entity that starts in released text but was only recognised now (a model that needed
        # more context): its released part cannot be recalled, its remainder is still replaced.
        piece = [
            Replacement(max(r.start, start) - start, r.end - start, r.text)
            for r in replacements
            if start <= r.start < end or r.start < start < r.end
        ]
        released = apply_replacements(self._tail[start - self._base : end - self._base], piece)
        self._released = end
        self.findings += new
        keep_from = max(self._base, end - self._window)
        self._tail = self._tail[keep_from - self._base :]
        self._base = keep_from
        return StreamStep(released, self.action, False, new)

    def _boundary(self, findings: list[Finding]) -> int | None:
        """The furthest safe release point: whitespace, `window` before the end, inside no finding."""
        text, base = self._tail, self._base
        limit = self._length - self._window
        inside = [(f.start, f.end) for f in findings]
        for position in range(limit, self._released, -1):
            if text[position - base].isspace() and not any(start < position < end for start, end in inside):
                return position
        if self.held <= self._max_hold:
            return None
        # Bounded: a whitespace-free run longer than the cap (base64, a huge URL) is cut mid-token,
        # still never inside a finding.
        for position in range(limit, self._released, -1):
            if not any(start < position < end for start, end in inside):
                return position
        return None


def _outside(end: int, findings: list[Finding]) -> int:
    """`end`, moved back before any finding it would split."""
    moved = True
    while moved:
        moved = False
        for finding in findings:
            if finding.start < end < finding.end:
                end, moved = finding.start, True
    return end


def stream_guard(pipeline: FilterPipeline, context: FilterContext) -> StreamGuard:
    """A guard for one streamed text (set `context.field` and `choice_index`), with the team's stream settings."""
    config, _ = pipeline.team_filters(context.team)
    return StreamGuard(
        lambda text: pipeline.scan_text(text, context),
        config.stream,
        lambda text, start: pipeline.pending_from(text, start, context),
    )
