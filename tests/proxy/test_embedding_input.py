"""Embeddings' input as the policy's text rules read it (token arrays through the model's tokenizer),
and their redactions back in its shape."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.core.errors import InvalidRequest
from gateway.ledger.tokens import TokenCounter
from gateway.offline import apply_offline_defaults
from gateway.proxy.embedding_input import input_as_chat, input_from_chat

apply_offline_defaults()
TOKENIZER = TokenCounter().encoding_for("text-embedding-3-small")


def _redacted(view: dict[str, Any]) -> dict[str, Any]:
    """What a redacting rule returns: the view with `@` spelled out in every message."""
    return {**view, "messages": [{**m, "content": m["content"].replace("@", " at ")} for m in view["messages"]]}


def _texts(body: dict[str, Any]) -> list[str]:
    return [message["content"] for message in input_as_chat(body, TOKENIZER)["messages"]]


def test_a_string_input_is_read_as_one_user_message() -> None:
    view = input_as_chat({"model": "e", "input": "hello"}, TOKENIZER)
    assert view["messages"] == [{"role": "user", "content": "hello"}]


def test_each_string_of_an_array_is_one_user_message() -> None:
    assert _texts({"model": "e", "input": ["a", "b"]}) == ["a", "b"]


def test_token_arrays_are_read_as_the_text_they_encode() -> None:
    secret, plain = TOKENIZER.encode("mail ann@example.com"), TOKENIZER.encode("plain words")
    assert _texts({"model": "e", "input": secret}) == ["mail ann@example.com"]
    assert _texts({"model": "e", "input": [secret, plain]}) == ["mail ann@example.com", "plain words"]


def test_a_token_id_the_tokenizer_does_not_know_is_refused_naming_the_input() -> None:
    with pytest.raises(InvalidRequest) as refused:
        input_as_chat({"model": "e", "input": [[10**7]]}, TOKENIZER)
    assert refused.value.param == "input"


def test_a_redacted_string_input_comes_back_as_a_string() -> None:
    body = {"model": "e", "input": "ann@example.com"}
    screened = input_from_chat(body, _redacted(input_as_chat(body, TOKENIZER)), TOKENIZER)
    assert screened == {"model": "e", "input": "ann at example.com"}


def test_redacted_array_items_come_back_in_place() -> None:
    body = {"model": "e", "input": ["a@b", "plain"], "dimensions": 8}
    screened = input_from_chat(body, _redacted(input_as_chat(body, TOKENIZER)), TOKENIZER)
    assert screened == {"model": "e", "input": ["a at b", "plain"], "dimensions": 8}


def test_a_redacted_token_array_comes_back_as_the_tokens_of_the_redacted_text() -> None:
    plain = TOKENIZER.encode("plain words")
    body = {"model": "e", "input": [TOKENIZER.encode("mail ann@example.com"), plain]}
    screened = input_from_chat(body, _redacted(input_as_chat(body, TOKENIZER)), TOKENIZER)
    changed, kept = screened["input"]
    assert TOKENIZER.decode(changed) == "mail ann at example.com"
    assert kept == plain


def test_an_unchanged_decision_leaves_the_body_as_sent() -> None:
    body = {"model": "e", "input": [[1, 2], [3]]}
    assert input_from_chat(body, input_as_chat(body, TOKENIZER), TOKENIZER) == body
    single = {"model": "e", "input": [1, 2, 3]}
    assert input_from_chat(single, input_as_chat(single, TOKENIZER), TOKENIZER) == single
