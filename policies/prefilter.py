"""Regular expressions with a cheap pre-check, so a policy's patterns cost little on clean prompts.

Python's `re` scans fast for a literal prefix but slowly (about 25 µs per 2 KB) when a pattern
starts with `\\b`, as most word patterns do. `\\bX` can only match where `X` does, so `X` is tried
first and the full pattern only when it matches somewhere.
"""

from __future__ import annotations

import re


class PrefilteredPattern:
    """`search` behaves as `re.compile(pattern, flags).search(text) is not None`, faster."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._full = re.compile(pattern, flags)
        self._quick: re.Pattern[str] | None = None
        rest = pattern
        while rest.startswith(r"\b"):
            rest = rest[2:]
        if rest != pattern and rest:
            try:
                self._quick = re.compile(rest, flags)
            except re.error:  # e.g. the rest starts with a quantifier: keep only the full pattern
                self._quick = None

    def search(self, text: str) -> bool:
        if self._quick is not None and self._quick.search(text) is None:
            return False
        return self._full.search(text) is not None
