"""Use by reference: a chat request's `prompt` object rendered into the messages sent upstream.

The request carries `"prompt": {"id": NAME, "version": V, "variables": {...}}` as in OpenAI's
Responses API; the version is optional (the latest approved one). The template's messages come
first, then the request's own messages; the `prompt` object itself is not sent upstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.core.errors import InvalidRequest
from prompt_library.errors import InvalidPromptVariables
from prompt_library.template import PLACEHOLDER, PromptTemplate, VariableSpec, value_has_type


@dataclass(frozen=True, slots=True)
class PromptReference:
    """What a request asks for: a prompt by name, optionally a version, and variable values."""

    name: str
    version: int | None
    variables: dict[str, Any]


def parse_prompt_reference(body: dict[str, Any]) -> PromptReference | None:
    """The request's `prompt` reference, None without one; InvalidRequest naming a malformed field."""
    raw = body.get("prompt")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidRequest("'prompt' must be an object with 'id', 'version' and 'variables'.", param="prompt")
    unknown = sorted(set(raw) - {"id", "version", "variables"})
    if unknown:
        raise InvalidRequest(f"Unknown field 'prompt.{unknown[0]}'.", param=f"prompt.{unknown[0]}")
    name = raw.get("id")
    if not isinstance(name, str) or not name:
        raise InvalidRequest("'prompt.id' must be the name of a prompt in the library.", param="prompt.id")
    version = raw.get("version")
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise InvalidRequest("'prompt.version' must be a positive integer.", param="prompt.version")
    variables = raw.get("variables") or {}
    if not isinstance(variables, dict):
        raise InvalidRequest("'prompt.variables' must be an object.", param="prompt.variables")
    return PromptReference(name=name, version=version, variables=dict(variables))


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_variables(template: PromptTemplate, supplied: dict[str, Any], prompt: str) -> dict[str, str]:
    """Checked values for every declared variable (defaults filled in), as text to substitute."""
    for name in supplied:
        if template.variable(name) is None:
            known = ", ".join(v.name for v in template.variables) or "none"
            raise InvalidPromptVariables(
                f"The prompt {prompt!r} has no variable {name!r} (its variables: {known}).",
                param=f"prompt.variables.{name}",
            )
    values: dict[str, str] = {}
    for spec in template.variables:
        values[spec.name] = _as_text(_checked_value(spec, supplied, prompt))
    return values


def _checked_value(spec: VariableSpec, supplied: dict[str, Any], prompt: str) -> object:
    param = f"prompt.variables.{spec.name}"
    if spec.name not in supplied or supplied[spec.name] is None:
        if spec.required:
            raise InvalidPromptVariables(f"The prompt {prompt!r} needs the variable {spec.name!r}.", param=param)
        return spec.default
    value = supplied[spec.name]
    if not value_has_type(value, spec.type):
        raise InvalidPromptVariables(
            f"The variable {spec.name!r} of the prompt {prompt!r} must be of type {spec.type}, "
            f"not {type(value).__name__}.",
            param=param,
        )
    if spec.choices is not None and value not in spec.choices:
        raise InvalidPromptVariables(
            f"The variable {spec.name!r} of the prompt {prompt!r} must be one of {spec.choices}.", param=param
        )
    return value


def render_messages(template: PromptTemplate, supplied: dict[str, Any], prompt: str) -> list[dict[str, str]]:
    """The template's messages with every placeholder replaced, in one pass (values are not re-expanded)."""
    values = resolve_variables(template, supplied, prompt)
    return [
        {"role": message.role, "content": PLACEHOLDER.sub(lambda m: values[m.group(1)], message.content)}
        for message in template.messages
    ]


def apply_prompt(body: dict[str, Any], template: PromptTemplate, reference: PromptReference) -> dict[str, Any]:
    """A new request body: the rendered messages, then the request's own, and no `prompt` field."""
    rendered = render_messages(template, reference.variables, reference.name)
    own = body.get("messages") or []
    if not isinstance(own, list):
        raise InvalidRequest("'messages' must be an array.", param="messages")
    new_body = {key: value for key, value in body.items() if key != "prompt"}
    new_body["messages"] = [*rendered, *own]
    return new_body
