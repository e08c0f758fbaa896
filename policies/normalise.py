"""Text normalisation for matching: the same prompt written with tricks must match the same rule.

A deny-list term or an injection pattern should match "ignore" written in capitals, in full-width
letters, with a zero-width space inside, or with Cyrillic look-alikes for "i" and "o", alike.
The steps: Unicode compatibility folding (NFKC: full-width forms and ligatures), case folding,
accents removed, look-alike letters from other scripts mapped to Latin, invisible characters
removed and whitespace runs collapsed to one space (none left at either end).

Digits are not mapped to letters ("0" → "o"): rule regexes over numbers (card or account numbers)
must keep working on the normalised text.

The filters room keeps an equivalent normaliser in filters/normalise.py; the two are meant to be
merged into gateway/core/text.py.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing (or nearly) and are used to split words past a matcher.
_INVISIBLE = dict.fromkeys(
    [
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
    ]
)

# Letters of other scripts that look like Latin ones (after case folding), from Unicode's
# confusables list, restricted to the common Cyrillic, Greek and Armenian cases.
_LOOKALIKES = str.maketrans(
    {
        "\u0430": "a",  # cyrillic small letter a
        "\u0432": "b",  # cyrillic small letter ve
        "\u0441": "c",  # cyrillic small letter es
        "\u0501": "d",  # cyrillic small letter komi de
        "\u0435": "e",  # cyrillic small letter ie
        "\u04bb": "h",  # cyrillic small letter shha
        "\u0456": "i",  # cyrillic small letter byelorussian-ukrainian i
        "\u0457": "i",  # cyrillic small letter yi
        "\u0458": "j",  # cyrillic small letter je
        "\u043a": "k",  # cyrillic small letter ka
        "\u04cf": "l",  # cyrillic small letter palochka
        "\u043c": "m",  # cyrillic small letter em
        "\u043d": "h",  # cyrillic small letter en
        "\u043e": "o",  # cyrillic small letter o
        "\u0440": "p",  # cyrillic small letter er
        "\u051b": "q",  # cyrillic small letter qa
        "\u0455": "s",  # cyrillic small letter dze
        "\u0442": "t",  # cyrillic small letter te
        "\u0443": "y",  # cyrillic small letter u
        "\u0461": "w",  # cyrillic small letter omega
        "\u0445": "x",  # cyrillic small letter ha
        "\u04af": "y",  # cyrillic small letter straight u
        "\u03b1": "a",  # greek small letter alpha
        "\u03b2": "b",  # greek small letter beta
        "\u03b5": "e",  # greek small letter epsilon
        "\u03b7": "n",  # greek small letter eta
        "\u03b9": "i",  # greek small letter iota
        "\u03ba": "k",  # greek small letter kappa
        "\u03bd": "v",  # greek small letter nu
        "\u03bf": "o",  # greek small letter omicron
        "\u03c1": "p",  # greek small letter rho
        "\u03c4": "t",  # greek small letter tau
        "\u03c5": "u",  # greek small letter upsilon
        "\u03c7": "x",  # greek small letter chi
        "\u03c9": "w",  # greek small letter omega
        "\u0585": "o",  # armenian small letter oh
        "\u057d": "u",  # armenian small letter seh
        "\u0131": "i",  # latin small letter dotless i
        "\u0261": "g",  # latin small letter script g
        "\u2113": "l",  # script small l
    }
)
_COMBINING_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise(text: str) -> str:
    """The matching form of `text`: folded, de-accented, look-alikes mapped, invisibles removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = text.translate(_INVISIBLE)
        text = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))
        text = text.translate(_LOOKALIKES)
    # split/join is several times faster than a regex substitution on a 2 KB prompt.
    return " ".join(text.split())
