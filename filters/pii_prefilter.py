"""A candidate check in front of Presidio's pattern recognizers that can never miss what they find.

Most answers hold no PII, and the recognizers cost about a millisecond per 600 characters even
then. Each entity here has a necessary condition read off its recognizer's regular expressions
(an e-mail has an `@`, a card number at least 13 digits, ...): an entity whose condition fails
cannot be found, so Presidio is asked only for the others, and not at all when none is left.
`tests/filters/test_pii_prefilter.py` checks prefilter + Presidio against Presidio alone on the
labelled corpus and on generated text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

_ASCII_DIGITS = str.maketrans("", "", "0123456789")


def digit_count(text: str) -> int:
    """Digits in `text`, counting every character Python calls a digit (a superset of `\\d`)."""
    if text.isascii():
        return len(text) - len(text.translate(_ASCII_DIGITS))
    return sum(1 for char in text if char.isdigit())


_IBAN_START = re.compile(r"[A-Z]{2}[0-9]{2}")  # the recognizer's own start: country code, check digits
_IPV4_DOTS = re.compile(r"[0-9]\.[0-9]")
_IPV6_COLON = re.compile(r"::|[0-9A-Fa-f]:[0-9A-Fa-f]")  # every IPv6 form has one of the two

# entity -> (a text could hold it, given its digit count). Entities not listed (URL in mode
# patterns, the NER labels) always run.
CONDITIONS: dict[str, Callable[[str, int], bool]] = {
    "EMAIL_ADDRESS": lambda text, digits: "@" in text,  # the pattern's `[@]`
    "PHONE_NUMBER": lambda text, digits: digits >= 7,  # PrefilteredPhoneRecognizer.MIN_DIGITS
    "CREDIT_CARD": lambda text, digits: digits >= 13,  # 4 + 3 + 3 + 3 digit groups at the least
    "US_SSN": lambda text, digits: digits >= 9,  # every SSN pattern has nine digits
    "IBAN_CODE": lambda text, digits: _IBAN_START.search(text) is not None,
    # IPv4 has digit.digit; every IPv6 and IPv4-mapped form has "::" or hex:hex.
    "IP_ADDRESS": lambda text, digits: _IPV4_DOTS.search(text) is not None or _IPV6_COLON.search(text) is not None,
}


def candidate_entities(text: str, entities: Collection[str]) -> list[str]:
    """The entities of `entities` that `text` could hold, in the given order."""
    digits = digit_count(text)
    return [entity for entity in entities if (check := CONDITIONS.get(entity)) is None or check(text, digits)]
