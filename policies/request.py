"""The request as rules see it: the body, the caller, and text views computed once, on demand."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from gateway.core.text import fold
from gateway.core.types import Principal
from gateway.core.use_case_terms import UseCaseFacts

# Tokens OpenAI adds around each message and before the answer (its cookbook's counting recipe).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3


def message_text(message: Any) -> str:
    """The text of one chat message: a string, or the text parts of a list of content parts."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


class PolicyRequest:
    """One chat request under evaluation; each derived view is computed at most once."""

    def __init__(
        self, body: dict[str, Any], principal: Principal, used_prompt: bool, use_case: UseCaseFacts | None = None
    ) -> None:
        self.body = body
        self.principal = principal
        self.used_prompt = used_prompt
        self.use_case = use_case

    @property
    def messages(self) -> list[Any]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []

    def message_texts(self) -> Iterator[tuple[int, str]]:
        """(index, text) of every message that carries text."""
        for index, message in enumerate(self.messages):
            text = message_text(message)
            if text:
                yield index, text

    @cached_property
    def prompt_text(self) -> str:
        """All message texts joined, one message per line."""
        return "\n".join(text for _, text in self.message_texts())

    @cached_property
    def normalised_text(self) -> str:
        """`prompt_text` in matching form (see gateway.core.text)."""
        return fold(self.prompt_text)

    @property
    def model(self) -> str:
        model = self.body.get("model")
        return model if isinstance(model, str) else ""
