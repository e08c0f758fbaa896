"""Sealed tokens (AES-GCM under the review keys): what stored responses are written with."""

from __future__ import annotations

import pytest

from filters.review_crypto import AnswerCipher, UndecryptableAnswer

OLD, NEW = AnswerCipher.new_key(), AnswerCipher.new_key()


def test_a_sealed_text_decrypts_to_itself() -> None:
    cipher = AnswerCipher([OLD])
    token = cipher.seal("réponse stockée".encode())
    assert "réponse".encode() not in token
    assert cipher.decrypt(token) == "réponse stockée"


def test_a_token_sealed_before_a_rotation_still_opens() -> None:
    token = AnswerCipher([OLD]).seal(b"kept")
    rotated = AnswerCipher([NEW, OLD])
    assert rotated.decrypt(token) == "kept"
    assert AnswerCipher([NEW]).decrypt(rotated.seal(b"new")) == "new"


def test_fernet_tokens_and_sealed_tokens_are_read_by_one_decrypt() -> None:
    cipher = AnswerCipher([OLD])
    assert cipher.decrypt(cipher.encrypt("fernet")) == "fernet"
    assert cipher.decrypt(cipher.seal(b"sealed")) == "sealed"


@pytest.mark.parametrize("damage", ["unknown key", "tampered", "truncated"])
def test_a_token_that_cannot_be_opened_is_undecryptable(damage: str) -> None:
    token = AnswerCipher([OLD]).seal(b"secret answer")
    cipher = AnswerCipher([NEW]) if damage == "unknown key" else AnswerCipher([OLD])
    if damage == "tampered":
        token = token[:-1] + bytes([token[-1] ^ 1])
    if damage == "truncated":
        token = token[:10]
    with pytest.raises(UndecryptableAnswer):
        cipher.decrypt(token)
