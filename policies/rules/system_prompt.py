"""Rule `system_prompt`: a required system prompt, prepended, put in place of the client's, or required.

`prepend` adds it before the client's messages; `replace` also drops the client's own system and
developer messages; `require` refuses a request whose first message is not exactly this prompt.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from gateway.core.types import Action
from policies.request import PolicyRequest, message_text
from policies.rules.base import Body, CompiledRule, Finding, RuleSettings, Stage
from policies.services import PolicyServices

SYSTEM_ROLES = frozenset({"system", "developer"})


class SystemPromptSettings(RuleSettings):
    """`text`: the system prompt; `action`: prepend | replace | require."""

    type_name: ClassVar[str] = "system_prompt"

    text: str = Field(min_length=1)
    action: Literal["prepend", "replace", "require"] = "prepend"

    def build(self, name: str, services: PolicyServices) -> SystemPrompt:
        return SystemPrompt(name, self)


def _is_system(message: Any) -> bool:
    return isinstance(message, dict) and message.get("role") in SYSTEM_ROLES


class SystemPrompt(CompiledRule):
    stage = Stage.SHAPE

    def __init__(self, name: str, settings: SystemPromptSettings) -> None:
        super().__init__(name, settings)
        self._text = settings.text
        self._action = settings.action

    def _starts_with_required(self, messages: list[Any]) -> bool:
        return bool(messages) and _is_system(messages[0]) and message_text(messages[0]) == self._text

    def check(self, request: PolicyRequest) -> Finding | None:
        messages = request.messages
        starts = self._starts_with_required(messages)
        if self._action == "require":
            if starts:
                return None
            return Finding(Action.BLOCK, "the request does not start with the required system prompt", param="messages")
        if self._action == "prepend" and starts:
            return None
        if self._action == "replace" and starts and not any(_is_system(m) for m in messages[1:]):
            return None
        return Finding(
            Action.TRANSFORM,
            "required system prompt prepended" if self._action == "prepend" else "system prompt replaced",
            param="messages",
            transform=self._prepend if self._action == "prepend" else self._replace,
        )

    def _prepend(self, body: Body) -> Body:
        messages = list(body.get("messages") or [])
        if not self._starts_with_required(messages):
            messages.insert(0, {"role": "system", "content": self._text})
        return {**body, "messages": messages}

    def _replace(self, body: Body) -> Body:
        kept = [m for m in body.get("messages") or [] if not _is_system(m)]
        return {**body, "messages": [{"role": "system", "content": self._text}, *kept]}
