"""The blocklist filter: terms and regular expressions, global and per team, matched after normalisation.

Entries live in the database (the lead's store, fed by reviewer decisions); this module compiles a
snapshot of them once per version into a `Blocklist` and matches it. Terms are matched on the
fully normalised text (look-alikes and leetspeak folded) as whole words; regular expressions on a
lighter normalisation (NFKC, casefold, accents and zero-width characters removed, digits kept).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from filters.base import FilterContext, FilterResult, Finding, strongest
from filters.config import TeamFilterConfig
from filters.resources import FilterResources
from gateway.core.text import LEET, NormalisedText, normalise, normalise_term
from gateway.core.types import Action

FILTER_NAME = "blocklist"


class InvalidBlocklistEntry(ValueError):
    """An entry cannot be compiled (empty term, bad regular expression)."""


@dataclass(frozen=True, slots=True)
class BlocklistEntry:
    """One term or regular expression; `team` None means every team."""

    value: str
    kind: Literal["term", "regex"] = "term"
    team: str | None = None
    action: Action = Action.BLOCK


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    leet: bool
    action: Action
    label: str  # the finding type: blocklist_term or blocklist_regex


def _term_pattern(term: str) -> str:
    # Words apart by any whitespace: the ASCII view keeps runs of it that normalisation folds.
    return r"\s+".join(re.escape(word) for word in term.split(" "))


def _compile_terms(terms: Sequence[BlocklistEntry]) -> list[_Rule]:
    rules = []
    for action in (Action.BLOCK, Action.FLAG):
        folded = sorted({normalise_term(t.value) for t in terms if t.action == action} - {""}, key=len, reverse=True)
        if folded:
            # Whole words only: "ass" must not match "class"; longest first so the widest span wins.
            alternation = "|".join(_term_pattern(term) for term in folded)
            rules.append(_Rule(re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"), True, action, "blocklist_term"))
    return rules


_ASCII_LEET = str.maketrans(LEET)
_IDENTITY: tuple[int, ...] = ()  # an ASCII view's spans are the text's own


def _ascii_view(text: str, leet: bool) -> NormalisedText:
    """`normalise` of an ASCII text, character for character: lower case and (for terms) leetspeak
    only. Whitespace runs stay, which the term patterns allow for, so every span is its own."""
    folded = text.lower()
    return NormalisedText(folded.translate(_ASCII_LEET) if leet else folded, _IDENTITY, len(text))


def _compile_regex(entry: BlocklistEntry) -> _Rule:
    try:
        pattern = re.compile(entry.value, re.IGNORECASE)
    except re.error as exc:
        raise InvalidBlocklistEntry(f"blocklist regex {entry.value!r}: {exc}") from None
    if pattern.match(""):
        raise InvalidBlocklistEntry(f"blocklist regex {entry.value!r} matches the empty string")
    return _Rule(pattern, False, entry.action, "blocklist_regex")


def _compile(entries: Sequence[BlocklistEntry]) -> list[_Rule]:
    for entry in entries:
        if entry.kind == "term" and not normalise_term(entry.value):
            raise InvalidBlocklistEntry(f"blocklist term {entry.value!r} is empty after normalisation")
    terms = [e for e in entries if e.kind == "term"]
    return _compile_terms(terms) + [_compile_regex(e) for e in entries if e.kind == "regex"]


@dataclass(frozen=True, slots=True)
class _Scope:
    """The compiled entries of one scope (every team, or one team)."""

    rules: list[_Rule]
    prefixes: frozenset[str]  # every prefix of every normalised term, for streams
    longest: int  # characters of the longest normalised term
    has_regex: bool

    @classmethod
    def of(cls, entries: Sequence[BlocklistEntry]) -> _Scope:
        terms = {normalise_term(e.value) for e in entries if e.kind == "term"} - {""}
        prefixes = frozenset(term[:length] for term in terms for length in range(1, len(term) + 1))
        has_regex = any(e.kind == "regex" for e in entries)
        return cls(_compile(entries), prefixes, max(map(len, terms), default=0), has_regex)


_EMPTY_SCOPE = _Scope([], frozenset(), 0, False)


def _term_view(text: str) -> str:
    """`text` in the form terms are matched in (whitespace folded to one space, kept at the end)."""
    if text.isascii():
        folded = " ".join(text.lower().translate(_ASCII_LEET).split())
        return folded + " " if folded and text[-1].isspace() else folded
    return normalise(text, leet=True).text


class Blocklist:
    """A compiled, immutable snapshot of blocklist entries; build it with `from_entries`."""

    def __init__(self, global_scope: _Scope, team_scopes: dict[str, _Scope], version: str, size: int) -> None:
        self._global = global_scope
        self._teams = team_scopes
        self.version = version
        self.size = size

    @classmethod
    def from_entries(cls, entries: Iterable[BlocklistEntry], version: str = "0") -> Blocklist:
        """Compile entries once; raises InvalidBlocklistEntry naming the bad one."""
        entries = list(entries)
        by_team: dict[str, list[BlocklistEntry]] = {}
        for entry in entries:
            if entry.team is not None:
                by_team.setdefault(entry.team, []).append(entry)
        global_scope = _Scope.of([e for e in entries if e.team is None])
        return cls(global_scope, {team: _Scope.of(es) for team, es in by_team.items()}, version, len(entries))

    @classmethod
    def empty(cls) -> Blocklist:
        return cls(_EMPTY_SCOPE, {}, "empty", 0)

    def _scopes(self, team: str | None) -> tuple[_Scope, _Scope]:
        return self._global, (self._teams.get(team, _EMPTY_SCOPE) if team is not None else _EMPTY_SCOPE)

    def pending_from(self, text: str, start: int, team: str | None = None) -> int | None:
        """Where, in a growing `text`, a term could still be completing: the earliest word start
        from which the rest is a prefix of a term (None when a regular expression applies: where
        one could match next cannot be told)."""
        scopes = self._scopes(team)
        if any(scope.has_regex for scope in scopes):
            return None
        longest = max(scope.longest for scope in scopes)
        if not longest:
            return len(text)
        # Normalisation can only shrink text by invisible characters and folded whitespace: four
        # times the longest term is ample room for a term that started in the tail.
        for position in range(max(start, len(text) - 4 * longest - 8), len(text)):
            if position > 0 and (text[position - 1].isalnum() or text[position - 1] == "_"):
                continue  # terms match whole words: none starts inside one
            view = _term_view(text[position:])
            if view and any(view in scope.prefixes for scope in scopes):
                return position
        return len(text)

    def find(self, text: str, team: str | None = None) -> list[Finding]:
        """Every match in `text` for the global entries and `team`'s, as spans of the original text."""
        rules = [rule for scope in self._scopes(team) for rule in scope.rules]
        if not rules:
            return []
        views = {leet: self._view(text, leet) for leet in {rule.leet for rule in rules}}
        findings = []
        for rule in rules:
            view = views[rule.leet]
            for match in rule.pattern.finditer(view.text):
                if match.end() == match.start():
                    continue
                start, end = view.original_span(match.start(), match.end()) if view.origin else match.span()
                findings.append(Finding(rule.label, start, end, 1.0, FILTER_NAME, rule.action))
        return findings

    @staticmethod
    def _view(text: str, leet: bool) -> NormalisedText:
        # Regular expressions are written against folded whitespace, so they always get `normalise`.
        if leet and text.isascii():
            return _ascii_view(text, leet)
        return normalise(text, leet=leet)


