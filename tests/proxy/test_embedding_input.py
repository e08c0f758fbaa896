"""Embeddings' input as the policy's text rules read it, and their redactions back in its shape."""

from __future__ import annotations

from typing import Any

from gateway.proxy.embedding_input import input_as_chat, input_from_chat


def _redacted(view: dict[str, Any]) -> dict[str, Any]:
    """What a redacting rule returns: the view with `@` spelled out in every message."""
    return {**view, "messages": [{**m, "content": m["content"].replace("@", " at ")} for m in view["messages"]]}


def test_a_string_input_is_read_as_one_user_message() -> None:
    view = input_as_chat({"model": "e", "input": "hello"})
    assert view["messages"] == [{"role": "user", "content": "hello"}]


def test_each_string_of_an_array_is_one_user_message_and_token_arrays_none() -> None:
    view = input_as_chat({"model": "e", "input": ["a", "b"]})
    assert [m["content"] for m in view["messages"]] == ["a", "b"]
    assert input_as_chat({"model": "e", "input": [[1, 2], [3]]})["messages"] == []


def test_a_redacted_string_input_comes_back_as_a_string() -> None:
    body = {"model": "e", "input": "ann@example.com"}
    assert input_from_chat(body, _redacted(input_as_chat(body))) == {"model": "e", "input": "ann at example.com"}


def test_redacted_array_items_come_back_in_place() -> None:
    body = {"model": "e", "input": ["a@b", "plain"], "dimensions": 8}
    screened = input_from_chat(body, _redacted(input_as_chat(body)))
    assert screened == {"model": "e", "input": ["a at b", "plain"], "dimensions": 8}


def test_an_unchanged_decision_leaves_the_body_as_sent() -> None:
    body = {"model": "e", "input": [[1, 2], [3]]}
    assert input_from_chat(body, input_as_chat(body)) == body
