"""Encryption at rest for reviewed answers: Fernet, with rotation through several keys.

The first key encrypts; every key may decrypt, so an operator rotates by putting a new key first.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UndecryptableAnswer(Exception):
    """A stored answer could not be decrypted with any configured key."""


class AnswerCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        self._keys = tuple(key.encode() for key in keys)

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise UndecryptableAnswer("the stored answer cannot be decrypted with the configured keys") from None

    def derived_keys(self, purpose: str) -> list[bytes]:
        """One key per configured key (the encrypting one first), derived for `purpose` with
        HMAC-SHA256: another use of the review keys never reveals them or the encryption key."""
        return [hmac.new(key, purpose.encode(), hashlib.sha256).digest() for key in self._keys]
