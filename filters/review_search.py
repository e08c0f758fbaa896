"""A keyed blind index of a review item's words, so reviewers search encrypted answers and prompts
without decrypting every item.

Each distinct normalised word (case, accents and compatibility forms folded) of the answer and the
prompt becomes a short HMAC-SHA256 tag under a key derived from the review key; the tags are stored
beside the item as one space-separated text, and a search for words asks for items holding all of
their tags. Without the key a tag says nothing about its word; what the index does reveal to
someone who reads the database is which items share a word, and how often each (unknown) word
occurs, which frequency analysis can turn into guesses for common words.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from filters.review_crypto import AnswerCipher
from gateway.core.text import fold

PURPOSE = "review-search-index-v1"
TAG_CHARS = 16  # 64 bits of the HMAC: a false match of two words needs about 4e9 distinct words
MAX_WORDS = 400  # distinct words indexed per item; the first ones of the answer, then the prompt
MAX_WORD_CHARS = 64
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The distinct normalised words of `text`, in order (single letters and digits left out)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(text)):
        if len(word) > 1:
            seen.setdefault(word[:MAX_WORD_CHARS], None)
    return list(seen)


class SearchIndex:
    """Tags words with the review keys: the first key tags what is stored, every key is tried when
    searching, so items indexed before a key rotation are still found."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._keys = keys

    @classmethod
    def from_cipher(cls, cipher: AnswerCipher) -> SearchIndex:
        return cls(cipher.derived_keys(PURPOSE))

    @staticmethod
    def _tag(key: bytes, word: str) -> str:
        return hmac.new(key, word.encode(), hashlib.sha256).hexdigest()[:TAG_CHARS]

    def terms(self, texts: Iterable[str]) -> str:
        """The stored form: ' tag tag … ' (spaces around each, so one LIKE finds a whole tag)."""
        found: dict[str, None] = {}
        for text in texts:
            for word in words(text):
                if len(found) >= MAX_WORDS:
                    break
                found.setdefault(word, None)
        if not found:
            return ""
        return " " + " ".join(self._tag(self._keys[0], word) for word in found) + " "

    def query(self, text: str) -> list[list[str]]:
        """For each word of a search, the stored forms (one per key) that an item holding it has."""
        return [[f" {self._tag(key, word)} " for key in self._keys] for word in words(text)]
