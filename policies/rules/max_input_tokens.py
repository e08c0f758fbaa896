"""Rule `max_input_tokens`: the prompt's messages may count at most `limit` tokens (tiktoken)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from gateway.core.types import Action
from policies.request import TOKENS_PER_MESSAGE, TOKENS_PER_REPLY, PolicyRequest
from policies.rules.base import CompiledRule, Finding, RuleSettings, Stage
from policies.services import PolicyServices, TokenCounter


class MaxInputTokensSettings(RuleSettings):
    """`limit`: the most input tokens; `encoding`: the tiktoken encoding that counts them."""

    type_name: ClassVar[str] = "max_input_tokens"

    limit: int = Field(gt=0)
    encoding: str = "cl100k_base"

    def build(self, name: str, services: PolicyServices) -> MaxInputTokens:
        return MaxInputTokens(name, self, services.tokenizer(self.encoding))


class MaxInputTokens(CompiledRule):
    stage = Stage.ACCESS

    def __init__(self, name: str, settings: MaxInputTokensSettings, tokenizer: TokenCounter) -> None:
        super().__init__(name, settings)
        self._limit = settings.limit
        self._tokenizer = tokenizer

    def check(self, request: PolicyRequest) -> Finding | None:
        roles = [str(m.get("role", "")) for m in request.messages if isinstance(m, dict)]
        overhead = TOKENS_PER_REPLY + TOKENS_PER_MESSAGE * len(request.messages)
        # A token holds at least one UTF-8 byte, so a prompt with no more bytes than the limit cannot
        # exceed it: short prompts skip the tokenizer.
        upper_bound = overhead + len(request.prompt_text.encode()) + sum(len(role) for role in roles)
        if upper_bound <= self._limit:
            return None
        count = overhead + sum(self._tokenizer.count(role) for role in roles)
        count += sum(self._tokenizer.count(text) for _, text in request.message_texts())
        if count <= self._limit:
            return None
        return Finding(
            Action.BLOCK,
            f"the prompt has {count} tokens, more than the limit of {self._limit}",
            param="messages",
            details={"tokens": count, "limit": self._limit},
        )
