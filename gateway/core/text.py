# ruff: noqa: RUF001, RUF002  (the look-alike letters are the point of this module)
"""Text normalisation for matching deny-lists, blocklists and injection patterns.

Evasions a plain substring match misses: compatibility forms (full-width letters, ligatures),
case, accents, look-alike letters from other scripts (Cyrillic а/е/о…), invisible characters
inside words and runs of whitespace; optionally digits and symbols used as letters (0→o, 1→i,
3→e, 4→a, 5→s, 7→t, @→a, $→s).

Two entry points over the same tables: `normalise` keeps, for every normalised character, the
index of the original one (so the filters report a match as a span of the ORIGINAL text), and
`fold` returns only the folded text, several times faster (the policies' per-request path).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Characters that render as nothing (or nearly); attackers put them inside words to break matches.
INVISIBLE = frozenset(
    chr(code)
    for code in (
        0x00AD,  # soft hyphen
        0x034F,  # combining grapheme joiner
        0x061C,  # arabic letter mark
        0x115F,
        0x1160,  # hangul fillers
        0x17B4,
        0x17B5,
        0x180E,  # mongolian vowel separator
        *range(0x200B, 0x2010),  # zero-width space, joiners, direction marks
        *range(0x202A, 0x202F),  # bidi embeddings and overrides
        *range(0x2060, 0x2070),  # word joiner, invisible operators, bidi isolates
        0x3164,  # hangul filler
        0xFEFF,  # zero-width no-break space (BOM)
        0xFFA0,
        *range(0xFE00, 0xFE10),  # variation selectors
    )
)

# Letters of other scripts that look like Latin ones, after case folding (the common subset of
# Unicode's confusables list).
LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ѡ": "w", "ӏ": "l", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "s",
    # Armenian
    "օ": "o", "ս": "u", "ո": "n",
    # Latin variants that case folding leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ɡ": "g", "ℓ": "l",
}  # fmt: skip

# Digits and symbols read as letters ("leetspeak"); applied only when asked for.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "+": "t",
}  # fmt: skip

_DROP_INVISIBLE = dict.fromkeys(ord(char) for char in INVISIBLE)
_MAP_LOOKALIKES = str.maketrans(LOOKALIKES)


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


def _strip_marks(text: str) -> str:
    # Decompose and drop combining marks so accents do not hide a word ("bàd" matches "bad").
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def fold_char(char: str, leet: bool) -> str:
    """The normalised form of one character (may be empty or several characters)."""
    if char in INVISIBLE:
        return ""
    folded = _strip_marks(unicodedata.normalize("NFKC", char).casefold())
    out = []
    for c in folded:
        if c in INVISIBLE:
            continue
        c = LOOKALIKES.get(c, c)
        out.append(LEET.get(c, c) if leet else c)
    return "".join(out)


def normalise(text: str, *, leet: bool = True) -> NormalisedText:
    """Normalise `text` for matching, keeping the map back to the original characters.

    Whitespace runs collapse to one space. With `leet=False` digits and symbols stay as they are,
    which is what regular expressions written against digits need.
    """
    chars: list[str] = []
    origin: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        for c in " " if char.isspace() else fold_char(char, leet):
            if c.isspace():  # also a space that folding made (an accent alone becomes one)
                if previous_space:
                    continue
                c = " "
            previous_space = c == " "
            chars.append(c)
            origin.append(index)
    return NormalisedText("".join(chars), tuple(origin), len(text))


@lru_cache(maxsize=4096)
def _unmask_char(char: str) -> str:
    if char in INVISIBLE:
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        if c in INVISIBLE:
            continue
        plain = LOOKALIKES.get(c.casefold())
        out.append(c if plain is None else plain.upper() if c.isupper() else plain)
    return "".join(out)


def unmask(text: str) -> NormalisedText:
    """`text` with the disguises of a value undone and nothing else changed (case, accents and
    spacing stay, which recognizers of names and numbers rely on): compatibility forms (a full-width
    ＠), invisible characters inside it, look-alike letters of other scripts."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for c in _unmask_char(char):
            chars.append(c)
            origin.append(index)
    return NormalisedText("".join(chars), tuple(origin), len(text))


def normalise_term(term: str, *, leet: bool = True) -> str:
    """A blocklist term in the form it is matched in (leading/trailing whitespace dropped)."""
    return normalise(term.strip(), leet=leet).text


def fold(text: str) -> str:
    """The matching form of `text` without leetspeak and without the span map, trimmed: the same
    text as `normalise(text, leet=False).text.strip()`, computed several times faster."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _strip_marks(text.translate(_DROP_INVISIBLE)).translate(_DROP_INVISIBLE).translate(_MAP_LOOKALIKES)
    # split/join is several times faster than a regex substitution on a 2 KB prompt.
    return " ".join(text.split())
