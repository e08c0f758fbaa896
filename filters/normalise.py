# ruff: noqa: RUF001, RUF002  (the look-alike letters are the point of this module)
"""Text normalisation for matching deny-lists and blocklists, with a map back to the original text.

Evasions a plain substring match misses: compatibility forms (full-width letters, ligatures),
case, accents, look-alike letters from other scripts (Cyrillic а/е/о…), digits and symbols used as
letters (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, @→a, $→s), zero-width characters and runs of whitespace.
Every character of the normalised text remembers the index of the original character it came
from, so a match is reported as a span of the ORIGINAL text.

Self-contained on purpose (standard library only): the policies room reuses it for deny-lists.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Characters that render as nothing; attackers put them inside words to break matches.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f")

# Letters of other scripts that look like Latin ones (the common subset of Unicode's confusables).
LOOKALIKE_LETTERS: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ո": "n",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s",
    # Latin variants that casefolding leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h",
}  # fmt: skip

# Digits and symbols read as letters ("leetspeak"); applied only when `leet=True`.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "+": "t",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A normalised text and, for each of its characters, the index of the original one."""

    text: str
    origin: tuple[int, ...]
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised characters [start, end) came from."""
        if start >= end:
            anchor = self.origin[start] if start < len(self.origin) else self.original_length
            return anchor, anchor
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=4096)
def fold_char(char: str, leet: bool) -> str:
    """The normalised form of one character (may be empty or several characters)."""
    if char in ZERO_WIDTH:
        return ""
    folded = unicodedata.normalize("NFKC", char).casefold()
    # Decompose and drop combining marks so accents do not hide a word ("bàd" matches "bad").
    stripped = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    out = []
    for c in stripped:
        if c in ZERO_WIDTH:
            continue
        c = LOOKALIKE_LETTERS.get(c, c)
        if leet:
            c = LEET.get(c, c)
        out.append(c)
    return "".join(out)


def normalise(text: str, *, leet: bool = True) -> NormalisedText:
    """Normalise `text` for matching: see the module docstring for what is folded.

    Whitespace runs collapse to one space. With `leet=False` digits and symbols stay as they are,
    which is what regular expressions written against digits need.
    """
    chars: list[str] = []
    origin: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if not previous_space:
                chars.append(" ")
                origin.append(index)
            previous_space = True
            continue
        folded = fold_char(char, leet)
        if folded:
            previous_space = False
        for c in folded:
            chars.append(c)
            origin.append(index)
    return NormalisedText("".join(chars), tuple(origin), len(text))


def normalise_term(term: str, *, leet: bool = True) -> str:
    """A blocklist term in the form it is matched in (leading/trailing whitespace dropped)."""
    return normalise(term.strip(), leet=leet).text
