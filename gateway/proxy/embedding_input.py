"""Embeddings' `input` as the policy's text rules read it: each item one user message, so the
deny-list and input PII rules screen what a provider would embed, and a redaction comes back into
`input` in its own shape. Token arrays are read with the model's tokenizer (the one the gateway
counts with), so sending token ids instead of text does not slip past the rules; a token array the
rules changed is written back as the tokens of the changed text."""

from __future__ import annotations

from typing import Any, Protocol

from gateway.core.errors import InvalidRequest

Item = str | list[int]


class Tokenizer(Protocol):
    def decode(self, tokens: list[int]) -> str: ...

    def encode(self, text: str, *, disallowed_special: Any = ...) -> list[int]: ...


def _one_token_array(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(token, int) for token in value)


def input_items(value: Any) -> list[Item]:
    """The items of an `input` (checked by the request allowlist): a string, a token array, or a
    list of strings and token arrays (a lone token is an array of one)."""
    if isinstance(value, str):
        return [value]
    if _one_token_array(value):
        return [value]
    return [[item] if isinstance(item, int) else item for item in value]


def _text(item: Item, tokenizer: Tokenizer) -> str:
    if isinstance(item, str):
        return item
    try:
        return tokenizer.decode(item)
    except (KeyError, OverflowError, ValueError):
        raise InvalidRequest(
            "input: a token id that the model's tokenizer does not know; send the text instead.", param="input"
        ) from None


def input_as_chat(body: dict[str, Any], tokenizer: Tokenizer) -> dict[str, Any]:
    """`body` with its input items as user messages, for the policy's text rules."""
    texts = [_text(item, tokenizer) for item in input_items(body.get("input"))]
    return {**body, "messages": [{"role": "user", "content": text} for text in texts]}


def input_from_chat(body: dict[str, Any], decided: dict[str, Any], tokenizer: Tokenizer) -> dict[str, Any]:
    """`body` with the texts of `decided`'s messages (the policy's redactions) back in its input."""
    value = body["input"]
    written: list[Any] = []
    for item, message in zip(input_items(value), decided["messages"], strict=True):
        text = str(message["content"])
        if isinstance(item, str):
            written.append(text)
        else:  # unchanged tokens stay as sent; changed text is sent as its tokens
            written.append(item if text == tokenizer.decode(item) else tokenizer.encode(text, disallowed_special=()))
    if isinstance(value, str) or _one_token_array(value):
        return {**body, "input": written[0]}
    return {**body, "input": written}