class BlocklistSource(Protocol):
    """Where the filter reads the current blocklist from (reloaded by the app when the DB changes)."""

    def current(self) -> Blocklist: ...


class VersionedBlocklist:
    """Holds the current Blocklist and recompiles only when the entries' version changes.

    The app's reloader calls `update(version, entries)` (every few seconds, or on a change
    notification); scans read `current()` without locking: the swap of one reference is atomic.
    """

    def __init__(self, blocklist: Blocklist | None = None) -> None:
        self._current = blocklist or Blocklist.empty()
        self._lock = threading.Lock()

    def current(self) -> Blocklist:
        return self._current

    def update(self, version: str, entries: Iterable[BlocklistEntry]) -> bool:
        """Install the entries of `version`; returns False (and compiles nothing) if it is already current."""
        with self._lock:
            if version == self._current.version:
                return False
            self._current = Blocklist.from_entries(entries, version)
            return True


class BlocklistFilter:
    """Blocks (or flags) answers containing a blocklisted term or pattern."""

    name = FILTER_NAME
    spans = True
    inline = True

    def __init__(self, source: BlocklistSource, extra: Blocklist | None = None) -> None:
        self._source = source
        self._extra = extra  # entries from the configuration file, on top of the database ones

    def scan(self, text: str, context: FilterContext) -> FilterResult:
        findings = self._source.current().find(text, context.team)
        if self._extra is not None:
            findings += self._extra.find(text, context.team)
        findings.sort(key=lambda f: (f.start, f.end))
        action = strongest(f.action for f in findings)
        return FilterResult(FILTER_NAME, action, findings)

    def scan_batch(self, texts: Sequence[str], contexts: Sequence[FilterContext]) -> list[FilterResult]:
        return [self.scan(text, context) for text, context in zip(texts, contexts, strict=True)]

    def pending_from(self, text: str, start: int, context: FilterContext) -> int | None:
        points = [self._source.current().pending_from(text, start, context.team)]
        if self._extra is not None:
            points.append(self._extra.pending_from(text, start, context.team))
        return None if None in points else min(p for p in points if p is not None)


def build(config: TeamFilterConfig, resources: FilterResources) -> BlocklistFilter | None:
    """The team's blocklist filter: database entries plus those in its configuration."""
    if not config.blocklist.enabled:
        return None
    section = config.blocklist
    entries = [BlocklistEntry(t, "term", action=section.action) for t in section.terms]
    entries += [BlocklistEntry(p, "regex", action=section.action) for p in section.patterns]
    return BlocklistFilter(resources.blocklist, Blocklist.from_entries(entries, "config") if entries else None)
