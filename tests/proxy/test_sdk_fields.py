"""Every body field the pinned official SDKs type for a request is taken by the gateway's allowlist,
or refused by design for a reason named here. When an SDK upgrade types a new field, this fails and
names it: the field is then served or added below, never refused by surprise at a client."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types.message_count_tokens_params import MessageCountTokensParams
from anthropic.types.message_create_params import MessageCreateParamsBase
from openai.types.chat.completion_create_params import CompletionCreateParamsBase
from openai.types.responses.response_create_params import ResponseCreateParamsBase

from gateway.proxy.fields import Check
from gateway.proxy.messages_requests import COUNT_TOKENS_FIELDS, MESSAGES_FIELDS
from gateway.proxy.openai_requests import CHAT_FIELDS
from gateway.proxy.responses_requests import RESPONSES_FIELDS

# OpenAI's moderation of a response is the provider's filter; the gateway's own filters and its
# /v1/moderations are the company's, and a provider's verdicts would reach the client unexamined.
OPENAI_MODERATION = "provider moderation: the gateway's filters moderate"
REFUSED_BY_DESIGN: dict[str, dict[str, str]] = {
    "chat completions": {"moderation": OPENAI_MODERATION},
    "responses": {"moderation": OPENAI_MODERATION},
    "messages": {
        "container": "the code execution container of a server tool: the gateway runs no server tool",
        "user_profile_id": "the SDK sends it as the anthropic-user-profile-id header, never in the body",
    },
    "count_tokens": {"user_profile_id": "a header, as above"},
}
TYPED: list[tuple[str, Any, dict[str, Check]]] = [
    ("chat completions", CompletionCreateParamsBase, CHAT_FIELDS),
    ("responses", ResponseCreateParamsBase, RESPONSES_FIELDS),
    ("messages", MessageCreateParamsBase, MESSAGES_FIELDS),
    ("count_tokens", MessageCountTokensParams, COUNT_TOKENS_FIELDS),
]


def _typed_fields(params: Any) -> set[str]:
    return {name for klass in params.__mro__ for name in getattr(klass, "__annotations__", {})}


@pytest.mark.parametrize(("api", "params", "allowed"), TYPED, ids=[api for api, _, _ in TYPED])
def test_every_field_the_sdk_types_is_taken_or_refused_for_a_named_reason(
    api: str, params: Any, allowed: dict[str, Check]
) -> None:
    assert _typed_fields(params) - allowed.keys() == REFUSED_BY_DESIGN[api].keys()
